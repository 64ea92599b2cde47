"""The peer benchmark's rules (``../shared/peer-bench/rules.py``) as an esgcheck
rule base: one rule file written from the rule list, kind by kind, as each of the
harness's engines compiles it, plus the filing type's schema.

    python bench/peers/make_rulebase.py [--copies N] [--out bench/peers/rulebase]

``bench/peers/rulebase/`` holds its output for the 63 rules (one copy), so that
the rule base can be read and run on its own (``esgcheck check --rules
bench/peers/rulebase --type peer-filing FILE``). The harness's adapter
(``bench/peers/esgcheck_peer.py``) writes it afresh for the rule list it is
given, which at ten times the rules is ten copies with their own ids and facts.

Rule ids: ``P01`` is ``PEER-P01``, the copy ``P01_3`` is ``PEER-P01-3``; derived
facts keep their names (``key``, ``key_3``). The message of a rule on an outlet
or a measurement starts with the subject the harness expects (the outlet's id,
or ``outlet/pollutant``) and a colon.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILING_TYPE = "peer-filing"
SUBJECT = {"outlet": "id", "measurement": "outlet.id + '/' + pollutant"}

RULEBASE_YAML = """\
# The peer benchmark's rule set (../shared/peer-bench/rules.py) as an esgcheck
# rule base, written by bench/peers/make_rulebase.py. NOT LAW: synthetic rules
# on synthetic filings, for comparing rule engines.
id: peer-bench
title: {zh: 规则引擎对比基准（非法律规则）, en: Rule-engine peer benchmark (not law)}
filing_types: [peer-filing]
instruments:
  - id: peer-bench
    title: {zh: 对比基准规则, en: Peer benchmark rules}
    issuer: {zh: esgcheck 基准（虚构）, en: esgcheck benchmark (invented)}
versions:
  - version: "1"
    effective_from: 2020-01-01
grading:
  steps:
    - grade: FAIL
      label: {zh: 不符合, en: fails}
      when: {outcome: [breach, not_assessable]}
  default: PASS
  default_label: {zh: 通过, en: passes}
