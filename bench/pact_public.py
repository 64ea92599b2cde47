"""Check PACT's own example footprints, read from a local snapshot of
wbcsd/data-exchange-protocol, against the findings they deserve.

PACT's example files are under WBCSD's licence, which does not allow the
project to share copies: they are not in the repository, and this check runs
only where a snapshot is at hand (a git directory, as `git clone --mirror`
or the project's fetch writes it). Not a test: without the snapshot there is
nothing to check, and saying so is the result.

    python bench/pact_public.py /path/to/data-exchange-protocol.git

Each example is checked as received (`esgcheck check`'s reading: the
footprint in the API's envelope too); the script prints each file's grade and
findings and compares them with EXPECTED, written from the specification:
exit 0 when all agree, 1 when one differs, 2 when no snapshot is given.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

from esgcheck.checker import Checker

# file in the snapshot -> (grade, findings as (rule, outcome, pointer))
EXPECTED: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    # v2.0.0 in the GET response's envelope: a 2021 period, primaryDataShare and
    # dqi given, assurance false with an empty provider (allowed when not assured)
    "spec/v2/examples/get-footprint-response.json": ("A", []),
    # v3.0.0: pcfExcludingBiogenicUptake 0.384 while its parts add up to 0.356 (the
    # difference is landManagementFossilGhgEmissions, already inside fossil), and
    # otherOperatorName written beside the rule instead of inside it
    "spec/v3/examples/example-1.json": ("B", [
        ("PCF-BAL-002", "breach", "/pcf/pcfExcludingBiogenicUptake"),
        ("PCF-RD-002", "breach", "/pcf/otherOperatorName"),
        ("PCF-STD-003", "breach", "/pcf/productOrSectorSpecificRules/0/operator"),
    ]),
    # the same two defects: 5.14 against parts of 4.804, the operator's name outside
    "spec/v3/examples/example-2.json": ("B", [
        ("PCF-BAL-002", "breach", "/pcf/pcfExcludingBiogenicUptake"),
        ("PCF-RD-002", "breach", "/pcf/otherOperatorName"),
        ("PCF-STD-003", "breach", "/pcf/productOrSectorSpecificRules/0/operator"),
    ]),
    # valid to 2027-12-31, past three years after the reference period (2027-09-30);
    # AR5 beside AR6 (info)
    "spec/v3/examples/example-3.json": ("C", [
        ("PCF-TIME-002", "breach", "/validityPeriodEnd"),
        ("PCF-GWP-003", "breach", "/pcf/ipccCharacterizationFactors"),
    ]),
    # the same validity; 0.42 against parts of 0.371; a PEF rule with another
    # operator's name
    "spec/v3/examples/example-4.json": ("C", [
        ("PCF-TIME-002", "breach", "/validityPeriodEnd"),
        ("PCF-BAL-002", "breach", "/pcf/pcfExcludingBiogenicUptake"),
        ("PCF-STD-003", "breach", "/pcf/productOrSectorSpecificRules/0/operator"),
    ]),
    # v3 in the envelope: valid before its reference period ends, 1.85 against parts
    # of 1.7, an empty verification provider, two v2 names (biogenicCO2Withdrawal,
    # biogenicAccountingMethodology) not read, so the uptake is missing and the
    # including total not assessable
    "spec/v3/examples/get-footprint-response.json": ("C", [
        ("PCF-TIME-002", "breach", "/data/validityPeriodEnd"),
        ("PCF-BAL-002", "breach", "/data/pcf/pcfExcludingBiogenicUptake"),
        ("PCF-VER-001", "breach", "/data/pcf/verification"),
        ("PCF-RD-002", "breach", "/data/pcf/biogenicAccountingMethodology"),
        ("PCF-RD-002", "breach", "/data/pcf/biogenicCO2Withdrawal"),
        ("PCF-BAL-001", "not_assessable", "/data/pcf/pcfIncludingBiogenicUptake"),
    ]),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", nargs="?", type=Path,
                        help="git directory of a wbcsd/data-exchange-protocol snapshot")
    args = parser.parse_args(argv)
    if args.snapshot is None:
        print("no snapshot given: nothing checked")
        return 2
    git_dir = args.snapshot
    checker = Checker()
    differs = 0
    for path, (grade, findings) in EXPECTED.items():
        data = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"],
                              capture_output=True, check=True).stdout
        report = checker.check_bytes(data, Path(path).name)
        got = Counter((f.rule_id, f.outcome, f.location.pointer) for f in report.findings)
        same = report.grade == grade and got == Counter(findings)
        differs += not same
        print(f"{'ok  ' if same else 'DIFF'} {path}: grade {report.grade} (expected {grade}), "
              f"read as {report.read_as}")
        for rule, outcome, at in sorted(got):
            print(f"       {rule} {outcome} {at}")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
