"""``python -m esgcheck`` and the ``esgcheck`` command.

The command line is imported here, inside the handler for an interrupt, so a
Ctrl-C while esgcheck is still starting (importing its rule engine takes a
moment) ends with 130 and one line, as it does once the run has begun, and
never with a traceback; SIGTERM likewise, with 143 (esgcheck.signals).
"""

from __future__ import annotations

import sys

from esgcheck import signals


def run() -> None:
    signals.handle_sigterm()
    try:
        from esgcheck.cli import main
    except KeyboardInterrupt as exc:
        sys.stderr.write("interrupted while starting / 启动时已中断\n")
        sys.exit(signals.exit_code(exc))
    main()


if __name__ == "__main__":
    run()
