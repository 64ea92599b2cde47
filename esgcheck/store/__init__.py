"""The results store: every run's filings and findings in a database (SQLite by
default, PostgreSQL by URL), migrated with Alembic, for the questions a
certification body asks over weeks. See ``store.py``."""

from esgcheck.store.store import RunInfo, RunWriter, Store, StoreError, open_store

__all__ = ["RunInfo", "RunWriter", "Store", "StoreError", "open_store"]