"""


def present(field: str) -> str:
    return f"exists({field}) and {field} != ''"


def quoted(text: str) -> str:
    """An expression string literal (backslashes other than before a quote are
    kept as written, see the parser)."""
    assert "'" not in text and "\n" not in text
    return "'" + text + "'"


def rule_id(peer_id: str) -> str:
    return "PEER-" + peer_id.replace("_", "-")


def translate(r: dict[str, Any]) -> dict[str, Any]:
    """One rule of the harness's list as an esgcheck rule (a dict for YAML)."""
    k = r["kind"]
    entity, when, check, value = "filing", None, None, None
    if k == "presence":
        f = r["field"]
        check = present(f) if r["ftype"] == "str" else f"exists({f})"
    elif k in ("format", "o_format", "m_format"):
        f = r["field"]
        entity = {"format": "filing", "o_format": "outlet", "m_format": "measurement"}[k]
        when, check = present(f), f"{f} matches {quoted(r['regex'])}"
    elif k == "charlen":
        f = r["field"]
        when, check = present(f), f"len({f}) >= {r['lo']} and len({f}) <= {r['hi']}"
    elif k == "o_range":
        f, lo, hi = r["field"], r["lo"], r["hi"]
        entity, when = "outlet", f"exists({f})"
        check = f"{f} >= {lo}" + (f" and {f} <= {hi}" if hi is not None else "")
    elif k == "o_presence":
        entity, check = "outlet", present(r["field"])
    elif k == "m_threshold":
        entity, check = "measurement", "concentration <= limit"
    elif k == "m_unit":
        entity = "measurement"
        check = "exists(unit) and unit == (if pollutant == 'pH' then '无量纲' else 'mg/L')"
    elif k == "m_min":
        entity = "measurement"
        check = f"{r['field']} {'>' if r['strict'] else '>='} {r['lo']}"
    elif k == "sum_match":
        of, tf = r["ofield"], r["total"]
        when = f"exists({tf})"
        check = f"abs(sum(o in outlets: o.{of}) - {tf}) <= {r['tol']} * abs({tf})"
    elif k == "date_order":
        a, b, d = r["a"], r["b"], quoted(DATE_RE)
        when = f"{present(a)} and {present(b)} and {a} matches {d} and {b} matches {d}"
        check = f"{a} < {b}"
    elif k == "report_after_year":
        d, y = r["date"], r["year"]
        when = f"{present(d)} and exists({y}) and {d} matches {quoted(DATE_RE)}"
        check = f"number(substr({d}, 1, 4)) > {y}"
    elif k == "capacity":
        fl, cap, days, tot = r["flag"], r["cap"], r["days"], r["total"]
        when = f"({fl} ?? false) and exists({cap}) and exists({days}) and exists({tot})"
        check = f"{cap} * {days} >= {tot}"
    elif k == "d_key":
        value = (f"(exists(total_discharge_t) and total_discharge_t >= {r['t_total']}) or "
                 f"(exists(wastewater_total_m3) and wastewater_total_m3 >= {r['flow_total']:.0f})")
    elif k == "d_exceeding":
        entity, value = "outlet", "any(m in measurements: m.concentration > m.limit)"
    elif k == "d_heavy":
        metals = ", ".join(quoted(m) for m in r["metals"])
        value = (f"any(o in outlets: any(m in o.measurements: m.pollutant in [{metals}] "
                 "and m.concentration > 0))")
    elif k == "d_severe":
        value = f"facts.{r['key']} and any(o in outlets: o.facts.{r['exceeding']})"
    elif k == "d_online_required":
        entity = "outlet"
        value = f"facts.{r['key']} and exists(flow_m3) and flow_m3 >= {r['min_flow']:.0f}"
    elif k == "d_priority":
        value = f"facts.{r['severe']} or (facts.{r['key']} and facts.{r['heavy']})"
    elif k in ("ob_true", "ob_present", "ob_outlet_true", "ob_outlet_present"):
        entity = "outlet" if k.startswith("ob_outlet") else "filing"
        f = r["field"]
        when = f"facts.{r['cond']}"
        check = f"{f} ?? false" if k.endswith("_true") else present(f)
    elif k == "flag_present":
        when, check = f"{r['flag']} ?? false", present(r["field"])
    else:
        raise ValueError(f"unknown kind {k}")
    out: dict[str, Any] = {"id": rule_id(r["id"])}
    title = f"{r['id']} ({k})"
    out["kind"] = "derive" if value is not None else "check"
    if value is not None:
        out["derive"] = r["out"]
    else:
        out["severity"] = "major"
    if entity != "filing":
        out["entity"] = entity
    out["title"] = {"zh": title, "en": title}
    out["citation"] = {"instrument": "peer-bench", "article": r["id"]}
    if when is not None:
        out["when"] = when
    if value is not None:
        out["value"] = value
        return out
    out["assert"] = check
    if entity == "filing":
        out["message"] = {"zh": f"{r['id']} 不成立。", "en": f"{r['id']} does not hold."}
    else:
        out["params"] = {"subject": SUBJECT[entity]}
        out["message"] = {"zh": f"{{subject}}: {r['id']} 不成立。",
                          "en": f"{{subject}}: {r['id']} does not hold."}
    return out


def yaml_text(rules: list[dict[str, Any]]) -> str:
    """The rule file: JSON is YAML, and JSON strings need no thought about quoting."""
    lines = ["# Written by bench/peers/make_rulebase.py from ../shared/peer-bench/rules.py;",
             "# regenerate rather than edit.", f"filing_type: {FILING_TYPE}", "rules:"]
    for r in rules:
        lines.append("  - " + json.dumps(translate(r), ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write(rules: list[dict[str, Any]], out: Path) -> Path:
    """The rule base for ``rules`` in ``out`` (replaced if it exists)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "rules").mkdir(parents=True)
    (out / "schemas").mkdir()
    (out / "rulebase.yaml").write_text(RULEBASE_YAML, encoding="utf-8")
    (out / "rules" / "peer.yaml").write_text(yaml_text(rules), encoding="utf-8")
    shutil.copy(HERE / "peer-filing.schema.json", out / "schemas" / "peer-filing.schema.json")
    return out


def peer_rules(copies: int, peer_bench: Path) -> list[dict[str, Any]]:
    sys.path.insert(0, str(peer_bench))
    from rules import ruleset  # the harness's own module

    rules: list[dict[str, Any]] = ruleset(copies)
    return rules


PEER_BENCH = HERE.parents[2] / "shared" / "peer-bench"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # rules.DATE_RE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "rulebase")
    parser.add_argument("--peer-bench", type=Path, default=PEER_BENCH)
    args = parser.parse_args()
    print(write(peer_rules(args.copies, args.peer_bench), args.out))


if __name__ == "__main__":
    main()
