"""Generators of the other regimes' filings for the benchmarks (bench/generate.py
--type): an enterprise's solid-waste ledger (cn-solid-waste-ledger) and a PACT
v3 product carbon footprint as exchanged (read by the product-cf rule base).

Deterministic for a seed. A compliant filing gives no finding; in the share of
breaching filings one typical defect is made (a stock that does not balance, a
hazardous-waste transfer without manifest, a plan filed late, a code of the
wrong class; a total that is not its parts, exempted emissions over the cap, a
declared unit misspelt, a reference period reversed).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from uscc_codes import make_uscc

BULK = [("粉煤灰", "fly_ash"), ("炉渣", "smelting_slag"), ("脱硫石膏", "by_product_gypsum"),
        ("煤矸石", "coal_gangue"), ("尾矿", "tailings")]
HAZARDOUS = [("废矿物油", "900-249-08", "HW08"), ("废催化剂", "772-007-50", "HW50"),
             ("废铅蓄电池", "900-052-31", "HW31"), ("废活性炭", "900-039-49", "HW49")]
PROVINCES = [("陕西", "61"), ("山西", "14"), ("内蒙古", "15"), ("宁夏", "64")]


def t(value: float) -> dict[str, Any]:
    return {"value": round(value, 1), "unit": "t"}


def _months(rng: random.Random, year: int, opening: float, scale: int,
            hazardous: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Twelve balanced months of one stream, and the year's sums."""
    months: list[dict[str, Any]] = []
    stock, sums = opening, {"generated": 0.0, "used": 0.0}
    ends = ["01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30",
            "10-31", "11-30", "12-31"]
    for m, end in enumerate(ends, start=1):
        generated = round(rng.uniform(0.8, 1.2) * scale, 1)
        used = round(min(stock + generated, generated * rng.uniform(0.9, 1.05)), 1)
        closing = round(stock + generated - used, 1)
        key = "entrusted_disposed" if hazardous else "entrusted_utilised"
        months.append({"start": f"{year}-{m:02d}-01", "end": f"{year}-{end}",
                       "opening_stock": t(stock), "generated": t(generated), key: t(used),
                       "closing_stock": t(closing)})
        sums["generated"] += generated
        sums["used"] += used
        stock = closing
    sums = {k: round(v, 1) for k, v in sums.items()}
    sums["closing"] = stock
    return months, sums


