"""Which files a submission is, and reading one without reaching outside it.

The policy, in one place:

* A **folder** is the submission: every ``.json`` and ``.xml`` file under it,
  in sorted order. A symbolic link under it is followed only when its real
  path stays inside the folder; a link that leads outside it (or to nothing
  outside it) is refused with an entry naming the link, without saying where
  it leads or whether that exists. A link to a folder inside the folder is not
  descended (the files it leads to are checked where they are), so a link
  cannot make a loop. A subfolder that cannot be read is an entry of its own.
* A path **given on the command line** is the user's choice: a symbolic link
  there is followed, wherever it leads.
* Only a **regular file** is read: a device (``/dev/zero``, ``/dev/urandom``),
  a FIFO or a socket, named on the command line or found in a folder with a
  filing's suffix, is refused before it is opened, with an entry saying what
  it is. A file is opened without blocking and checked again once open (it
  may have been replaced meanwhile), and never more than the ``bytes`` limit
  and one byte are read, whatever its size claims (the primitives are in
  ``esgcheck.engine.files``, shared with the rule-base and YAML readers).

Files a folder holds under other names (a README, a PDF) are not filings and
are passed over without an entry. A hard link is a file like any other: it
cannot be told from the file it shares its content with. The folder is taken
to stay as it is while it is checked.

A refused path still becomes a report entry (``unreadable``, exit code 2): it
is yielded as a ``RefusedPath``, which carries the reason and cannot be
opened, so nothing downstream reads it by mistake.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from esgcheck.engine import files
from esgcheck.engine.files import inside as inside
from esgcheck.filings.errors import InputError, Key
from esgcheck.filings.limits import LimitExceeded

FILING_SUFFIXES = (".json", ".xml")


def kind_of(mode: int) -> Key:
    """The message key of what a file of this mode is, when it is not regular."""
    return Key(f"file_kind.{files.kind_of(mode)}")


class RefusedPath(type(Path())):  # type: ignore[misc]  # the concrete Path class of this OS
    """A path that is reported but never read: it carries why it is refused,
    and opening it fails. It survives pickling (workers receive paths)."""

    code: str
    params: dict[str, Any]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_refused, (str(self), self.code, self.params))

    def problem(self, display: str) -> InputError:
        return InputError(self.code, display, **self.params)

    def open(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EACCES, f"{self}: refused ({self.code}), not opened")

    def read_bytes(self) -> bytes:
        raise OSError(errno.EACCES, f"{self}: refused ({self.code}), not read")


def _refused(path: str, code: str, params: dict[str, Any]) -> RefusedPath:
    refused = RefusedPath(path)
    refused.code = code
    refused.params = dict(params)
    return refused


def display_name(path: Path, cwd: Path) -> str:
    """How a file is named in reports: relative to the working directory where
    it is under it, else as given."""
    if path.is_absolute():
        try:
            return path.relative_to(cwd).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def expand(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Files to check, each with the name reports give it: each path given,
    and each filing under each folder given, in sorted order; refused paths
    are ``RefusedPath`` entries in their place (see the module's policy)."""
    cwd = Path.cwd()
    for path in paths:
        for file in _expand_one(path):
            yield file, display_name(file, cwd)


def _expand_one(path: Path) -> Iterator[Path]:
    try:
        mode = os.stat(path).st_mode  # a link given on the command line is followed
    except OSError:
        yield path  # reading it says what is wrong
        return
    if stat.S_ISDIR(mode):
        yield from _walk(path, os.path.realpath(path))
    elif stat.S_ISREG(mode):
        yield path
    else:
        yield _refused(str(path), "not_regular", {"kind": kind_of(mode)})


def _walk(folder: Path, root: str) -> Iterator[Path]:
    """The filings under ``folder`` (whose real path is ``root``), depth first
    with names sorted, which is the order of sorting the paths."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield _refused(str(folder), "folder_unreadable", {"reason": _reason(exc)})
        return
    for entry in entries:
        path = folder / entry.name
        candidate = Path(entry.name).suffix.lower() in FILING_SUFFIXES
        try:
            if entry.is_symlink():
                target = os.path.realpath(path)
                leads_to_folder = os.path.isdir(target)
                if not files.inside_real(root, target):
                    if candidate or leads_to_folder:
                        yield _refused(str(path), "link_outside", {})
                    continue
                if leads_to_folder or not candidate:
                    continue  # its files are checked where they are
                mode = os.stat(target).st_mode
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(path, root)
                continue
            elif not candidate:
                continue
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            if candidate:
                yield path  # reading it says what is wrong
            continue
        if stat.S_ISREG(mode):
            yield path
        else:
            yield _refused(str(path), "not_regular", {"kind": kind_of(mode)})


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_regular(path: Path, display: str, max_bytes: int | None = None) -> bytes:
    """The content of a regular file, at most ``max_bytes`` of it (see
    ``esgcheck.engine.files.read_regular``): ``not_regular`` for anything
    else, ``limit.bytes`` past the limit, ``io`` when it cannot be read, and
    the reason a ``RefusedPath`` carries."""
    if isinstance(path, RefusedPath):
        raise path.problem(display)
    try:
        return files.read_regular(path, max_bytes)
    except files.NotRegular as exc:
        raise InputError("not_regular", display, kind=Key(f"file_kind.{exc.kind}")) from None
    except files.TooLarge:
        raise LimitExceeded("bytes", display, max_bytes) from None
    except OSError as exc:
        raise InputError("io", display, reason=_reason(exc)) from None
