"""Progress of a run on stderr: a live bar on a terminal (rich), a plain line
every few seconds elsewhere (a CI log, a file), or nothing with ``--quiet``.
The report on stdout is never touched."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import IO, Any

from esgcheck.engine.findings import FilingReport


class Progress:
    def __init__(self, total: int, mode: str = "auto", stream: IO[str] | None = None,
                 interval: float = 5.0) -> None:
        """``mode``: auto (a bar on a terminal, lines elsewhere), bar, lines or none."""
        self.total = total
        self.stream = stream or sys.stderr
        self.interval = interval
        self.done = 0
        self.grades: Counter[str] = Counter()
        self.start = time.monotonic()
        self._last = self.start
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "lines"
        self.mode = mode
        self._bar: Any = None
        self._task: Any = None
        if mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("esgcheck"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                            TextColumn("{task.fields[grades]}"),
                            console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("check", total=total, rate="", grades="")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def counts(self) -> str:
        return " ".join(f"{g} {n}" for g, n in sorted(self.grades.items()))

    def update(self, report: FilingReport) -> None:
        self.done += 1
        self.grades[report.grade or ("unreadable" if report.status == "unreadable"
                                     else "not assessed")] += 1
        if self.mode == "bar":
            self._bar.update(self._task, completed=self.done, rate=f"{self.rate():.1f}/s",
                             grades=self.counts())
        elif self.mode == "lines":
            now = time.monotonic()
            if now - self._last >= self.interval or self.done == self.total:
                self._last = now
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def line(self) -> str:
        rate = self.rate()
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return (f"esgcheck: {self.done}/{self.total} files, {rate:.1f}/s, "
                f"{int(left) // 60:02d}:{int(left) % 60:02d} left · {self.counts()}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
