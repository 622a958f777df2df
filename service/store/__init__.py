"""Persistence: the audit trail of screenings and decisions, API keys and idempotency records.

Tables live in `tables.py`; each module here holds the functions that read and write one kind of row.
Screenings and decisions are append-only: this package has no update or delete path for them.
"""
