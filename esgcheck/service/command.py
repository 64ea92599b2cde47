"""``esgcheck serve --store URL [--host 127.0.0.1] [--port 8000]``.

Without a token file (not built yet: see the README), the server answers
anyone who can reach it, so it binds to the loopback interface only and says
so when it starts; another host is refused with exit 2.
"""

from __future__ import annotations

import ipaddress
import sys

import click

from esgcheck.safetext import visible_lines

EXIT_INPUT = 2


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _say(text: str) -> None:
    click.echo(visible_lines(text), err=True)


@click.command("serve")
@click.option("--store", "url", required=True, metavar="URL",
              help="The results store batches are checked into: a SQLite file (results.db) "
                   "or postgresql://user@host/db.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Without a token file only a loopback address "
                   "(127.0.0.1, ::1, localhost) is accepted.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--rules", "rules", multiple=True,
              type=click.Path(exists=True, file_okay=False),
              help="Rule-base folder, or a folder of rule bases (repeatable). Default: the "
                   "built-in ones.")
def serve(url: str, host: str, port: int, rules: tuple[str, ...]) -> None:
    """Serve the HTTP API (/api/v1) over a results store."""
    if not loopback(host):
        _say(f"--host {host}: without a token file the server answers anyone who can reach "
             "it, so it listens on a loopback address only (127.0.0.1) / 未配置令牌文件时"
             "服务只监听本机回环地址")
        sys.exit(EXIT_INPUT)
    from pathlib import Path

    import uvicorn

    from esgcheck.checker import Checker
    from esgcheck.engine.rulebase import RuleBaseError
    from esgcheck.service.app import create_app
    from esgcheck.store import StoreError

    try:
        checker = Checker([Path(r) for r in rules] or None)
        app = create_app(url, checker)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}")
        sys.exit(EXIT_INPUT)
    except RuleBaseError as exc:
        _say("rule base errors / 规则库错误:")
        for problem in exc.problems:
            _say(f"  {problem}")
        sys.exit(EXIT_INPUT)
    _say(f"esgcheck serve: no token file: listening on {host} only; anyone on this machine "
         f"can use the API / 未配置令牌文件：仅监听 {host}，本机任何用户均可使用")
    shown = f"[{host}]" if ":" in host else host
    _say(f"esgcheck serve: http://{shown}:{port}/api/v1/ (store {app.state.service.store.url})")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
