"""``python -m esgcheck`` and the ``esgcheck`` command.

The command line is imported here, inside the handler for an interrupt, so a
Ctrl-C while esgcheck is still starting (importing its rule engine takes a
moment) ends with 130 and one line, as it does once the run has begun, and
never with a traceback.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # as shells report a command ended by SIGINT (128 + 2)


def run() -> None:
    try:
        from esgcheck.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting / 启动时已中断\n")
        sys.exit(EXIT_INTERRUPTED)
    main()


if __name__ == "__main__":
    run()
