"""The one exception readers raise: a file that cannot be used as a filing."""

from __future__ import annotations

from esgcheck.messages import message


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
        super().__init__(self.describe("en"))

    def describe(self, lang: str) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {message(self.code, lang, **self.params)}"
