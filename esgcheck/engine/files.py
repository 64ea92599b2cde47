"""Reading a file esgcheck is given without blocking, without reading without
end, and without leaving the folder it belongs to.

The primitives under every reader: filings (``esgcheck.filings.paths``, where
the policy for submissions is written), rule bases and YAML settings. Only a
regular file is read: anything else (a device such as ``/dev/zero``, a FIFO, a
socket) is refused before it is opened; a file is opened without blocking and
checked again once open (it may have been replaced meanwhile); and never more
than the limit and one byte are read, whatever size the file claims.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_CHUNK = 1 << 20

_KINDS = (
    (stat.S_ISCHR, "char_device"),
    (stat.S_ISBLK, "block_device"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISDIR, "folder"),
)


def kind_of(mode: int) -> str:
    """What a file of this mode is, when it is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "other_file"


class NotRegular(OSError):
    """A path that is not a regular file; ``kind`` says what it is."""

    def __init__(self, path: Path | str, kind: str) -> None:
        super().__init__(f"{path}: not a regular file ({kind.replace('_', ' ')})")
        self.kind = kind


class TooLarge(OSError):
    """A file larger than the limit it was read with."""

    def __init__(self, path: Path | str, limit: int) -> None:
        super().__init__(f"{path}: larger than {limit} bytes")
        self.limit = limit


def _open_regular(path: Path | str) -> int:
    """A descriptor of a regular file, opened without blocking and checked
    again once open: NotRegular for anything else."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(path, kind_of(mode))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegular(path, kind_of(info.st_mode))
    return fd


def read_regular(path: Path | str, max_bytes: int | None = None) -> bytes:
    """The content of a regular file, at most ``max_bytes`` of it: NotRegular
    for anything else, TooLarge past the limit, OSError when it cannot be
    read."""
    fd = _open_regular(path)
    try:
        if max_bytes is not None and os.fstat(fd).st_size > max_bytes:
            raise TooLarge(path, max_bytes)
        cap = None if max_bytes is None else max_bytes + 1
        chunks: list[bytes] = []
        got = 0
        while cap is None or got < cap:
            chunk = os.read(fd, _CHUNK if cap is None else min(_CHUNK, cap - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if max_bytes is not None and got > max_bytes:
            raise TooLarge(path, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256_regular(path: Path | str) -> str:
    """SHA-256 of a regular file's content, read in chunks (never the whole
    file at once): NotRegular for anything else, OSError when it cannot be
    read. A file that grows while it is read is hashed as far as it got."""
    fd = _open_regular(path)
    try:
        sha = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            sha.update(chunk)
        return sha.hexdigest()
    finally:
        os.close(fd)


def inside_real(root: str, target: str) -> bool:
    """Whether the real path ``target`` is ``root`` or under it (both real)."""
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def inside(folder: Path | str, path: Path | str) -> bool:
    """Whether ``path``, with every symbolic link and ``..`` resolved, is
    inside ``folder`` (resolved alike)."""
    return inside_real(os.path.realpath(folder), os.path.realpath(path))
