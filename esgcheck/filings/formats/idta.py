"""IDTA 02035-3 battery passport carbon footprints (an asset administration
shell submodel), onto eu-battery-cf; IDTA 02023 footprints recognised."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from esgcheck.filings.adapted import (
    Adapted,
    JsonPath,
    number_of,
    pattern_of,
    text_of,
    value_at,
)

# ---------------------------------------------------------------- IDTA 02035-3

# Digital Battery Passport, Part 3: Product Carbon Footprint (IDTA 02035-3, derived
# from IDTA 02023 Carbon Footprint). Each ProductCarbonFootprint entry gives one
# value for a set of EN 15804 life-cycle modules, per a reference unit and
# quantity. The Regulation's Annex II point 4 has four stages instead. The model's
# own description maps four modules, following DIN DKE SPEC 99100: A1 to raw
# material acquisition and pre-processing (6.3.5), A3 to main product production
# (6.3.4), A4 to distribution (6.3.5), C3 to end of life and recycling (6.3.6).
# The rest, as read here (README "IDTA 02035-3: EN 15804 modules and Annex II"):
#   C1, C2, C4 (and C1-C4, C2-C4): end of life and recycling, which Annex II
#     describes as collection, dismantling and recycling; disposal ends the life
#     cycle (Annex II(2)(e)).
#   B1-B7 and each B module: the use stage, outside Annex II unless justified
#     (canonical stage "use", for BATT-CF-016).
#   A2 (transport to the factory): raw materials to the cell plant belong to the
#     first stage, cells to the pack plant to the second; it straddles both.
#   A1-A3: raw materials and production together, both stages in one value.
#   A5 (installation) and A4-A5: no Annex II stage is installation.
#   D (benefits and loads beyond the system boundary): outside the system, where
#     PEF's circular footprint formula puts recycling credits inside end of life.
# An entry whose modules fall in one Annex II stage (or the use stage) is that
# stage. An entry touching all four stages is the total; one that also holds
# module D is not read (its value mixes in credits from outside the boundary). An
# entry straddling stages is kept as stage "other" with its modules as label, so
# the stages still add up to the total and BATT-CF-015-02 names it; an entry of
# module D alone is not read. Either way a note or a finding names the value.

_RAW, _MAIN, _DIST, _EOL = ("raw_material_acquisition", "main_production", "distribution",
                            "end_of_life")
_ANNEX_II = frozenset({_RAW, _MAIN, _DIST, _EOL})
_MODULE_STAGES: dict[str, frozenset[str]] = {
    "A1": frozenset({_RAW}),
    "A2": frozenset({_RAW, _MAIN}),
    "A3": frozenset({_MAIN}),
    "A4": frozenset({_DIST}),
    "A5": frozenset({"installation"}),
    **{f"B{n}": frozenset({"use"}) for n in range(1, 8)},
    **{f"C{n}": frozenset({_EOL}) for n in range(1, 5)},
    "D": frozenset({"module_d"}),
}
_MODULE = re.compile(r"^\s*([A-Da-d])\s*(\d)?(?:\s*[-\u2013]\s*([A-Da-d])?\s*(\d))?(?![\dA-Za-z])")
_IDTA_BATTERY_CF = "urn:samm:io.admin-shell.idta.batterypass.carbon_footprint:"
_IDTA_CF = "https://admin-shell.io/idta/CarbonFootprint/CarbonFootprint/"
_IDTA_BATTERY_KEYS = ("performanceclass", "weblinktopubliccarbonfootprintstudy")
# Reference units of IDTA 02023: per kWh gives the footprint per functional unit,
# per piece the footprint of the whole battery, the rest per mass, volume or area.
_IDTA_UNITS = {"kwh": "kgCO2e/kWh", "piece": "kgCO2e", "g": "kgCO2e/g", "kg": "kgCO2e/kg",
               "t": "kgCO2e/t", "ml": "kgCO2e/mL", "l": "kgCO2e/L", "cbm": "kgCO2e/m3",
               "qm": "kgCO2e/m2"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def en15804_modules(phase: Any) -> list[str] | None:
    """The EN 15804 modules a life-cycle phase names ("A1-A3" -> A1, A2, A3), or
    None for a phase that names none."""
    if not isinstance(phase, str):
        return None
    m = _MODULE.match(phase)
    if m is None:
        return None
    letter, first, letter2, last = m[1].upper(), m[2], (m[3] or m[1]).upper(), m[4]
    if letter == "D":
        return ["D"] if first is None and last is None else None
    if first is None or letter2 != letter:
        return None
    end = int(last) if last is not None else int(first)
    names = [f"{letter}{n}" for n in range(int(first), end + 1)]
    return names if names and all(n in _MODULE_STAGES for n in names) else None


def _semantic_ids(element: Mapping[str, Any]) -> list[str]:
    refs = [element.get("semanticId"), *(element.get("supplementalSemanticIds") or [])]
    return [str(k.get("value")) for r in refs if isinstance(r, dict)
            for k in r.get("keys") or [] if isinstance(k, dict)]


def _aas_submodel(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any], JsonPath] | None:
    """An IDTA carbon-footprint submodel (02023 or 02035-3): the document itself
    (a Submodel as the AAS API serves it) or one in an environment's
    ``submodels``, and its path."""
    if isinstance(doc.get("submodelElements"), list):
        candidates: list[tuple[Any, JsonPath]] = [(doc, ())]
    elif isinstance(doc.get("submodels"), list):
        candidates = [(sm, ("submodels", i)) for i, sm in enumerate(doc["submodels"])]
    else:
        return None
    for prefixes in ((_IDTA_BATTERY_CF,), (_IDTA_BATTERY_CF, _IDTA_CF)):  # 02035-3 first
        for sm, path in candidates:
            if isinstance(sm, dict) and any(i.startswith(prefixes) for i in _semantic_ids(sm)):
                return sm, path
    return None


_XS_NUMBERS = ("xs:decimal", "xs:double", "xs:float", "xs:integer", "xs:int", "xs:long",
               "xs:short")


def _aas_view(element: Any, src: JsonPath, where: dict[JsonPath, JsonPath],
              at: JsonPath) -> Any:
    """The value of an AAS submodel element as the value-only form writes it
    (collections as objects by idShort, lists as arrays, properties as their
    values, numbers as exact numbers), recording each view path's source path."""
    if not isinstance(element, dict):
        return None
    kind = element.get("modelType")
    children = element.get("value")
    where[at] = src
    if kind == "SubmodelElementCollection":
        out: dict[str, Any] = {}
        for i, child in enumerate(children if isinstance(children, list) else []):
            name = child.get("idShort") if isinstance(child, dict) else None
            if isinstance(name, str):
                out[name] = _aas_view(child, (*src, "value", i), where, (*at, name))
        return out
    if kind == "SubmodelElementList":
        return [_aas_view(child, (*src, "value", i), where, (*at, i))
                for i, child in enumerate(children if isinstance(children, list) else [])]
    if kind == "Property":
        if children is None:
            return None
        where[at] = (*src, "value")
        if element.get("valueType") in _XS_NUMBERS and isinstance(children, str):
            try:
                number = Decimal(children.strip())
            except InvalidOperation:
                return children  # the schema reports a value that is not a number
            return number if number.is_finite() else children
        return children
    return None


