"""Writing what esgcheck produces without harming what it read.

Every output file (``--output``, ``render -o``, ``baseline create -o``,
``waive --append``) is written to a temporary file in the same folder and
renamed into place when it is complete, so a full disk, a crash or an
interrupt leaves the old file as it was (or no file), never one cut short. A
folder such as the evidence bundle is written the same way, whole or not at
all. Before anything is written, an output that would land on one of the
run's inputs (the same file by its device and inode, so through symbolic and
hard links alike) is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

FileId = tuple[int, int]  # st_dev, st_ino


class OutputError(OSError):
    """An output that must not, or cannot, be written; says why in both languages."""


def file_id(path: Path) -> FileId | None:
    """The device and inode of the file ``path`` leads to (following links);
    None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def input_ids(paths: Iterable[Path]) -> dict[FileId, str]:
    """Every file an input path names or holds (folders walked, links followed
    as the reader follows them), by device and inode."""
    out: dict[FileId, str] = {}
    for path in paths:
        try:
            if path.is_dir():
                for folder, _, names in os.walk(path):
                    for name in names:
                        full = Path(folder) / name
                        found = file_id(full)
                        if found is not None:
                            out.setdefault(found, full.as_posix())
                continue
        except OSError:
            continue
        found = file_id(path)
        if found is not None:
            out.setdefault(found, path.as_posix())
    return out


def clashes(outputs: Iterable[Path], inputs: Iterable[Path]) -> list[tuple[Path, str]]:
    """Each output that exists and is one of the inputs, with the input it is."""
    existing = [(p, file_id(p)) for p in outputs]
    existing = [(p, i) for p, i in existing if i is not None]
    if not existing:
        return []
    known = input_ids(inputs)
    return [(p, known[i]) for p, i in existing if i in known]


def is_journal(path: Path) -> bool:
    """Whether an existing file is an esgcheck journal (its first line is the
    journal's header) or empty; anything else must not be truncated."""
    try:
        with path.open("rb") as handle:
            head = handle.readline(1 << 16)
    except OSError:
        return True  # not readable: opening it for the journal fails with its own message
    if not head.strip():
        return True
    try:
        header = json.loads(head)
    except ValueError:
        return False
    return isinstance(header, dict) and "journal" in header and "settings" in header


def _regular_or_missing(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True


def _umask_mode(base: int) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside
    it, flushed to disk, then renamed over it. A path that leads through a
    symbolic link replaces the file the link leads to. A path that is not a
    regular file (``/dev/stdout``, a FIFO) is written directly."""
    target = Path(os.path.realpath(path))
    if not _regular_or_missing(target):
        with target.open("wb") as handle:
            handle.write(data)
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = _umask_mode(0o666)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def new_folder(folder: Path, allowed: Callable[[str], bool]) -> Iterator[Path]:
    """A temporary folder beside ``folder`` to fill; when the block ends without
    an error it takes the place of ``folder`` (an existing one is replaced only
    if it holds nothing but files named in ``allowed``, a previous bundle);
    otherwise it is removed and ``folder`` is left as it was."""
    folder = Path(os.path.realpath(folder))
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise OutputError(f"{folder} exists and is not a folder / 已存在且不是文件夹")
        others = sorted(n for n in os.listdir(folder) if not allowed(n))
        if others:
            raise OutputError(
                f"{folder} holds files that are not an evidence bundle's ({', '.join(others[:3])}"
                f"{', ...' if len(others) > 3 else ''}); give a new or empty folder / "
                "该文件夹中有不属于证据包的文件，请指定新的或空的文件夹")
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".part"))
    old: Path | None = None
    try:
        os.chmod(temp, _umask_mode(0o777))
        yield temp
        for name in os.listdir(temp):
            with open(temp / name, "rb") as handle:
                os.fsync(handle.fileno())
        if folder.exists():
            old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.",
                                        suffix=".old"))
            os.rmdir(old)
            os.rename(folder, old)
        try:
            os.rename(temp, folder)
        except BaseException:
            if old is not None:
                os.rename(old, folder)
                old = None
            raise
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
