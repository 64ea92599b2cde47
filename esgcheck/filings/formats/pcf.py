"""Readers of product carbon footprints as companies exchange them, onto the
canonical ``product-carbon-footprint`` filing type.

PACT (WBCSD Partnership for Carbon Transparency) ProductFootprint JSON in its
v2.x and v3.x Technical Specifications, alone or in the API's ``{"data": ...}``
envelope (this module), and Catena-X ``io.catenax.pcf`` 9.x (``pcf_catenax``:
a nested model whose every sub-object is an array of entities). Field names,
types and constraints are those of the specifications' OpenAPI schemas (PACT, spec/v2 and spec/v3 of
wbcsd/data-exchange-protocol) and of the Catena-X aspect model's JSON schema
(eclipse-tractusx/sldt-semantic-models io.catenax.pcf/9.0.0); see the rule
base's README.

As for the battery passports (``adapters``), every canonical value remembers
the place in the file it came from, so findings point into the file received.
What the reader does to a value beyond copying it is a note (``source.notes``):
a decimal written as a JSON number where PACT wants a string, or the other way
round, a decimal with an exponent, a member the data model does not have. A
value that is not a number where one belongs is kept as written: the schema
reports it at its place in the source and the rules that need it are not
assessable. Nothing is dropped in silence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from esgcheck.filings.adapted import Adapted, JsonPath
from esgcheck.filings.formats.pcf_time import put_instant

FILING_TYPE = "product-carbon-footprint"

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_EXPONENT = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_SPEC = re.compile(r"^(\d+)\.\d+\.\d+(-\d{8})?$")

# PACT members by version: (canonical path, v2 name, v3 name, kind). Kinds:
# "str", "list", "instant" (a date-time: its UTC date, and its time of day beside
# it, see pcf_time), "int", "bool", "dec" (a decimal string in that version),
# "num" (a JSON number in v2, a decimal string in v3).
_TOP: tuple[tuple[JsonPath, str | None, str | None, str], ...] = (
    (("id",), "id", "id", "str"),
    (("preceding_ids",), "precedingPfIds", "precedingPfIds", "list"),
    (("version",), "version", None, "int"),
    (("created",), "created", "created", "instant"),
    (("updated",), "updated", None, "instant"),
    (("status",), "status", "status", "str"),
    (("validity_period", "start"), "validityPeriodStart", "validityPeriodStart", "instant"),
    (("validity_period", "end"), "validityPeriodEnd", "validityPeriodEnd", "instant"),
    (("company_name",), "companyName", "companyName", "str"),
    (("company_ids",), "companyIds", "companyIds", "list"),
    (("product_description",), "productDescription", "productDescription", "str"),
    (("product_ids",), "productIds", "productIds", "list"),
    (("product_classifications",), "productClassifications", "productClassifications", "list"),
    (("product_category_cpc",), "productCategoryCpc", None, "str"),
    (("product_name",), "productNameCompany", "productNameCompany", "str"),
    (("comment",), "comment", "comment", "str"),
)
_UNREAD_TOP = {"specVersion", "statusComment", "extensions", "pcf"}  # read elsewhere, or not judged

_PCF: tuple[tuple[JsonPath, str | None, str | None, str], ...] = (
    (("declared_unit",), "declaredUnit", "declaredUnitOfMeasurement", "str"),
    (("declared_amount",), "unitaryProductAmount", "declaredUnitAmount", "dec"),
    (("product_mass",), "productMassPerDeclaredUnit", "productMassPerDeclaredUnit", "dec"),
    (("reference_period", "start"), "referencePeriodStart", "referencePeriodStart", "instant"),
    (("reference_period", "end"), "referencePeriodEnd", "referencePeriodEnd", "instant"),
    (("geography", "region"), "geographyRegionOrSubregion", "geographyRegionOrSubregion", "str"),
    (("geography", "country"), "geographyCountry", "geographyCountry", "str"),
    (("geography", "subdivision"), "geographyCountrySubdivision",
     "geographyCountrySubdivision", "str"),
    (("boundary_processes_description",), "boundaryProcessesDescription",
     "boundaryProcessesDescription", "str"),
    (("emissions", "excluding_uptake"), "pCfExcludingBiogenic", "pcfExcludingBiogenicUptake",
     "dec"),
    (("emissions", "including_uptake"), "pCfIncludingBiogenic", "pcfIncludingBiogenicUptake",
     "dec"),
    (("emissions", "fossil"), "fossilGhgEmissions", "fossilGhgEmissions", "dec"),
    (("emissions", "biogenic_non_co2"), "otherBiogenicGhgEmissions", "biogenicNonCO2Emissions",
     "dec"),
    (("emissions", "biogenic_uptake"), "biogenicCarbonWithdrawal", "biogenicCO2Uptake", "dec"),
    (("emissions", "land_use_change"), "dLucGhgEmissions", "landUseChangeGhgEmissions", "dec"),
    (("emissions", "iluc"), "iLucGhgEmissions", None, "dec"),
    (("emissions", "land_management"), "landManagementGhgEmissions", None, "dec"),
    (("emissions", "land_management_fossil"), None, "landManagementFossilGhgEmissions", "dec"),
    (("emissions", "land_management_biogenic_emissions"), None,
     "landManagementBiogenicCO2Emissions", "dec"),
    (("emissions", "land_management_biogenic_removals"), None,
     "landManagementBiogenicCO2Removals", "dec"),
    (("emissions", "aircraft"), "aircraftGhgEmissions", "aircraftGhgEmissions", "dec"),
    (("emissions", "packaging"), "packagingGhgEmissions", "packagingGhgEmissions", "dec"),
    (("emissions", "outbound_logistics"), None, "outboundLogisticsGhgEmissions", "dec"),
    (("emissions", "ccs_capture"), None, "ccsTechnologicalCO2Capture", "dec"),
    (("emissions", "technological_removals"), None, "technologicalCO2Removals", "dec"),
    (("carbon_content", "fossil"), "fossilCarbonContent", "fossilCarbonContent", "dec"),
    (("carbon_content", "biogenic"), "biogenicCarbonContent", "biogenicCarbonContent", "dec"),
    (("carbon_content", "recycled"), None, "recycledCarbonContent", "dec"),
    (("carbon_content", "packaging_biogenic"), None, "packagingBiogenicCarbonContent", "dec"),
    (("characterization_factors",), "ipccCharacterizationFactorsSources",
     "ipccCharacterizationFactors", "list"),
    (("characterization_factors_v2",), "characterizationFactors", None, "str"),
    (("cross_sectoral_standards",), "crossSectoralStandards", "crossSectoralStandards", "list"),
    (("cross_sectoral_standards_v2",), "crossSectoralStandardsUsed", None, "list"),
    (("biogenic_accounting_methodology",), "biogenicAccountingMethodology", None, "str"),
    (("exempted_percent",), "exemptedEmissionsPercent", "exemptedEmissionsPercent", "num"),
    (("exempted_description",), "exemptedEmissionsDescription", "exemptedEmissionsDescription",
     "str"),
    (("packaging_included",), "packagingEmissionsIncluded", "packagingEmissionsIncluded", "bool"),
    (("ccs_included",), None, "ccsTechnologicalCO2CaptureIncluded", "bool"),
    (("allocation_description",), "allocationRulesDescription", "allocationRulesDescription",
     "str"),
    (("primary_data_share",), "primaryDataShare", "primaryDataShare", "num"),
)
# Members read elsewhere (productOrSectorSpecificRules, dqi, ...) or deliberately
# not judged (uncertainty, land area, CCU details): known, so not noted.
_PCF_OTHER = {
    2: {"productOrSectorSpecificRules", "secondaryEmissionFactorSources", "dqi", "assurance",
        "uncertaintyAssessmentDescription"},
    3: {"productOrSectorSpecificRules", "secondaryEmissionFactorSources", "dqi", "verification",
        "landCarbonLeakage", "landAreaOccupation", "technologicalCO2CaptureOrigin",
        "ccuCarbonContent", "ccuCalculationApproach", "ccuCreditCertification"},
}
_DQI = {"coveragePercent": "coverage_percent", "technologicalDQR": "technological",
        "temporalDQR": "temporal", "geographicalDQR": "geographical",
        "completenessDQR": "completeness", "reliabilityDQR": "reliability"}
_ASSURANCE = {"assurance": "assured", "providerName": "provider_name", "coverage": "coverage",
              "level": "level", "boundary": "boundary", "standardName": "standard_name"}


# ---------------------------------------------------------------- values

def _decimal(out: Adapted, path: JsonPath, value: Any, source: JsonPath, as_string: bool,
             model: str) -> None:
    """A decimal of the data model: a string in ``^[+-]?\\d+(\\.\\d+)?$`` where
    ``as_string``, else a JSON number. The other form is read, with a note;
    anything else is kept as written for the schema to report."""
    if value is None or isinstance(value, bool):
        out.put(path, value, source)
        return
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.match(text) or _EXPONENT.match(text):
            read = Decimal(text)
            if _EXPONENT.match(text):
                out.note("decimal_exponent", source, value, str(read))
            elif not as_string:
                out.note("string_as_number", source, value, str(read))
            out.put(path, read, source)
            return
        out.put(path, value, source)  # not a number: the schema reports it here
        return
    if isinstance(value, int | float | Decimal):
        number = value if isinstance(value, int | Decimal) else Decimal(repr(value))
        if as_string:
            out.note("number_as_decimal_string", source, value, f"{number} ({model})")
        out.put(path, number, source)
        return
    out.put(path, value, source)


def _value(out: Adapted, path: JsonPath, value: Any, source: JsonPath, kind: str,
           major: int, model: str) -> None:
    if kind == "instant":
        put_instant(out, path, value, source, model)
    elif kind == "dec":
        _decimal(out, path, value, source, True, model)
    elif kind == "num":
        _decimal(out, path, value, source, major >= 3, model)
    elif kind == "list" and isinstance(value, str):
        out.note("one_as_list", source, value, f'["{value}"]')
        out.put(path, [value], source)
    elif kind == "list" and isinstance(value, list):
        out.put(path, value, source)
        for i in range(len(value)):
            out.origin[(*path, i)] = (*source, i)
    else:
        out.put(path, value, source)


# ---------------------------------------------------------------- PACT

def _pact_body(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], JsonPath] | None:
    """The ProductFootprint in ``doc`` and where it sits: the document itself,
    or the API response's ``data`` (an object, or a list of one)."""
    candidates: list[tuple[Any, JsonPath]] = [(doc, ())]
    data = doc.get("data")
    if isinstance(data, dict):
        candidates.append((data, ("data",)))
    elif isinstance(data, list) and len(data) == 1:
        candidates.append((data[0], ("data", 0)))
    for pf, at in candidates:
        if isinstance(pf, Mapping) and isinstance(pf.get("pcf"), dict) and any(
                k in pf for k in ("specVersion", "companyIds", "productIds", "companyName")):
            spec = pf.get("specVersion")
            if isinstance(spec, list) or (isinstance(spec, str) and "catenax" in spec.lower()):
                return None  # Catena-X PCF 8.x and earlier: recognised, not read
            return pf, at
    return None


