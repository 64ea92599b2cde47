"""``esgcheck check --store URL`` and ``--cluster``: the run into a results
store, on this machine's processes or a Dask cluster."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from esgcheck.commands.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    FORMAT_NAMES,
    _load,
    _load_policy,
    _say,
    _utc_now,
    _write,
)
from esgcheck.commands.lookup import (
    _check_grade,
    _filing_type,
    _grades_fail,
    _known_waiver_rules,
)
from esgcheck.commands.project import _select, _selection_used
from esgcheck.safetext import visible_lines
from esgcheck.selection import Selection

if TYPE_CHECKING:
    from esgcheck.filings.limits import Limits
    from esgcheck.projectconfig import ProjectConfig


def _check_at_scale(paths: tuple[Path, ...], fmt: str, outputs: list[tuple[str | None, Path]],
                    lang: str, as_of: date | None, rules: tuple[Path, ...],
                    filing_type: str | None, rules_config: Path | None,
                    waivers: Path | None, today: date | None, fail_on: str,
                    fail_on_grade: str | None, baseline: Path | None, evidence: Path | None,
                    explain: bool, jobs: int, limit_settings: Limits, journal: Path | None,
                    store_url: str | None, label: str | None, cluster_spec: str | None,
                    ship_files: bool, quiet: bool, fail_on_not_assessable: bool = True,
                    started: str | None = None, markdown_limit: int = 65536,
                    selection: Selection | None = None,
                    project: ProjectConfig | None = None) -> None:
    """``check`` into a results store and/or on a Dask cluster: reports are
    written as they finish and not kept, so thousands of filings take no more
    memory than one; standard output gets the run's summary (or, for the
    sarif, junit, markdown and html formats, the report read back from the
    store)."""
    from esgcheck.batch.cluster import Cluster, ClusterError, Setup
    from esgcheck.batch.run import check_into_store
    from esgcheck.checker import Options, summarize
    from esgcheck.commands.results import summary_text
    from esgcheck.report import RenderOptions, renderer
    from esgcheck.store import StoreError, open_store

    if journal is not None or baseline is not None:
        _say("--store and --cluster keep their own record of the run: --journal and "
             "--baseline are not used with them / 不与 --journal、--baseline 同用", err=True)
        sys.exit(EXIT_INPUT)
    selection = selection or Selection()
    if cluster_spec is not None and not selection.is_default:
        _say("rule selection (--select, --extend-select, --ignore, or the configuration "
             "file's) is not yet carried to cluster workers: use --store without --cluster, "
             "or --no-config / 规则选择暂不支持 --cluster", err=True)
        sys.exit(EXIT_INPUT)
    checker = _load(rules, rules_config)
    _check_grade(checker, fail_on_grade)
    filing_type = _filing_type(checker, filing_type)
    _select(checker, selection, project)
    waived, _ = _load_policy(waivers, None)
    waived = _known_waiver_rules(checker, waived)
    options = Options(as_of=as_of, filing_type=filing_type, limits=limit_settings)
    settings_extra = {"waivers": waived.sha256 if waived is not None else None,
                      "today": today.isoformat() if today and waived is not None else None}
    scratch = None
    if store_url is None:  # on a cluster without a store: one for this run only
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="esgcheck-run-")
    try:
        store = open_store(store_url or str(Path(scratch.name if scratch else ".") / "run.db"))
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    setup = Setup(tuple(str(p.resolve()) for p in rules) or None,
                  str(rules_config) if rules_config else None,
                  rules_config.read_bytes() if rules_config else None)
    try:
        connected = Cluster.connect(cluster_spec) if cluster_spec else None
    except ClusterError as exc:
        _say(f"cluster error / 集群错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        done = check_into_store(
            checker, list(paths), options, store, label=label, jobs=jobs or os.cpu_count() or 1,
            cluster=connected, setup=setup, ship_files=ship_files,
            progress="none" if quiet else "auto", waivers=waived, today=today,
            settings_extra=settings_extra)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    finally:
        if connected is not None:
            connected.close()
    summary = store.summary(done.id)
    written = True
    # with a store, text and json give the run's summary; every other format, and
    # every format on a cluster without a store, shows each filing: read back
    full_formats = ("sarif", "junit", "markdown", "html") if store_url else FORMAT_NAMES
    report = None
    if evidence is not None or any((f or fmt) in full_formats
                                   for f in [*(t for t, _ in outputs), None]):
        from esgcheck.checker import make_report

        filings = [f for _, f in store.iter_filings(done.id)]
        report = make_report(filings, fail_on, checker.configuration(),
                             checker.rule_catalogue(f.filing_type for f in filings
                                                    if f.filing_type is not None))
        update: dict[str, Any] = {"summary": summarize(filings, fail_on,
                                                       fail_on_not_assessable)}
        if done.waivers is not None:
            update["waivers"] = done.waivers
        update["selection"] = _selection_used(checker, selection, project,
                                              {f.filing_type for f in filings})
        report = report.model_copy(update=update)
    # the gate, as without --store: a breach at or above --fail-on, or (unless
    # --no-fail-on-not-assessable) a finding at or above it not assessable
    failed = fail_on != "never" and bool(store.failed(
        done.id, severity=fail_on, not_assessable=fail_on_not_assessable))
    failed |= fail_on_grade is not None and _grades_fail(checker, summary["grades"],
                                                          fail_on_grade)
    code = (EXIT_INPUT if summary["unreadable"] or summary["not_assessed"]
            else EXIT_FINDINGS if failed else EXIT_OK)
    gate = RenderOptions(lang=lang, explain=explain, fail_on=fail_on,
                         fail_on_not_assessable=fail_on_not_assessable, exit_code=code,
                         start_time=started, end_time=_utc_now() if started else None,
                         max_chars=markdown_limit)

    def render(name: str) -> str:
        if name in full_formats and report is not None:
            return renderer(name)(report, gate)
        if name == "json":
            return json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        return summary_text(summary)

    for target_fmt, path in outputs:
        written &= _write(path, render(target_fmt or fmt))
    if not any(target_fmt is None for target_fmt, _ in outputs):
        click.echo(visible_lines(render(fmt)), nl=False)
    if evidence is not None and report is not None:
        from esgcheck.evidence import write_bundle

        try:
            write_bundle(evidence, report, checker, lang=lang, rules_config=rules_config,
                         waivers=waivers, baseline=None, options={
                             "as_of": as_of.isoformat() if as_of else None,
                             "filing_type": filing_type, "fail_on": fail_on,
                             "fail_on_not_assessable": fail_on_not_assessable,
                             "fail_on_grade": fail_on_grade, "store": store.url,
                             "run": done.id, "limits": dataclasses.asdict(limit_settings)})
        except OSError as exc:
            written = False
            _say(f"cannot write the evidence bundle / 无法写入证据包 {evidence}: "
                 f"{exc.strerror or exc}", err=True)
    store.engine.dispose()
    if scratch is not None:
        scratch.cleanup()
    sys.exit(code if written else EXIT_INPUT)
