"""A cache on disk for what esgcheck builds from files that rarely change
(a rule base's parsed, type-checked and generated code), so that a later run
reads it instead of building it again.

An entry is found by a key made of everything the built value depends on:
the bytes of every file it was built from (``tree_digest``), esgcheck's
version, the stamps of esgcheck's own source files (``code_digest``: in a
working copy the version stays the same while the code changes) and Python's
bytecode magic number. A changed input file therefore misses; nothing is ever invalidated by
hand.

Entries are written with ``marshal`` (plain values and code objects only: no
pickle, so reading a damaged or foreign file can fail but never run code),
whole or not at all (a temporary file renamed over the entry), and read back
only when their header names the same key. Nothing here fails a run: a folder
that cannot be written, a damaged entry or a value marshal cannot hold costs
only the building.

Where: ``$ESGCHECK_CACHE_DIR`` ("off" for no cache at all), else the user's
cache folder (platformdirs: ``~/.cache/esgcheck`` on Linux). Deleting the
folder clears it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import tempfile
from contextlib import suppress
from functools import cache
from pathlib import Path

from esgcheck import __version__

CACHE_ENV = "ESGCHECK_CACHE_DIR"  # a folder, or "off"
_HEADER = b"esgcheck-cache 1\n"
_PACKAGE = Path(__file__).resolve().parent


def folder() -> Path | None:
    """The cache's folder, or None when there is to be no cache."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # platformdirs comes with pip; without it, no cache
        return None
    return Path(user_cache_dir("esgcheck", appauthor=False))


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> str | None:
    """SHA-256 over the relative name and bytes of every file under ``root``
    (but those under its folders named in ``skip``), in name order; None when
    one cannot be read, or when anything under ``root`` is a symbolic link
    (then nothing is cached: a link is judged by the loader on every run, and
    one that leads outside must be refused even where the bytes it reaches are
    those of a file cached before)."""
    digest = hashlib.sha256()
    try:
        entries = list(root.rglob("*"))
        if any(p.is_symlink() for p in entries):
            return None
        files = sorted(p for p in entries if p.is_file()
                       and p.relative_to(root).parts[0] not in skip)
        for path in files:
            name = path.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
            data = path.read_bytes()
            digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
            digest.update(data)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


@cache
def code_digest() -> str:
    """SHA-256 of the name, size and modification time of every Python source
    file and bundled schema of esgcheck: what builds a cached value, beside the
    files it is built from. (Their stamps, not their bytes: reading the whole
    source on every run cost a warm run more than a tenth of its time; an
    edited file gets a new time.)"""
    digest = hashlib.sha256()
    stamps: list[str] = []
    for top, dirs, files in os.walk(_PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        inside_schemas = top == str(_PACKAGE / "schemas")
        for name in files:
            if name.endswith(".py") or (inside_schemas and name.endswith(".json")):
                path = os.path.join(top, name)
                with suppress(OSError):
                    st = os.stat(path)
                    stamps.append(f"{os.path.relpath(path, _PACKAGE)}\0{st.st_size}\0"
                                  f"{st.st_mtime_ns}")
    for stamp in sorted(stamps):
        digest.update(stamp.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def key(*parts: str) -> str:
    """The key of a value built from ``parts`` (digests, names, settings) by
    this esgcheck on this Python."""
    return hashlib.sha256("\0".join((
        __version__, importlib.util.MAGIC_NUMBER.hex(), code_digest(), *parts,
    )).encode("utf-8", "surrogateescape")).hexdigest()


def _path(kind: str, entry: str) -> Path | None:
    root = folder()
    return None if root is None else root / kind / f"{entry}.bin"


def load(kind: str, entry: str) -> object | None:
    """The value stored under ``entry``, or None: no cache, no entry, or an
    entry that is damaged or not this key's."""
    path = _path(kind, entry)
    if path is None:
        return None
    try:
        data = path.read_bytes()
        head = _HEADER + entry.encode("ascii") + b"\n"
        if not data.startswith(head):
            return None
        value: object = marshal.loads(data[len(head):])
    except (OSError, ValueError, EOFError, TypeError, UnicodeEncodeError):
        return None
    return value


def store(kind: str, entry: str, value: object) -> bool:
    """Keep ``value`` under ``entry``; whether it was written (a value marshal
    cannot hold, or a folder that cannot be written, is not)."""
    path = _path(kind, entry)
    if path is None:
        return False
    try:
        # anything marshal cannot hold is refused here (ValueError)
        data = _HEADER + entry.encode("ascii") + b"\n" + marshal.dumps(value)  # type: ignore[arg-type]
    except (ValueError, UnicodeEncodeError):
        return False
    return write_whole(path, data)


def write_whole(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` whole or not at all (also with runs side by
    side); whether it was written: a folder that cannot be written costs only
    the entry."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)
        return False
    return True
