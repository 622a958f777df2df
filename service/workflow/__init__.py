"""The review workflow around screening: re-screening after list and rules changes, monitored parties.

These shells combine the pure engine with the store; the engine itself never reads the database.
"""
