"""The clinicians directory: the doctors the records and appointments point at."""
