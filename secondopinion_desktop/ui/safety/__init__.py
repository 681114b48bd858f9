"""Keeping the records safe from the window: backups, restore and data checks (the folder lock is core's, core/lock.py)."""