def ledger(rng: random.Random, breach: bool) -> dict[str, Any]:
    """One site's yearly solid-waste ledger, each stream by month."""
    year = 2025
    province, prefix = rng.choice(PROVINCES)
    code = make_uscc(rng)
    streams: list[dict[str, Any]] = []
    receivers = [{"id": "R1", "name": f"{province}绿源建材有限公司", "uscc": make_uscc(rng),
                  "province": province, "contract": f"ZY-{year}-{rng.randint(100, 999)}"},
                 {"id": "R2", "name": f"{province}环保危险废物处置有限公司",
                  "uscc": make_uscc(rng), "province": province,
                  "contract": f"WF-{year}-{rng.randint(100, 999)}",
                  "hw_licence": {"number": f"HW{prefix}00{rng.randint(10000, 99999)}",
                                 "valid_from": "2023-01-01", "valid_until": "2028-12-31",
                                 "scope": [c for _, _, c in HAZARDOUS]}}]
    transfers: list[dict[str, Any]] = []
    totals = {c: {"opening": 0.0, "generated": 0.0, "used": 0.0, "closing": 0.0}
              for c in ("general", "hazardous")}
    for i, (name, bulk) in enumerate(rng.sample(BULK, rng.randint(2, 4))):
        opening = round(rng.uniform(100, 2000), 1)
        months, sums = _months(rng, year, opening, rng.randint(800, 5000), False)
        streams.append({"id": f"S{i + 1}", "name": name, "category": "general",
                        "bulk_type": bulk, "storage_site": "GS01", "opening_stock": t(opening),
                        "generated": t(sums["generated"]), "entrusted_utilised": t(sums["used"]),
                        "closing_stock": t(sums["closing"]), "sub_periods": months})
        transfers.append({"date": f"{year}-12-31", "stream": f"S{i + 1}", "receiver": "R1",
                          "purpose": "utilisation", "quantity": t(sums["used"])})
        for key, value in (("opening", opening), ("generated", sums["generated"]),
                           ("used", sums["used"]), ("closing", sums["closing"])):
            totals["general"][key] += value
    for i, (name, hw_code, hw_class) in enumerate(rng.sample(HAZARDOUS, rng.randint(1, 3))):
        opening = round(rng.uniform(0.2, 2), 1)
        months, sums = _months(rng, year, opening, rng.randint(1, 4), True)
        sid = f"H{i + 1}"
        streams.append({"id": sid, "name": name, "category": "hazardous", "code": hw_code,
                        "hw_class": hw_class, "storage_site": "HS01", "opening_stock": t(opening),
                        "generated": t(sums["generated"]), "entrusted_disposed": t(sums["used"]),
                        "closing_stock": t(sums["closing"]), "sub_periods": months})
        transfers.append({"date": f"{year}-12-20", "stream": sid, "receiver": "R2",
                          "purpose": "disposal", "quantity": t(sums["used"]),
                          "manifest_number": f"{prefix}08{year}1220{i:04d}"})
        for key, value in (("opening", opening), ("generated", sums["generated"]),
                           ("used", sums["used"]), ("closing", sums["closing"])):
            totals["hazardous"][key] += value
    hw_generated = round(totals["hazardous"]["generated"], 1)
    general = totals["general"]
    rate = round(100 * general["used"] / general["generated"], 1)
    doc: dict[str, Any] = {
        "filing_type": "cn-solid-waste-ledger",
        "enterprise": {"name": f"{province}能源化工有限公司", "uscc": code,
                       "site_name": f"{province}能源化工有限公司一厂", "province": province,
                       "permit_number": f"{code}001P", "hw_own_facility": False},
        "period": {"start": f"{year}-01-01", "end": f"{year}-12-31", "granularity": "year"},
        "ledger": {"form": "electronic", "system": "全国固体废物管理信息系统",
                   "responsible_person": "王建国", "retention_years": 5},
        "hw_management": {
            "management_class": ("key" if hw_generated >= 100 else "simplified"
                                 if hw_generated >= 10 else "registered"),
            "reference_generated": t(hw_generated),
            "plan": {"year": year, "filing_number": f"{prefix}0823-{year}-0037",
                     "filed": f"{year}-03-{rng.randint(1, 31):02d}"}},
        "storage_sites": [{"code": "GS01", "name": "一般固废贮存场", "kind": "general"},
                          {"code": "HS01", "name": "危险废物贮存库", "kind": "hazardous"}],
        "streams": streams,
        "totals": [
            {"category": "general", "opening_stock": t(general["opening"]),
             "generated": t(general["generated"]), "entrusted_utilised": t(general["used"]),
             "closing_stock": t(general["closing"]), "utilisation_rate": rate},
            {"category": "hazardous", "opening_stock": t(totals["hazardous"]["opening"]),
             "generated": t(hw_generated),
             "entrusted_disposed": t(totals["hazardous"]["used"]),
             "closing_stock": t(totals["hazardous"]["closing"])}],
        "receivers": receivers,
        "transfers": transfers,
    }
    if breach:
        kind = rng.randrange(4)
        hw = next(s for s in streams if s["category"] == "hazardous")
        if kind == 0:
            streams[0]["closing_stock"] = t(streams[0]["closing_stock"]["value"] * 1.05 + 10)
        elif kind == 1:
            next(x for x in transfers if x["stream"] == hw["id"]).pop("manifest_number")
        elif kind == 2:
            doc["hw_management"]["plan"]["filed"] = f"{year}-04-{rng.randint(1, 30):02d}"
        else:
            hw["hw_class"] = "HW01" if hw["hw_class"] != "HW01" else "HW02"
    return doc


