"""``esgcheck check --store URL`` and ``--cluster``: the run into a results
store, on this machine's processes or a Dask cluster."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from esgcheck.commands.checkrun import CheckRun, deliver, gate, prepared, write_evidence
from esgcheck.commands.common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, FORMAT_NAMES, _say
from esgcheck.commands.lookup import _grades_fail
from esgcheck.commands.project import _selection_used
from esgcheck.safetext import visible_lines


def check_at_scale(run: CheckRun) -> None:
    """``check`` into a results store and/or on a Dask cluster: reports are
    written as they finish and not kept, so thousands of filings take no more
    memory than one; standard output gets the run's summary (or, for the
    sarif, junit, markdown and html formats, the report read back from the
    store)."""
    from esgcheck.batch.cluster import Cluster, ClusterError, Setup
    from esgcheck.batch.run import check_into_store
    from esgcheck.checker import summarize
    from esgcheck.commands.results import summary_text
    from esgcheck.report import renderer
    from esgcheck.store import StoreError, open_store

    if run.journal is not None or run.baseline is not None:
        _say("--store and --cluster keep their own record of the run: --journal and "
             "--baseline are not used with them / 不与 --journal、--baseline 同用", err=True)
        sys.exit(EXIT_INPUT)
    if run.cluster is not None and not run.selection.is_default:
        _say("rule selection (--select, --extend-select, --ignore, or the configuration "
             "file's) is not yet carried to cluster workers: use --store without --cluster, "
             "or --no-config / 规则选择暂不支持 --cluster", err=True)
        sys.exit(EXIT_INPUT)
    ready = prepared(run)
    checker, waived, fail_on = ready.checker, ready.waived, run.fail_on
    rules_config, store_url = run.rules_config, run.store_url
    settings_extra = {"waivers": waived.sha256 if waived is not None else None,
                      "today": run.today.isoformat() if run.today and waived is not None
                      else None}
    scratch = None
    if store_url is None:  # on a cluster without a store: one for this run only
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="esgcheck-run-")
    try:
        store = open_store(store_url or str(Path(scratch.name if scratch else ".") / "run.db"))
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    setup = Setup(tuple(str(p.resolve()) for p in run.rules) or None,
                  str(rules_config) if rules_config else None,
                  rules_config.read_bytes() if rules_config else None)
    try:
        connected = Cluster.connect(run.cluster) if run.cluster else None
    except ClusterError as exc:
        _say(f"cluster error / 集群错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        done = check_into_store(
            checker, list(run.paths), ready.options, store, label=run.label,
            jobs=run.jobs or os.cpu_count() or 1, cluster=connected, setup=setup,
            ship_files=run.ship_files, progress="none" if run.quiet else "auto",
            waivers=waived, today=run.today, settings_extra=settings_extra)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    finally:
        if connected is not None:
            connected.close()
    summary = store.summary(done.id)
    # with a store, text and json give the run's summary; every other format, and
    # every format on a cluster without a store, shows each filing: read back
    full_formats = ("sarif", "junit", "markdown", "html") if store_url else FORMAT_NAMES
    report = None
    if run.evidence is not None or any((f or run.fmt) in full_formats
                                       for f in [*(t for t, _ in run.outputs), None]):
        from esgcheck.checkerparts import make_report

        filings = [f for _, f in store.iter_filings(done.id)]
        report = make_report(filings, fail_on, checker.configuration(),
                             checker.rule_catalogue(f.filing_type for f in filings
                                                    if f.filing_type is not None))
        update: dict[str, Any] = {"summary": summarize(filings, fail_on,
                                                       run.fail_on_not_assessable)}
        if done.waivers is not None:
            update["waivers"] = done.waivers
        update["selection"] = _selection_used(checker, run.selection, run.project,
                                              {f.filing_type for f in filings})
        report = report.model_copy(update=update)
    # the gate, as without --store: a breach at or above --fail-on, or (unless
    # --no-fail-on-not-assessable) a finding at or above it not assessable
    failed = fail_on != "never" and bool(store.failed(
        done.id, severity=fail_on, not_assessable=run.fail_on_not_assessable))
    failed |= run.fail_on_grade is not None and _grades_fail(checker, summary["grades"],
                                                              run.fail_on_grade)
    code = (EXIT_INPUT if summary["unreadable"] or summary["not_assessed"]
            else EXIT_FINDINGS if failed else EXIT_OK)
    options = gate(run, code)

    def render(name: str, to_stdout: bool) -> str:
        if name in full_formats and report is not None:
            text = renderer(name)(report, options)
        elif name == "json":
            text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        else:
            text = summary_text(summary)
        return visible_lines(text) if to_stdout else text

    written = deliver(run, render)
    if report is not None:
        written &= write_evidence(run, report, ready, store=store.url, run=done.id)
    store.engine.dispose()
    if scratch is not None:
        scratch.cleanup()
    sys.exit(code if written else EXIT_INPUT)
