"""Deterministic generator of realistic cn-eidm-annual filings for benchmarks
(and, with --type, of solid-waste ledgers and PACT product carbon footprints:
generate_more.py; of listed companies' sustainability reports and financial
institutions' environmental disclosures, from the project's samples:
generate_samples.py).

Each filing has 20 discharge outlets with 8 pollutant measurements each (about
300 facts: 160 measurements, 20 outlets, permits, events, reports and the
scalar fields of the other blocks), valid unified social credit codes, and, in
a configurable share of filings, typical breaches (late submission, a wrong
check character, a missing block, a late temporary report).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from uscc_codes import make_uscc  # beside this file

AIR = ["二氧化硫", "氮氧化物", "颗粒物", "挥发性有机物", "苯", "甲苯", "二甲苯", "非甲烷总烃"]
WATER = ["化学需氧量", "氨氮", "总磷", "总氮", "悬浮物", "石油类", "挥发酚", "五日生化需氧量"]
PREFIXES = ["南粤", "华北", "江淮", "岭南", "蜀中", "齐鲁", "闽江", "燕山"]
TRADES = ["精细化工", "纸业", "焦化", "钢铁", "制药", "印染", "水泥", "电镀"]
def quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit}


def outlet(rng: random.Random, n: int) -> dict[str, Any]:
    air = n % 3 != 2
    names = AIR if air else WATER
    unit = "mg/m3" if air else "mg/L"
    pollutants = []
    for name in names:
        limit = rng.choice([20, 50, 100, 150, 300, 500])
        permitted = rng.uniform(5, 80)
        pollutants.append({
            "name": name,
            "concentration": quantity(limit * rng.uniform(0.1, 0.9), unit),
            "concentration_limit": quantity(limit, unit),
            "standard": rng.choice(["GB 31571-2015", "GB 8978-1996", "GB 16297-1996"]),
            "annual_total": quantity(permitted * rng.uniform(0.2, 0.95), "t"),
            "permitted_total": quantity(permitted, "t"),
        })
    return {
        "code": f"{'DA' if air else 'DW'}{n + 1:03d}",
        "name": f"{'排气筒' if air else '废水排口'}{n + 1}",
        "medium": "air" if air else "water",
        "discharge_mode": "有组织" if air else "间接排放",
        "pollutants": pollutants,
    }


def filing(rng: random.Random, breach: bool) -> dict[str, Any]:
    year = rng.choice([2022, 2023, 2024])
    code = make_uscc(rng)
    name = f"{rng.choice(PREFIXES)}{rng.choice(TRADES)}有限公司"
    submitted = date(year + 1, 3, rng.randint(1, 15))
    received = date(year, rng.randint(4, 11), rng.randint(1, 28))
    doc: dict[str, Any] = {
        "filing_type": "cn-eidm-annual",
        "reporting_period": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "submission": {"date": submitted.isoformat(), "system": "企业环境信息依法披露系统",
                       "receipt_number": f"R{rng.randint(10**7, 10**8 - 1)}"},
        "cover": {"enterprise_name": name, "uscc": code, "report_year": year,
                  "compile_date": (submitted - timedelta(days=5)).isoformat()},
        "commitment": {"enterprise_head": {"name": "王强", "signed": True,
                                           "date": (submitted - timedelta(days=5)).isoformat()}},
        "discloser": {
            "categories": ["key_discharge_unit", "listed_company"],
            "list": {"year": year, "published": f"{year}-03-28"},
            "art8_events": [{"type": "fine", "date": f"{year - 1}-06-18",
                             "fine_amount": quantity(rng.randint(10, 80) * 10000, "CNY")},
                            {"type": "daily_penalty", "date": f"{year - 1}-09-02"}],
        },
        "basic_info": {"status": "disclosed", "name": name, "uscc": code,
                       "legal_representative": "王强", "production_address": "工业园区1号",
                       "division_code": code[2:8], "industry_code": "2614",
                       "main_products": "化工原料", "contact": "0755-0000000"},
        "environmental_management": {
            "status": "disclosed",
            "permits": [{"kind": "pollutant_discharge_permit", "number": f"{code}00{i}P",
                         "issued": f"{year - 2}-05-01", "expires": f"{year + 3}-04-30",
                         "management_class": "key",
                         "outlets": [f"{'DA' if n % 3 != 2 else 'DW'}{n + 1:03d}"
                                     for n in range(20)]} for i in (1, 2)],
            "environmental_protection_tax": {"paid": quantity(rng.uniform(5, 80), "万元")},
            "pollution_liability_insurance": {"insured": True, "insurer": "保险公司"},
            "credit_rating": {"scheme": "national", "result": "环保良好企业", "colour": "blue",
                              "year": year},
        },
        "pollution": {
            "status": "disclosed",
            "facilities": [{"code": f"TA{i:03d}", "name": "治理设施", "operating": True}
                           for i in range(1, 5)],
            "outlets": [outlet(rng, n) for n in range(20)],
            "solid_waste": {"generated": quantity(1860, "t"), "utilised": quantity(1790, "t"),
                            "utilised_prior_stock": quantity(40, "t"),
                            "stored": quantity(70, "t"), "disposed": quantity(40, "t"),
                            "utilisation_rate": 94.2},
            "hazardous_waste": {"items": [
                {"code": "900-041-49", "hw_class": "HW49", "name": "废包装桶",
                 "generated": quantity(rng.uniform(10, 90), "t")}]},
            "receivers": [{"name": "危废处置有限公司", "uscc": make_uscc(rng), "hazardous": True,
                           "hw_licence_number": "许可证001", "service": "disposal"}],
            "self_monitoring": "按许可证要求开展。",
        },
        "carbon": {"status": "disclosed", "ets_key_emitter": False,
                   "emissions_current": quantity(rng.uniform(1e4, 9e4), "tCO2e"),
                   "emissions_previous": quantity(rng.uniform(1e4, 9e4), "tCO2e")},
        "emergency": {"status": "disclosed",
                      "emergency_plan": {"record_number": "440115-2022-018-H",
                                         "filed": f"{year - 1}-05-10"}},
        "violations": {"status": "not_generated", "statement": "本年度无违法信息。"},
        "temporary_disclosures": {"status": "disclosed", "items": [
            {"trigger": "licence_changed", "document_received": received.isoformat(),
             "disclosed": (received + timedelta(days=rng.randint(0, 4))).isoformat()}]},
        "financing": {"status": "raised", "items": [
            {"form": "bank_loan", "amount": quantity(rng.randint(1, 50) * 1000, "万元"),
             "use_of_funds": "技术改造", "project_environmental_info": "减排改造"}]},
    }
    if breach:
        kind = rng.randrange(4)
        if kind == 0:
            doc["submission"]["date"] = f"{year + 1}-04-0{rng.randint(1, 9)}"
        elif kind == 1:
            bad = "0" if code[-1] != "0" else "1"
            doc["basic_info"]["uscc"] = doc["cover"]["uscc"] = code[:-1] + bad
        elif kind == 2:
            del doc["emergency"]
        else:
            item = doc["temporary_disclosures"]["items"][0]
            item["disclosed"] = (received + timedelta(days=20)).isoformat()
    return doc


LAYOUTS: dict[str, dict[str, Any]] = {  # how a program might write the filing
    "spaced": {},  # json.dumps defaults: one line, ", " and ": "
    "compact": {"separators": (",", ":")},  # orjson, JSON.stringify
    "indented": {"indent": 2},
}


TYPES = ("cn-eidm-annual", "cn-solid-waste-ledger", "product-carbon-footprint",
         "cn-listed-sustainability-report", "cn-fi-environmental-disclosure")


def generate(n: int, seed: int = 1, breach_share: float = 0.3,
             layout: str = "spaced", filing_type: str = "cn-eidm-annual") -> list[bytes]:
    """``n`` filings of ``filing_type`` (TYPES; the product carbon footprints as
    PACT v3 JSON, as exchanged)."""
    make = filing
    if filing_type in ("cn-listed-sustainability-report", "cn-fi-environmental-disclosure"):
        import generate_samples  # beside this file

        make = generate_samples.maker(filing_type)
    elif filing_type != "cn-eidm-annual":
        import generate_more  # beside this file; it uses make_uscc from here

        make = {"cn-solid-waste-ledger": generate_more.ledger,
                "product-carbon-footprint": generate_more.footprint}[filing_type]
    rng = random.Random(seed)
    options = LAYOUTS[layout]
    return [json.dumps(make(rng, rng.random() < breach_share), ensure_ascii=False,
                       **options).encode()
            for _ in range(n)]


def leaf_count(node: Any) -> int:
    if isinstance(node, dict):
        return sum(leaf_count(v) for v in node.values())
    if isinstance(node, list):
        return sum(leaf_count(v) for v in node)
    return 1


def entity_count(doc: dict[str, Any]) -> int:
    """Typed facts the engine sees: entity instances plus the other blocks' fields
    (for the other types than the annual report: their leaf values)."""
    if "pollution" not in doc:
        return leaf_count(doc)
    outlets = doc["pollution"]["outlets"]
    entities = len(outlets) + sum(len(o["pollutants"]) for o in outlets)
    entities += len(doc["environmental_management"]["permits"])
    entities += len(doc["discloser"]["art8_events"])
    entities += len(doc["temporary_disclosures"]["items"]) + len(doc["financing"]["items"])
    entities += len(doc["pollution"]["facilities"])
    rest = {k: v for k, v in doc.items() if k != "pollution"}
    return entities + leaf_count(rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write N realistic filings (seeded, deterministic; cn-eidm-annual "
                    "unless --type says otherwise) "
                    "to a folder, or without -o describe one.")
    parser.add_argument("-n", type=int, default=100, help="number of filings (default 100)")
    parser.add_argument("-o", "--output", type=Path, metavar="DIR",
                        help="folder to write filing-00000.json ... into (created if missing)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breach-share", type=float, default=0.3,
                        help="share of the filings with a breach (default 0.3)")
    parser.add_argument("--layout", choices=list(LAYOUTS), default="spaced",
                        help="how the JSON is written (default spaced)")
    parser.add_argument("--type", choices=TYPES, default="cn-eidm-annual",
                        help="filing type (default cn-eidm-annual)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    filings = generate(args.n, args.seed, args.breach_share, args.layout, args.type)
    if args.output is None:
        sample = json.loads(filings[0])
        print(f"facts per filing: {entity_count(sample)} "
              f"({leaf_count(sample)} leaf values, {len(filings[0])} bytes)")
        return 0
    args.output.mkdir(parents=True, exist_ok=True)
    width = max(5, len(str(args.n - 1)))
    for i, data in enumerate(filings):
        (args.output / f"filing-{i:0{width}d}.json").write_bytes(data)
    print(f"{args.n} filings written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
