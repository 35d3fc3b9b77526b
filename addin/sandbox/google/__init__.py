"""An emulator of the Google Calendar API v3 (events, sync tokens, watch channels)."""
