"""Denied-party list snapshots: import, update, storage and loading for the screening context."""
