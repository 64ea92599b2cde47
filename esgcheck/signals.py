"""How esgcheck ends when it is told to stop.

Ctrl-C (SIGINT) raises KeyboardInterrupt; SIGTERM, what ``kill``, ``docker
stop``, systemd and batch schedulers send, raises ``Terminated``, a kind of
KeyboardInterrupt, so both unwind the same way: outputs are left whole or not
at all, a run into the store keeps what it stored and is marked interrupted.
They end with the codes shells report for the two signals.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as an interrupt."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def handle_sigterm() -> None:
    """SIGTERM raises Terminated from here on (in the main thread)."""
    signal.signal(signal.SIGTERM, _terminate)


def exit_code(exc: KeyboardInterrupt) -> int:
    """The exit code for an interrupt: 143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
