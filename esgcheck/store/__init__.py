"""The results store: every run's filings and findings in a database (SQLite by
default, PostgreSQL by URL), migrated with Alembic, for the questions a
certification body asks over weeks. ``connect.py`` opens and migrates it,
``store.py`` writes runs into it, ``questions.py`` asks it."""

from esgcheck.store.connect import open_store
from esgcheck.store.errors import StoreError
from esgcheck.store.store import RunInfo, RunWriter, Store

__all__ = ["RunInfo", "RunWriter", "Store", "StoreError", "open_store"]