def footprint(rng: random.Random, breach: bool) -> dict[str, Any]:
    """A PACT v3 ProductFootprint of a battery material or part, as exchanged
    (decimals as strings)."""
    def dec(x: float, places: int = 3) -> str:
        return f"{x:.{places}f}"

    fossil = rng.uniform(2, 400)
    luc = rng.uniform(0, 0.02) * fossil
    non_co2 = rng.uniform(0, 0.01) * fossil
    uptake = -rng.uniform(0, 0.01) * fossil
    excluding = round(fossil, 3) + round(luc, 3) + round(non_co2, 3)
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    unit = rng.choice(["kilogram", "piece"])
    start_year = rng.choice([2023, 2024])
    pf: dict[str, Any] = {
        "id": uid, "specVersion": "3.0.3", "created": f"{start_year + 1}-03-15T08:00:00Z",
        "status": "Active",
        "companyName": f"{rng.choice(['湖南', '江苏', '四川', '福建'])}新能源材料有限公司",
        "companyIds": [f"urn:pact:company:customcode:supplier-id:{rng.randint(1000, 9999)}"],
        "productDescription": rng.choice(["LFP cathode powder", "Graphite anode", "LFP cell",
                                          "Electrolyte", "Copper foil"]),
        "productIds": [f"urn:pact:product:customcode:supplier-id:P{rng.randint(100, 999)}"],
        "productNameCompany": f"P-{rng.randint(100, 999)}",
        "comment": "Cradle-to-gate.",
        "pcf": {
            "declaredUnitOfMeasurement": unit, "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "1" if unit == "kilogram" else dec(rng.uniform(0.5, 6)),
            "referencePeriodStart": f"{start_year}-01-01T00:00:00Z",
            "referencePeriodEnd": f"{start_year + 1}-01-01T00:00:00Z",
            "geographyCountry": "CN",
            "pcfExcludingBiogenicUptake": dec(excluding),
            "pcfIncludingBiogenicUptake": dec(excluding + round(uptake, 3)),
            "fossilGhgEmissions": dec(fossil), "landUseChangeGhgEmissions": dec(luc),
            "biogenicNonCO2Emissions": dec(non_co2), "biogenicCO2Uptake": dec(uptake),
            "fossilCarbonContent": dec(rng.uniform(0, 0.8)), "biogenicCarbonContent": "0",
            "packagingEmissionsIncluded": False,
            "ipccCharacterizationFactors": ["AR6"],
            "crossSectoralStandards": ["ISO14067", "GHGP-Product"],
            "exemptedEmissionsPercent": dec(rng.uniform(0, 4.5), 1),
            "exemptedEmissionsDescription": "Capital goods and office energy.",
            "secondaryEmissionFactorSources": [{"name": "ecoinvent", "version": "3.10"}],
            "primaryDataShare": dec(rng.uniform(10, 90), 1),
            "dqi": {"technologicalDQR": dec(rng.uniform(1, 3), 1),
                    "geographicalDQR": dec(rng.uniform(1, 3), 1),
                    "temporalDQR": dec(rng.uniform(1, 3), 1)},
        },
    }
    if breach:
        kind = rng.randrange(4)
        pcf = pf["pcf"]
        if kind == 0:
            pcf["pcfExcludingBiogenicUptake"] = dec(excluding * 1.2)
        elif kind == 1:
            pcf["exemptedEmissionsPercent"] = "7.5"
        elif kind == 2:
            pcf["declaredUnitOfMeasurement"] = "kg"
        else:
            pcf["referencePeriodStart"], pcf["referencePeriodEnd"] = (
                pcf["referencePeriodEnd"], pcf["referencePeriodStart"])
    return pf