def idta_view(doc: Mapping[str, Any]) -> tuple[Any, dict[JsonPath, JsonPath] | None, str] | None:
    """The IDTA carbon-footprint content in value-only form, the map from its paths
    to the document's (None: the document is that form) and the form's name."""
    if isinstance(doc.get("ProductCarbonFootprints"), list):
        return doc, None, "value-only"
    found = _aas_submodel(doc)
    if found is None:
        return None
    sm, path = found
    where: dict[JsonPath, JsonPath] = {(): path}
    view: dict[str, Any] = {}
    for i, element in enumerate(sm.get("submodelElements") or []):
        name = element.get("idShort") if isinstance(element, dict) else None
        if isinstance(name, str):
            view[name] = _aas_view(element, (*path, "submodelElements", i), where, (name,))
    return view, where, "AAS submodel" if not path else "AAS environment"


def _fold(entry: Any) -> dict[str, tuple[str, Any]]:
    """An entry's members by lower-case name: the value-only form and the AAS
    idShorts spell some differently (PcfCo2eq, PcfCO2eq)."""
    if not isinstance(entry, dict):
        return {}
    return {str(k).lower(): (k, v) for k, v in entry.items()}


def _idta_is_battery(view: Any) -> bool:
    entries = value_at(view, ("ProductCarbonFootprints",))
    return isinstance(entries, list) and any(
        key in _fold(e) for e in entries for key in _IDTA_BATTERY_KEYS)


