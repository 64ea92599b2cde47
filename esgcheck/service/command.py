"""``esgcheck serve --store URL [--host 127.0.0.1] [--port 8000] [--tokens FILE]
[--workers N | --cluster SPEC]``.

Without a token file the server answers anyone who can reach it, so it binds
to the loopback interface only and says so when it starts; another host is
refused with exit 2. With one (auth.py) it may listen anywhere; it is meant to
sit behind a reverse proxy that gives it HTTPS. SIGTERM (or Ctrl-C) stops it:
the filing in hand is finished, what was checked is stored and the batch in
progress goes back to pending, to be checked by the next server on the store.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

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
@click.option("--tokens", "tokens_file", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="YAML file of tokens, each with its tenant and role (reader or writer): "
                   "every request then needs one. Read once at start; kept hashed.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Check batches in N forked worker processes (as check --jobs).")
@click.option("--cluster", metavar="local:N|tcp://HOST:PORT",
              help="Check batches on Dask: a local cluster of N worker processes, or a "
                   "running scheduler (as check --cluster; the filings' bytes are sent).")
@click.option("--rules", "rules", multiple=True,
              type=click.Path(exists=True, file_okay=False),
              help="Rule-base folder, or a folder of rule bases (repeatable). Default: the "
                   "built-in ones.")
def serve(url: str, host: str, port: int, tokens_file: Path | None, workers: int,
          cluster: str | None, rules: tuple[str, ...]) -> None:
    """Serve the HTTP API (/api/v1) and the web page (/) over a results store."""
    from esgcheck.service.auth import TokenFileError, load_tokens

    tokens = None
    if tokens_file is not None:
        try:
            tokens = load_tokens(tokens_file)
        except TokenFileError as exc:
            _say(f"token file error / 令牌文件错误: {exc}")
            sys.exit(EXIT_INPUT)
    elif not loopback(host):
        _say(f"--host {host}: without a token file the server answers anyone who can reach "
             "it, so it listens on a loopback address only (127.0.0.1); give --tokens FILE "
             "to listen elsewhere / 未配置令牌文件时服务只监听本机回环地址")
        sys.exit(EXIT_INPUT)
    if workers > 1 and cluster:
        _say("--workers and --cluster: give one of them / 二者只能选其一")
        sys.exit(EXIT_INPUT)

    import uvicorn

    from esgcheck.batch.cluster import Cluster, ClusterError, Setup
    from esgcheck.checker import Checker
    from esgcheck.engine.rulebase import RuleBaseError
    from esgcheck.service.app import create_app
    from esgcheck.store import StoreError

    _logging()
    connected = None
    try:
        checker = Checker([Path(r) for r in rules] or None)
        setup = Setup(tuple(str(Path(r).resolve()) for r in rules) or None)
        connected = Cluster.connect(cluster) if cluster else None
        app = create_app(url, checker, tokens=tokens, workers=workers, cluster=connected,
                         setup=setup)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}")
        sys.exit(EXIT_INPUT)
    except ClusterError as exc:
        _say(f"cluster error / 集群错误: {exc}")
        sys.exit(EXIT_INPUT)
    except RuleBaseError as exc:
        _say("rule base errors / 规则库错误:")
        for problem in exc.problems:
            _say(f"  {problem}")
        sys.exit(EXIT_INPUT)
    if tokens is None:
        _say(f"esgcheck serve: no token file: listening on {host} only; anyone on this "
             f"machine can use the API / 未配置令牌文件：仅监听 {host}，本机任何用户均可使用")
    else:
        _say(f"esgcheck serve: {len(tokens)} tokens of {len(tokens.tenants)} tenants read from "
             f"{tokens_file}; every request needs one / 已读取令牌，每个请求均须令牌")
    shown = f"[{host}]" if ":" in host else host
    how = (f"cluster {cluster}" if cluster else f"{workers} worker processes" if workers > 1
           else "in the server process")
    _say(f"esgcheck serve: http://{shown}:{port}/ (API /api/v1/; store "
         f"{app.state.service.store.url}; batches checked {how})")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                    proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    finally:
        if connected is not None:
            connected.close()


def _logging() -> None:
    """The service's own log (batches accepted, finished, stopped, deleted;
    refused requests; faults with their reference) on standard error. No
    token, cookie or filing content is ever logged."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s esgcheck serve: %(message)s"))
    logger = logging.getLogger("esgcheck.service")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
