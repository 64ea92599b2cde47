"""The one exception readers raise: a file that cannot be used as a filing."""

from __future__ import annotations

from esgcheck.messages import message


class Key(str):
    """A parameter that is itself a message key: each language shows its own
    words for it (a FIFO, 命名管道)."""


class InputError(Exception):
    """Unreadable input, with the file and, where known, the line and column."""

    def __init__(self, code: str, file: str, line: int | None = None,
                 column: int | None = None, pointer: str | None = None,
                 **params: object) -> None:
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.params = params
        self.message_key = code  # the message shown; a code may have more than one
        super().__init__(self.describe("en"))

    def describe(self, lang: str) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        params = {name: message(value, lang) if isinstance(value, Key) else value
                  for name, value in self.params.items()}
        return f"{where}: {message(self.message_key, lang, **params)}"