def is_pact(doc: Mapping[str, Any]) -> bool:
    return _pact_body(doc) is not None


def read_pact(doc: Mapping[str, Any]) -> Adapted:
    found = _pact_body(doc)
    assert found is not None
    pf, at = found
    spec = pf.get("specVersion")
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    major = int(m[1]) if m else 0
    dialect = {2: "pact-v2", 3: "pact-v3"}.get(major, "pact-other")
    model = f"PACT v{major}" if major in (2, 3) else "PACT"
    label = f"PACT ProductFootprint {spec}" if isinstance(spec, str) else "PACT ProductFootprint"
    out = Adapted(FILING_TYPE, label, {"filing_type": FILING_TYPE})
    out.put(("source", "format"), label, at)
    out.put(("source", "dialect"), dialect, (*at, "specVersion"))
    out.put(("source", "spec_version"), spec if isinstance(spec, str) else None,
            (*at, "specVersion"))
    pcf = pf["pcf"]
    pcf_at: JsonPath = (*at, "pcf")
    for table, node, base, other in ((_TOP, pf, at, _UNREAD_TOP),
                                     (_PCF, pcf, pcf_at, _PCF_OTHER.get(major, set()))):
        known = set(other)
        for path, v2, v3, kind in table:
            names = [v2] if major == 2 else [v3] if major == 3 else [v3, v2]
            for name in names:
                if name is None:
                    continue
                known.add(name)
                if name in node:
                    _value(out, path, node[name], (*base, name), kind, major, model)
                    break
            else:
                out.put(path, None, base)
        if major in (2, 3):
            for key in node:
                if key not in known:
                    out.note("not_in_data_model", (*base, key), node[key])
    # blocks of the canonical form that stand for several members of the source
    for block in ("emissions", "carbon_content", "geography", "reference_period"):
        out.place((block,), pcf_at)
    out.place(("validity_period",), (*at, "validityPeriodEnd" if "validityPeriodEnd" in pf
                                     else "validityPeriodStart"))
    _pact_rules(out, pcf, pcf_at)
    _pact_quality(out, pcf, pcf_at, major, model)
    return out


