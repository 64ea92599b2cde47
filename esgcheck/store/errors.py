"""A results store that cannot be used, and what to say about it."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


class StoreError(Exception):
    """A store that cannot be used: unreachable, made by a newer esgcheck,
    read-only or full. The message says which, and the URL (without password)."""


def reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip().splitlines()[0]
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# What the databases say when the disk is full or the store cannot be written
# (SQLite, PostgreSQL and the operating system), lower-case.
_CANNOT_WRITE = ("disk i/o error", "disk is full", "no space left", "readonly database",
                 "read-only file system", "could not extend file", "file too large",
                 "permission denied")


def advice(reason: str) -> str:
    """What a user does about a store that cannot be written: the transaction
    that failed is undone and everything stored before it stays."""
    if not any(cue in reason.lower() for cue in _CANNOT_WRITE):
        return ""
    return (" (the disk is full or the store cannot be written: what was stored before "
            "stays; free space or fix the permissions and run the same command again to "
            "go on / 磁盘已满或结果库不可写：已存储的结果保留，"
            "腾出空间或修正权限后重跑同一命令即可续跑)")


