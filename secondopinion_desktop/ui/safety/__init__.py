"""Keeping the records safe from the window: backups, restore and data checks.

The folder lock is the core's (core/lock.py)."""
