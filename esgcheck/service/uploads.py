"""What a client uploads, taken apart safely: file names, zip files and their
limits. Everything is read and judged in memory before anything is stored, so
a refused upload leaves nothing behind.

The policy:

* A **name** (a multipart file name or a zip member's) is a relative path of
  ``/``-separated parts: an absolute path (``/x``, ``C:x``, ``\\\\host``), a
  ``..`` part, a backslash, an empty part or a control character is refused.
* A **zip** is refused whole when it has more members than ``zip_members``;
  when its members, uncompressed, come to more than ``zip_bytes`` (counted as
  they are inflated, not taken from the headers, which may lie); when a
  member larger than a mebibyte inflates more than ``zip_ratio`` times its
  compressed size; when a member is a symbolic link, an encrypted file, or a
  zip itself (by name or by content); or when a member's name is refused.
  Members that are folders, or files other than ``.json`` and ``.xml``, are
  passed over, as a folder's other files are on the command line.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass

from esgcheck.service.problems import ProblemError

FILING_SUFFIXES = (".json", ".xml")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
RATIO_FLOOR = 1024 * 1024  # a member smaller than this is not judged by its ratio
CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    request_bytes: int = 256 * 1024 * 1024  # one request's body
    batch_files: int = 10_000  # filings in one batch
    zip_members: int = 10_000  # entries of a zip, folders and other files included
    zip_bytes: int = 1024 * 1024 * 1024  # a zip's members, uncompressed, together
    zip_ratio: int = 200  # uncompressed / compressed size of one member


def name_problem(name: str) -> str | None:
    """Why ``name`` is refused as a file's name in a batch, or None."""
    if not name:
        return "empty / 为空"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "control character / 含控制字符"
    if "\\" in name:
        return "backslash / 含反斜杠"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path / 绝对路径"
    parts = name.split("/")
    if ".." in parts:
        return "'..' leads outside the batch / 含 '..'"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' part / 含空段或 '.'"
    return None


def is_filing_name(name: str) -> bool:
    return name.lower().endswith(FILING_SUFFIXES)


def checked_name(name: str, code: str = "bad_name") -> str:
    reason = name_problem(name)
    if reason is not None:
        raise ProblemError(code, name=name, reason=reason)
    return name


def read_zip(data: bytes, limits: UploadLimits) -> list[tuple[str, bytes]]:
    """The filings of a zip, as (name, bytes) in the zip's order; a
    ProblemError for anything the policy refuses."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ProblemError("bad_zip", reason=str(exc) or type(exc).__name__) from None
    if len(members) > limits.zip_members:
        raise ProblemError("zip_members", limit=limits.zip_members, count=len(members))
    if sum(m.file_size for m in members) > limits.zip_bytes:
        raise ProblemError("zip_size", limit=limits.zip_bytes)
    out: list[tuple[str, bytes]] = []
    total = 0
    with archive:
        for member in members:
            name = member.filename
            if member.is_dir():
                checked_name(name.rstrip("/"), "zip_member_name")
                continue
            checked_name(name, "zip_member_name")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise ProblemError("zip_link", name=name)
            if name.lower().endswith(".zip"):
                raise ProblemError("zip_nested", name=name)
            if not is_filing_name(name):
                continue
            if member.flag_bits & 0x1:
                raise ProblemError("bad_zip", reason=f"{name}: encrypted / 已加密")
            body = _inflate(archive, member, limits, total)
            total += len(body)
            if body.startswith(ZIP_MAGIC):
                raise ProblemError("zip_nested", name=name)
            out.append((name, body))
    return out


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: UploadLimits,
             before: int) -> bytes:
    """A member's bytes, read a chunk at a time and stopped as soon as the total
    or the member's ratio passes its limit."""
    parts: list[bytes] = []
    size = 0
    compressed = max(member.compress_size, 1)
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(CHUNK):
                size += len(chunk)
                if before + size > limits.zip_bytes:
                    raise ProblemError("zip_size", limit=limits.zip_bytes)
                if size > RATIO_FLOOR and size / compressed > limits.zip_ratio:
                    raise ProblemError("zip_ratio", name=member.filename,
                                       limit=limits.zip_ratio)
                parts.append(chunk)
    except ProblemError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError) as exc:
        raise ProblemError("bad_zip", reason=f"{member.filename}: "
                           f"{str(exc) or type(exc).__name__}") from None
    return b"".join(parts)
