"""The client is tested against the real app: the API tests' fixtures (app, database on SQLite and
PostgreSQL, keys) serve here too."""

from tests.api.conftest import app, as_admin, as_reviewer, as_screener, client, keys, rulebook, settings

__all__ = ["app", "as_admin", "as_reviewer", "as_screener", "client", "keys", "rulebook", "settings"]
