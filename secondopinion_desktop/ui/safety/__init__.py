"""Keeping the records safe from the window: backups, restore, data checks and the one-instance lock."""