def is_idta_battery(doc: Mapping[str, Any]) -> bool:
    found = idta_view(doc)
    if found is None:
        return False
    view, _, form = found
    if form != "value-only":
        sub = _aas_submodel(doc)
        if sub is not None and any(i.startswith(_IDTA_BATTERY_CF) for i in _semantic_ids(sub[0])):
            return True
    return _idta_is_battery(view)


def read_idta(doc: Mapping[str, Any]) -> Adapted:
    """IDTA 02035-3 Digital Battery Passport Part 3, in the value-only form of its
    aspect model (io.admin-shell.idta.batterypass.carbon_footprint 1.0.0), as an
    AAS Submodel or in an AAS environment."""
    found = idta_view(doc)
    assert found is not None
    view, where, form = found

    def src(*path: str | int) -> JsonPath:
        if where is None:
            return path
        cut = len(path)
        while cut and path[:cut] not in where:
            cut -= 1
        return where.get(path[:cut], ())

    out = Adapted("eu-battery-cf", f"IDTA 02035-3 Product Carbon Footprint 1.0 ({form})",
                  {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "idta-02035-3", "version": "1.0"}
    d: JsonPath = ("declarations", 0)
    cf = (*d, "carbon_footprint")
    out.place(d, src("ProductCarbonFootprints"))
    out.place(cf, src("ProductCarbonFootprints"))
    pp: JsonPath = ("passport", "carbon_footprint")
    entries = [e for e in value_at(view, ("ProductCarbonFootprints",)) or []]
    read = [_idta_entry(out, e, ("ProductCarbonFootprints", i), src)
            for i, e in enumerate(entries)]
    totals = [r for r in read if r.kind == "total"]
    # The per-kWh total (or the per-mass one, which BATT-CF-014 then refuses) and the
    # per-piece one (the whole battery's footprint) are different fields; a second
    # of either is not read.
    per_unit = [r for r in totals if r.unit != "kgCO2e"]
    whole = [r for r in totals if r.unit == "kgCO2e"]
    for target in ((*cf, "total"), (*pp, "total")):
        if per_unit:
            out.quantity(target, per_unit[0].value, per_unit[0].unit, per_unit[0].value_src,
                         per_unit[0].unit_src)
        elif not any(r.kind == "unread_total" for r in read):
            out.carried.add(pattern_of(target))  # the model has a place for it: absent
    for extra in per_unit[1:] + whole[1:]:
        out.note("second_total", extra.value_src, extra.raw)
    if whole:
        out.quantity((*cf, "absolute"), whole[0].value, "kgCO2e", whole[0].value_src,
                     whole[0].unit_src)
    else:
        out.carried.add(pattern_of((*cf, "absolute")))
    stages = [r for r in read if r.kind == "stage"]
    if stages:
        out.put((*cf, "stages"), [], src("ProductCarbonFootprints"))
    else:
        out.carried.add(pattern_of((*cf, "stages")))
    for n, r in enumerate(stages):
        at = (*cf, "stages", n)
        out.place(at, r.entry_src)
        out.put((*at, "stage"), r.stage, r.phases_src)
        if r.stage == "other":
            out.put((*at, "label"), r.label, r.phases_src)
        out.quantity((*at, "value"), r.value, r.unit, r.value_src, r.unit_src)
    # Entry-level fields come from the total where it gives them, else from the
    # first entry that does.
    ordered = sorted(range(len(entries)), key=lambda i: read[i].kind != "total")
    for name, targets in (
        ("pcfcalculationmethods", ((*cf, "method"),)),
        ("performanceclass", ((*cf, "performance_class"), (*pp, "performance_class"))),
        ("weblinktopubliccarbonfootprintstudy", ((*cf, "study_url"), (*pp, "study_url"))),
    ):
        given = [(i, _fold(entries[i]).get(name)) for i in ordered]
        first = next(((i, kv) for i, kv in given if kv is not None and kv[1] is not None), None)
        if first is None:
            for target in targets:
                out.carried.add(pattern_of(target))
            continue
        i, (key, value) = first
        at_src = src("ProductCarbonFootprints", i, key)
        if name == "performanceclass":
            for target in targets:
                out.put(target, value, at_src)
            continue
        items = _listed(out, value, at_src)
        if name == "pcfcalculationmethods":
            out.put(targets[0], "; ".join(text_of(v) for v in items), at_src)
            continue
        link = items[0] if items else None
        item_src = src("ProductCarbonFootprints", i, key, 0) if isinstance(value, list) else at_src
        if isinstance(link, str) and _SCHEME.match(link):
            for target in targets:
                out.put(target, link, item_src)
        elif link is not None:
            # a document identifier of the Handover Documentation submodel (IDTA
            # 02035-2), where the link itself is: not a link, not read
            out.note("document_identifier", item_src, link)
    return out


@dataclass
class _Entry:
    kind: str  # total, unread_total, stage, unread
    raw: Any = None
    value: Any = None
    unit: str = ""
    stage: str = ""
    label: str = ""
    entry_src: JsonPath = ()
    value_src: JsonPath = ()
    unit_src: JsonPath = ()
    phases_src: JsonPath = ()


def _listed(out: Adapted, value: Any, source: JsonPath) -> list[Any]:
    """A member the model makes a list, as a list: a single value where the list
    belongs is read as a list of one, with a note (the model's own example
    payload writes ``"LifeCyclePhases": "C4 - landfill"``)."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    out.note("one_as_list", source, value, json.dumps([text_of(value)], ensure_ascii=False))
    return [value]


def _idta_entry(out: Adapted, entry: Any, path: JsonPath,
                src: Callable[..., JsonPath]) -> _Entry:
    """One ProductCarbonFootprint entry: which Annex II field it is, in which unit."""
    members = _fold(entry)
    co2_key, raw = members.get("pcfco2eq", ("PcfCo2eq", None))
    unit_key, ref = members.get("referenceimpactunitforcalculation",
                                ("ReferenceImpactUnitForCalculation", None))
    q_key, quantity = members.get("quantityofmeasureforcalculation",
                                  ("QuantityOfMeasureForCalculation", None))
    ph_key, phases = members.get("lifecyclephases", ("LifeCyclePhases", None))
    r = _Entry("unread", raw=raw, entry_src=src(*path), value_src=src(*path, co2_key),
               unit_src=src(*path, unit_key), phases_src=src(*path, ph_key))
    if raw is None:
        return r
    listed = _listed(out, phases, r.phases_src)
    modules: list[str] = []
    for k, phase in enumerate(listed):
        named = en15804_modules(phase)
        if named is None:
            at = src(*path, ph_key, k) if isinstance(phases, list) else r.phases_src
            out.note("unknown_phase", at, phase)
            return r
        modules += named
    if not modules:
        out.note("no_phase", r.value_src, raw)
        return r
    touched = frozenset().union(*(_MODULE_STAGES[m] for m in modules))
    r.label = ", ".join(text_of(p) for p in listed)
    unit = _IDTA_UNITS.get(str(ref).strip().lower()) if isinstance(ref, str) else None
    if unit is None:
        # no unit, or one IDTA 02023 does not list: the value is not assumed to be per kWh
        out.note("no_unit" if ref in (None, "") else "unknown_unit", r.value_src, raw)
        return r
    r.unit = unit
    if touched >= _ANNEX_II:
        if "module_d" in touched:
            out.note("total_includes_module_d", r.value_src, raw)
            r.kind = "unread_total"
            return r
        r.kind = "total"
        for part, reason in (("installation", "total_includes_installation"),
                             ("use", "total_includes_use")):
            if part in touched:
                out.note(reason, r.phases_src, r.label, r.label)
    elif "module_d" in touched:
        out.note("module_d", r.value_src, raw)
        return r
    else:
        r.kind = "stage"
        one = next(iter(touched)) if len(touched) == 1 else "other"
        r.stage = one if one in _ANNEX_II or one == "use" else "other"
    number = number_of(raw)
    amount = number_of(quantity)
    if number is None or quantity is None or amount == 1:
        r.value = raw  # not a number: kept for the schema to report at its place
        if quantity is None and number is not None:
            out.note("quantity_missing", r.value_src, raw, f"{text_of(raw)} {unit}")
        return r
    if amount is None or amount <= 0:
        out.note("quantity_invalid", src(*path, q_key), quantity)
        r.kind = "unread_total" if r.kind == "total" else "unread"
        return r
    # the footprint of `amount` reference units: per one unit is the quotient (exact
    # where it terminates, else to 28 significant digits)
    value = Decimal(number) / Decimal(amount)
    r.value = value
    out.note("per_quantity", r.value_src, raw, f"{text_of(raw)} / {text_of(quantity)} = "
                                                f"{text_of(value)} {unit}")
    return r


