"""The JSON report of every bundled sample and of generated filings is the one
recorded in ``tests/golden/reports.sha256``: a change of any finding, message,
location, piece of evidence, proof or grade, however it comes about (a new back
end for the rules, a faster path, a changed rule), fails here, naming the
filings whose report changed.

When a change of the reports is intended, write the digests again and commit
them with the change that explains it:

    python -m tests.test_golden_reports --write

Each line of the file is the SHA-256 of one filing's JSON report (its part of
``esgcheck check --format json``, as ``model_dump_json(indent=2)`` writes it;
the tool's version is not part of it) and the filing's name: the samples under
``fixtures/`` in JSON and XML, checked with the shipped rule bases and, where
the sample's ``expected.yaml`` names one, its rules configuration, and 40
filings of ``bench/generate.py`` (seed 7, 30 % with a breach) in each of its
three layouts.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from esgcheck.checker import Checker
from esgcheck.engine.userconfig import load_user_config

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "reports.sha256"
GENERATED, SEED, LAYOUTS = 40, 7, ("spaced", "compact", "indented")


def _configured(folder: Path) -> dict[str, str]:
    """Sample name -> its rules configuration file, for the samples that name one."""
    expected = folder / "expected.yaml"
    if not expected.is_file():
        return {}
    cases = yaml.safe_load(expected.read_text("utf-8"))
    return {name: case["rules_config"] for name, case in cases.items()
            if isinstance(case, dict) and case.get("rules_config")}


def reports(checker: Checker) -> Iterator[tuple[str, bytes]]:
    """(name, JSON report) of every filing the digests cover, in a fixed order."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    checkers: dict[Path, Checker] = {}
    for folder in sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir()):
        configs = _configured(folder)
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".json", ".xml"):
                continue
            name = f"fixtures/{folder.name}/{path.name}"
            config = configs.get(path.stem)
            use = checker
            if config is not None:
                cfg = folder / config
                if cfg not in checkers:
                    checkers[cfg] = Checker(user_config=load_user_config(cfg, config))
                use = checkers[cfg]
            yield name, use.check_file(path, name).model_dump_json(indent=2).encode()
    for layout in LAYOUTS:
        for i, data in enumerate(generate(GENERATED, SEED, 0.3, layout)):
            name = f"generated/{layout}/{i:03d}.json"
            yield name, checker.check_bytes(data, name).model_dump_json(indent=2).encode()


def digests(checker: Checker) -> dict[str, str]:
    return {name: hashlib.sha256(report).hexdigest() for name, report in reports(checker)}


def recorded() -> dict[str, str]:
    out = {}
    for line in GOLDEN.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name] = digest
    return out


def test_every_report_is_the_recorded_one(checker: Checker) -> None:
    want = recorded()
    got = digests(checker)
    assert sorted(got) == sorted(want), "the filings covered changed: write the digests again"
    changed = sorted(name for name in got if got[name] != want[name])
    assert not changed, (f"{len(changed)} of {len(got)} reports changed: {', '.join(changed[:20])}"
                         " (if intended: python -m tests.test_golden_reports --write)")


def test_a_changed_report_is_caught(checker: Checker) -> None:
    """The digest covers the whole report: one finding's message changed by one
    character gives another digest."""
    name, report = next(r for r in reports(checker) if b'"findings": [\n' in r[1])
    assert hashlib.sha256(report).hexdigest() == recorded()[name]
    changed = report.replace(b'"message": {\n', b'"message":  {\n', 1)
    assert changed != report
    assert hashlib.sha256(changed).hexdigest() != recorded()[name]


def test_reports_do_not_depend_on_the_hash_seed() -> None:
    """Two processes with different hash seeds write the same reports: nothing
    in a report follows the order of a set (a quantifier over a table's keys
    once did)."""
    runs = [subprocess.run([sys.executable, "-m", "tests.test_golden_reports", "--print"],
                           cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout
            for seed in ("1", "2")]
    assert runs[0].count("\n") == len(recorded())
    assert runs[0] == runs[1]


def write() -> None:
    lines = ["# SHA-256 of each filing's JSON report; written by "
             "python -m tests.test_golden_reports --write"]
    lines += [f"{digest}  {name}" for name, digest in digests(Checker()).items()]
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(lines) - 1} reports)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--print"]:  # for the test of hash seeds
        for name, digest in digests(Checker()).items():
            print(digest, name)
    elif sys.argv[1:] == ["--write"]:
        write()
    else:
        raise SystemExit("usage: python -m tests.test_golden_reports --write")
