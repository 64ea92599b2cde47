"""Opening a results store: its URL, SQLite's settings, and creating or
migrating its tables, one process at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from esgcheck import __version__
from esgcheck.store.errors import StoreError, reason
from esgcheck.store.store import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """A store's SQLAlchemy URL: a plain path is a SQLite file; postgresql://
    uses the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def safe_url(url: str) -> str:
    """The URL as messages may show it: no password."""
    head, sep, rest = url.partition("://")
    if "@" in rest:
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{head}{sep}{user}@{host}"
    return url


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a reader (esgcheck results, the service) read while a run writes;
    # a second writer waits for the lock instead of failing at once
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def open_store(url: str) -> Store:
    """Open (and create or migrate) the store at ``url``. Raises StoreError for a
    store that cannot be reached or written, or that a newer esgcheck made."""
    full = normalise_url(url)
    shown = safe_url(url)
    try:
        if full.startswith("sqlite:///"):
            folder = Path(full.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise StoreError(f"cannot open store {shown}: folder {folder} does not exist")
        engine = create_engine(full, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        with engine.connect() as connection, _migration_lock(engine, connection):
            script = ScriptDirectory.from_config(alembic_config(connection))
            current = MigrationContext.configure(connection).get_current_revision()
            known = {rev.revision for rev in script.walk_revisions()}
            if current is not None and current not in known:
                raise StoreError(
                    f"store {shown} was made by a newer esgcheck (schema revision {current}; "
                    f"this esgcheck {__version__} knows up to {script.get_current_head()})")
            if current != script.get_current_head():
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
    except StoreError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(f"cannot open store {shown}: {reason(exc)}") from None
    return Store(engine, shown)


@contextmanager
def _migration_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    """One process at a time creates or migrates a store: two runs started at
    once on a new store would otherwise both create its tables. PostgreSQL has
    advisory locks; a SQLite file is locked with flock, which SQLite's own
    byte-range locks do not see."""
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
            connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(database, "ab") as handle:  # creates the file SQLite will use
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_LOCK_KEY = 0x65_73_67_63  # "esgc": the advisory lock esgcheck's migrations take


