"""Channel sync services: publish feeds (feeds.py) and import OTA calendars (imports.py)."""
