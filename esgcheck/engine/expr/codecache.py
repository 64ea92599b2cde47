"""The cache of compiled rule code: a rule base's generated module, compiled
once and kept as its code object between runs (see ``cached_compile``)."""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
from pathlib import Path
from types import CodeType

from esgcheck import diskcache

CACHE_ENV = diskcache.CACHE_ENV  # a folder for the cache, or "off"


def code_cache() -> Path | None:
    """Where compiled rule code is kept between runs: ``$ESGCHECK_CACHE_DIR``
    ("off": nowhere), else ``code/`` in the user's cache folder (see
    esgcheck.diskcache). Compiling a rule base's generated source is most of
    what loading it costs; the cache is keyed by the source itself (which is the
    rule base's rules, as the emitters write them), esgcheck's version and
    Python's bytecode version."""
    base = diskcache.folder()
    if base is None or os.environ.get(CACHE_ENV):
        return base
    return base / "code"


def cached_compile(source: str, label: str) -> CodeType:
    """``compile(source)``, through the cache when there is one. A cache that
    cannot be read or written (read-only home, full disk, a damaged entry)
    costs only the compilation: nothing fails because of it."""
    from esgcheck import __version__

    folder = code_cache()
    if folder is None:
        return compile(source, label, "exec")
    key = hashlib.sha256("\0".join((
        __version__, importlib.util.MAGIC_NUMBER.hex(), label, source)).encode()).hexdigest()
    path = folder / f"{key}.bin"
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType) and code.co_filename == label:
            return code
    except (OSError, ValueError, EOFError, TypeError):
        pass  # absent or unreadable: compiled below
    code = compile(source, label, "exec")
    diskcache.write_whole(path, marshal.dumps(code))
    return code