def _pact_rules(out: Adapted, pcf: Mapping[str, Any], at: JsonPath) -> None:
    rules = pcf.get("productOrSectorSpecificRules")
    out.put(("product_rules",), None, at)
    if not isinstance(rules, list):
        if rules is not None:
            out.put(("product_rules",), rules, (*at, "productOrSectorSpecificRules"))
        return
    for i, rule in enumerate(rules):
        src: JsonPath = (*at, "productOrSectorSpecificRules", i)
        out.place(("product_rules", i), src)
        if not isinstance(rule, Mapping):
            out.put(("product_rules", i), rule, src)
            continue
        out.put(("product_rules", i, "operator"), rule.get("operator"), (*src, "operator"))
        _value(out, ("product_rules", i, "rule_names"), rule.get("ruleNames"),
               (*src, "ruleNames"), "list", 3, "PACT")
        out.put(("product_rules", i, "other_operator_name"), rule.get("otherOperatorName"),
                (*src, "otherOperatorName"))
        out.doc.setdefault("product_rules", [])
        while len(out.doc["product_rules"]) <= i:
            out.doc["product_rules"].append({})


def _pact_quality(out: Adapted, pcf: Mapping[str, Any], at: JsonPath, major: int,
                  model: str) -> None:
    sources = pcf.get("secondaryEmissionFactorSources")
    out.put(("secondary_sources",), None, at)
    if isinstance(sources, list):
        for i, item in enumerate(sources):
            src: JsonPath = (*at, "secondaryEmissionFactorSources", i)
            out.place(("secondary_sources", i), src)
            if isinstance(item, Mapping):
                out.doc.setdefault("secondary_sources", [])
                while len(out.doc["secondary_sources"]) <= i:
                    out.doc["secondary_sources"].append({})
                out.put(("secondary_sources", i, "name"), item.get("name"), (*src, "name"))
                out.put(("secondary_sources", i, "version"), item.get("version"),
                        (*src, "version"))
            else:
                out.put(("secondary_sources", i), item, src)
    dqi = pcf.get("dqi")
    for key, name in _DQI.items():
        value = dqi.get(key) if isinstance(dqi, Mapping) else None
        _decimal(out, ("dqi", name), value, (*at, "dqi", key), major >= 3, model)
    if isinstance(dqi, Mapping):
        out.place(("dqi",), (*at, "dqi"))
    block = "verification" if major >= 3 else "assurance"
    assurance = pcf.get(block)
    if isinstance(assurance, Mapping):
        out.place(("assurance",), (*at, block))
        out.doc.setdefault("assurance", {})
        for key, name in _ASSURANCE.items():
            out.put(("assurance", name), assurance.get(key), (*at, block, key))
        out.put(("assurance", "completed_at"), out.day(assurance.get("completedAt"),
                (*at, block, "completedAt")), (*at, block, "completedAt"))
    else:
        out.put(("assurance",), assurance, (*at, block))
