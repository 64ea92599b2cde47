"""Readers for formats the industry already produces, onto a canonical filing type.

A battery maker exports its passport data in the Battery Pass data model, as a
Catena-X aspect or as an IDTA submodel of the asset administration shell, not in
esgcheck's canonical form. Each reader here recognises one such format from its
keys, and builds the canonical filing, remembering for every canonical value the
place in the source it came from: findings then point into the file the user
gave, not into a converted copy.

A field the source format does not carry is simply absent from the canonical
filing, so rules that need it report ``not_assessable`` naming it, instead of
passing or failing. A value a reader deliberately leaves unread (a life-cycle
module with no Annex II stage, a footprint without a unit) counts the same way,
and the reader says why in a note.

Notes (``source.notes`` of the canonical filing) are how a reader reports what
it did to a value beyond copying it: a date read by the day.month.year rule, a
unit taken from the data model because the payload has none, a value it did not
read and why. Each note keeps the value as written and points at it; the rule
base reports every note as a finding, so nothing is read or dropped silently.

Some formats are recognised only to be refused with a useful message: a
supplier's product carbon footprint (Catena-X before 9.x, IDTA 02023) is an
input to a battery's footprint, not a declaration (``recognise``). PACT
ProductFootprints and Catena-X PCF 9.x are read, onto the filing type
``product-carbon-footprint`` (``pcf``, ``pcf_catenax``), and refused by name as a battery's
declaration.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

JsonPath = tuple[str | int, ...]


@dataclass(eq=False)
class Adapted:
    """A canonical filing built from a source document, and where each of its
    values came from (canonical path -> source path)."""

    filing_type: str
    format: str
    doc: dict[str, Any]
    origin: dict[JsonPath, JsonPath] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # canonical pointers, "*" for indexes
    _noted: dict[tuple[str, JsonPath], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _register(self)

    def put(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """Set the canonical value at ``path`` (creating objects and list items on
        the way), read from ``source``. Absent source values are left out, but
        the field is still one the format carries."""
        self.carried.add(_pattern(path))
        if value is None:
            return
        node: Any = self.doc
        for i, key in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(key, int):
                while len(node) <= key:
                    node.append({})
                node = node[key]
            else:
                node = node.setdefault(key, [] if isinstance(nxt, int) else {})
        last = path[-1]
        if isinstance(last, int):
            while len(node) <= last:
                node.append(None)
        node[last] = value
        self.origin[path] = source

    def put_first(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """``put``, unless an earlier source already gave the value."""
        if path in self.origin:
            self.carried.add(_pattern(path))
        else:
            self.put(path, value, source)

    def quantity(self, path: JsonPath, value: Any, unit: str, source: JsonPath,
                 unit_source: JsonPath | None = None) -> None:
        """A quantity read from a bare number of the source, in ``unit``. The
        number is kept as the parser read it (an exact ``Decimal`` for ``1.5E2``
        or for more digits than a double holds); anything that is not a number
        is kept too, so the schema reports it once, at the source value."""
        if value is None:
            self.carried.add(_pattern(path))
            return
        self.put(path, {"value": value, "unit": unit}, source)
        self.origin[(*path, "value")] = source
        self.origin[(*path, "unit")] = unit_source or source

    def place(self, path: JsonPath, source: JsonPath) -> None:
        """Record that the canonical object at ``path`` stands for ``source``."""
        self.origin.setdefault(path, source)

    def note(self, reason: str, source: JsonPath, value: Any, read_as: str | None = None
             ) -> None:
        """Say what the reader did to the source value at ``source``: read it as
        ``read_as`` by a stated rule, or (without ``read_as``) left it unread.
        One note per value and reason, however many canonical fields it feeds."""
        if (reason, source) in self._noted:
            return
        notes = self.doc.setdefault("source", {}).setdefault("notes", [])
        at: JsonPath = ("source", "notes", len(notes))
        item: dict[str, Any] = {"reason": reason, "field": _pointer(source), "value": _text(value)}
        if read_as is not None:
            item["read_as"] = read_as
        notes.append(item)
        self._noted[(reason, source)] = len(notes) - 1
        self.origin[at] = source
        for key in ("reason", "field", "value", "read_as"):
            self.carried.add(_pattern((*at, key)))  # a note without read_as: not read
            if key in item:
                self.origin[(*at, key)] = source

    def day(self, value: Any, source: JsonPath) -> Any:
        """A date as ISO 8601: a date-time gives its date; ``DD.MM.YYYY`` (day
        first, as dotted dates are written in Europe; one-digit day or month
        too) is read with a note keeping the original; anything else stays as
        written, and the schema reports it."""
        if not isinstance(value, str):
            return value
        if _ISO_DAY.match(value):
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                return value
        m = _DAY_MONTH_YEAR.match(value)
        if m:
            try:
                iso = date(int(m[3]), int(m[2]), int(m[1])).isoformat()
            except ValueError:
                return value
            self.note("date_day_month_year", source, value, iso)
            return iso
        return value

    def country(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """A country, read when it is an ISO 3166-1 alpha-2 code. Several formats
        give the country as free text ("Germany"); such a name is noted, not
        read (esgcheck keeps no table of country names)."""
        if value in (None, "") or (isinstance(value, str) and _COUNTRY_CODE.match(value)):
            self.put(path, value or None, source)
        else:
            self.note("country_name", source, value)

    def carries(self, ptr: str) -> bool:
        """Whether the source format has a place for the canonical field at
        ``ptr`` (a JSON Pointer), whether or not this payload fills it."""
        pattern = re.sub(r"/\d+(?=/|$)", "/*", ptr)
        return any(pattern == c or c.startswith(pattern + "/") or pattern.startswith(c + "/")
                   for c in self.carried)

    def source_of(self, path: JsonPath) -> tuple[JsonPath, bool]:
        """The source path for a canonical path, and whether it is exact; else the
        source of the nearest enclosing canonical value that has one."""
        cut = len(path)
        while cut and path[:cut] not in self.origin:
            cut -= 1
        return self.origin.get(path[:cut], ()), cut == len(path)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(T|$)")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")

# The adapted filings alive, by the id of their canonical document: validation
# sees only the document, and one source value can stand in several canonical
# places (the passport repeats the declaration's footprint); its problem is one.
_LIVE: dict[int, weakref.ref[Adapted]] = {}


def _register(adapted: Adapted) -> None:
    key = id(adapted.doc)

    def forget(ref: weakref.ref[Adapted]) -> None:
        if _LIVE.get(key) is ref:
            del _LIVE[key]

    _LIVE[key] = weakref.ref(adapted, forget)


def adapted_for(doc: Any) -> Adapted | None:
    """The adapted filing whose canonical document ``doc`` is, if any."""
    ref = _LIVE.get(id(doc))
    adapted = ref() if ref is not None else None
    return adapted if adapted is not None and adapted.doc is doc else None


def _pattern(path: JsonPath) -> str:
    return "".join(f"/{'*' if isinstance(k, int) else k}" for k in path)


def _pointer(path: JsonPath) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


def _text(value: Any) -> str:
    """A source value as it was written, for a note."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _get(doc: Any, path: JsonPath) -> Any:
    for key in path:
        if isinstance(key, int):
            doc = doc[key] if isinstance(doc, list) and key < len(doc) else None
        else:
            doc = doc.get(key) if isinstance(doc, dict) else None
        if doc is None:
            return None
    return doc


def _reader(doc: Mapping[str, Any]) -> Callable[..., Any]:
    """``g("a", 0, "b")`` reads doc["a"][0]["b"], or None."""

    def g(*path: str | int) -> Any:
        return _get(doc, path)

    return g


def _number(value: Any) -> Decimal | int | None:
    """A JSON number as an exact value (floats by their shortest repr), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


# ---------------------------------------------------------------- Battery Pass

_BP_STAGES = {
    "RawMaterialExtraction": "raw_material_acquisition",
    "MainProduction": "main_production",
    "Distribution": "distribution",
    "Recycling": "end_of_life",
}
_BP_STATUS = {"Original": "original", "Repurposed": "repurposed", "Reused": "re-used",
              "Remanufactured": "remanufactured", "Waste": "waste"}
# Stationary energy storage is an industrial battery in the Regulation's terms.
_BP_CATEGORY = {"ev": "ev", "lmt": "lmt", "industrial": "industrial", "stationary": "industrial"}


def _is_battery_pass(doc: Mapping[str, Any]) -> bool:
    return "batteryCarbonFootprint" in doc or (
        "batteryPassportIdentifier" in doc and "batteryCategory" in doc)


def _battery_pass(doc: Mapping[str, Any]) -> Adapted:
    """Battery Pass data model v1.2.0: the CarbonFootprintForBatteries aspect,
    the GeneralProductInformation aspect, or both merged in one object."""
    has_cf = "batteryCarbonFootprint" in doc
    has_gpi = "batteryPassportIdentifier" in doc
    parts = [p for p, present in (("CarbonFootprint", has_cf),
                                  ("GeneralProductInformation", has_gpi)) if present]
    out = Adapted("eu-battery-cf", f"Battery Pass {' + '.join(parts)} 1.2.0",
                  {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "batterypass", "version": "1.2.0"}
    g = _reader(doc)
    if has_cf:
        d: JsonPath = ("declarations", 0)
        out.place(d, ())
        cf = (*d, "carbon_footprint")
        out.place(cf, ())
        out.quantity((*cf, "total"), g("batteryCarbonFootprint"), "kgCO2e/kWh",
                     ("batteryCarbonFootprint",))
        # The data model gives the absolute footprint in kilograms (its unit
        # "kilogramm"); DIN DKE SPEC 99100 speaks of tonnes. The model is what
        # the payload was written against.
        out.quantity((*cf, "absolute"), g("absoluteCarbonFootprint"), "kgCO2e",
                     ("absoluteCarbonFootprint",))
        stages = g("carbonFootprintPerLifecycleStage")
        if isinstance(stages, list):
            out.put((*cf, "stages"), [], ("carbonFootprintPerLifecycleStage",))
            for i, item in enumerate(stages):
                src: JsonPath = ("carbonFootprintPerLifecycleStage", i)
                out.place((*cf, "stages", i), src)
                stage = _get(item, ("lifecycleStage",))
                out.put((*cf, "stages", i, "stage"), _BP_STAGES.get(stage, stage),
                        (*src, "lifecycleStage"))
                out.quantity((*cf, "stages", i, "value"), _get(item, ("carbonFootprint",)),
                             "kgCO2e/kWh", (*src, "carbonFootprint"))
        out.put((*cf, "performance_class"), g("carbonFootprintPerformanceClass"),
                ("carbonFootprintPerformanceClass",))
        out.put((*cf, "study_url"), g("carbonFootprintStudy"), ("carbonFootprintStudy",))
        p: JsonPath = ("passport", "carbon_footprint")
        out.quantity((*p, "total"), g("batteryCarbonFootprint"), "kgCO2e/kWh",
                     ("batteryCarbonFootprint",))
        out.put((*p, "performance_class"), g("carbonFootprintPerformanceClass"),
                ("carbonFootprintPerformanceClass",))
        out.put((*p, "study_url"), g("carbonFootprintStudy"), ("carbonFootprintStudy",))
    if has_gpi:
        p = ("passport",)
        out.place(p, ())
        out.put((*p, "identifier"), g("batteryPassportIdentifier"), ("batteryPassportIdentifier",))
        out.put((*p, "product_identifier"), g("productIdentifier"), ("productIdentifier",))
        category = g("batteryCategory")
        out.put((*p, "category"), _BP_CATEGORY.get(category, category), ("batteryCategory",))
        status = g("batteryStatus")
        out.put((*p, "status"), _BP_STATUS.get(status, status), ("batteryStatus",))
        m = ("manufacturerInformation",)
        out.put((*p, "manufacturer", "name"), g(*m, "contactName"), (*m, "contactName"))
        out.put((*p, "manufacturer", "identifier"), g(*m, "identifier"), (*m, "identifier"))
        out.put((*p, "manufacturing_date"),
                out.day(g("manufacturingDate"), ("manufacturingDate",)), ("manufacturingDate",))
        out.put((*p, "putting_into_service"),
                out.day(g("puttingIntoService"), ("puttingIntoService",)),
                ("puttingIntoService",))
        out.country((*p, "plant", "country"), g("manufacturingPlace", "addressCountry"),
                    ("manufacturingPlace", "addressCountry"))
        if has_cf:  # the declaration's administrative part, from the same passport
            d = ("declarations", 0)
            out.put((*d, "manufacturer", "name"), g(*m, "contactName"), (*m, "contactName"))
            out.put((*d, "manufacturer", "identifier"), g(*m, "identifier"), (*m, "identifier"))
            for key, src_key in (("street", "streetAddress"), ("postal_code", "postalCode"),
                                 ("country", "addressCountry")):
                put = out.country if key == "country" else out.put
                put((*d, "manufacturer", "address", key), g(*m, "postalAddress", src_key),
                    (*m, "postalAddress", src_key))
                put((*d, "plant", key), g("manufacturingPlace", src_key),
                    ("manufacturingPlace", src_key))
            out.put((*d, "manufacturer", "email"), g(*m, "emailAddress"), (*m, "emailAddress"))
            out.put((*d, "manufacturer", "web"), g(*m, "webAddress"), (*m, "webAddress"))
            out.put((*d, "battery", "category"), _BP_CATEGORY.get(category, category),
                    ("batteryCategory",))
            out.quantity((*d, "battery", "mass"), g("batteryMass"), "kg", ("batteryMass",))
            out.put((*d, "reuse", "status"), _BP_STATUS.get(status, status), ("batteryStatus",))
    return out


# ---------------------------------------------------------------- Catena-X 6.x

_CX_CATEGORY = {"EV": "ev", "LMT": "lmt", "SLI": "sli", "industrial": "industrial",
                "portable": "portable"}
_CX_STAGES = {
    "raw material acquisition and pre-processing": "raw_material_acquisition",
    "main product production": "main_production",
    "distribution": "distribution",
    "end of life and recycling": "end_of_life",
}
_CX_TOTAL = re.compile(r"total|life ?cycle|cradle", re.IGNORECASE)


def _is_catena_x(doc: Mapping[str, Any]) -> bool:
    return all(k in doc for k in ("identification", "sustainability")) and (
        "metadata" in doc or "operation" in doc)


def _catena_x(doc: Mapping[str, Any]) -> Adapted:
    """Catena-X ``io.catenax.battery.battery_pass`` 6.x."""
    spec = _get(doc, ("metadata", "specVersion"))  # urn:samm:io.catenax.battery.battery_pass:6.1.0
    version = spec.rsplit(":", 1)[-1] if isinstance(spec, str) and spec else "6.x"
    out = Adapted("eu-battery-cf", f"Catena-X battery_pass {version}",
                  {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "catena-x-battery-pass", "version": version}
    g = _reader(doc)
    p: JsonPath = ("passport",)
    out.place(p, ())
    ident = ("identification", "identification")
    category = g("identification", "category")
    mapped_category = _CX_CATEGORY.get(category, category)
    model = g(*ident, "type", "nameAtManufacturer") or g(*ident, "type", "manufacturerPartId")
    model_src = (*ident, "type", "nameAtManufacturer") if g(
        *ident, "type", "nameAtManufacturer") else (*ident, "type", "manufacturerPartId")
    plant = g("operation", "manufacturer", "facility", 0, "facility")
    plant_src: JsonPath = ("operation", "manufacturer", "facility", 0, "facility")
    dates: list[tuple[JsonPath, JsonPath]] = [
        (("issue_date",), ("metadata", "issueDate")),
        (("expiration_date",), ("metadata", "expirationDate")),
        (("manufacturing_date",), ("operation", "manufacturer", "manufacturingDate")),
        (("putting_into_service",), ("operation", "intoServiceDate")),
    ]
    mapping: list[tuple[JsonPath, Any, JsonPath]] = [
        (("identifier",), g("metadata", "passportIdentifier"), ("metadata", "passportIdentifier")),
        *((path, out.day(g(*src), src), src) for path, src in dates),
        (("product_identifier",), g("identification", "idDmc"), ("identification", "idDmc")),
        (("data_carrier",), g(*ident, "dataCarrier", "carrierType"),
         (*ident, "dataCarrier", "carrierType")),
        (("category",), mapped_category, ("identification", "category")),
        (("status",), g("sustainability", "status"), ("sustainability", "status")),
        (("model",), model, model_src),
        (("manufacturer", "identifier"), g("operation", "manufacturer", "manufacturer"),
         ("operation", "manufacturer", "manufacturer")),
        (("plant", "identifier"), plant, plant_src),
        (("declaration_of_conformity_id",), g("conformity", "declarationOfConformityId"),
         ("conformity", "declarationOfConformityId")),
    ]
    for path, value, src in mapping:
        out.put((*p, *path), value, src)
    entries = g("sustainability", "carbonFootprint")
    if isinstance(entries, list):
        d: JsonPath = ("declarations", 0)
        out.place(d, ("sustainability", "carbonFootprint"))
        cf = (*d, "carbon_footprint")
        out.place(cf, ("sustainability", "carbonFootprint"))
        out.put((*d, "battery", "model"), model, model_src)
        out.put((*d, "battery", "category"), mapped_category, ("identification", "category"))
        out.put((*d, "battery", "chemistry"), g("identification", "chemistry"),
                ("identification", "chemistry"))
        out.quantity((*d, "battery", "capacity"), g("performance", "rated", "energy", "value"),
                     "kWh", ("performance", "rated", "energy", "value"))
        out.put((*d, "service_life", "years"), g("performance", "rated", "lifetime",
                                                 "expectedYears"),
                ("performance", "rated", "lifetime", "expectedYears"))
        out.put((*d, "manufacturer", "identifier"), g("operation", "manufacturer", "manufacturer"),
                ("operation", "manufacturer", "manufacturer"))
        out.put((*d, "conformity", "declaration_of_conformity_id"),
                g("conformity", "declarationOfConformityId"),
                ("conformity", "declarationOfConformityId"))
        n = 0
        for i, entry in enumerate(entries):
            at: JsonPath = ("sustainability", "carbonFootprint", i)
            if _get(entry, ("type",)) != "Climate Change Total":
                continue  # other impact categories are not the carbon footprint
            lifecycle = _get(entry, ("lifecycle",))
            raw, unit = _get(entry, ("value",)), _get(entry, ("unit",))
            stage = _CX_STAGES.get(str(lifecycle).strip().lower())
            is_total = stage is None and isinstance(lifecycle, str) and bool(
                _CX_TOTAL.search(lifecycle))
            if raw is not None and not (isinstance(unit, str) and unit.strip()):
                # a value without a unit is not assumed to be per kWh: not read
                out.note("no_unit", (*at, "value"), raw)
            elif is_total:
                for target in ((*cf, "total"), ("passport", "carbon_footprint", "total")):
                    out.quantity(target, raw, str(unit), (*at, "value"), (*at, "unit"))
            else:
                out.place((*cf, "stages", n), at)
                out.put((*cf, "stages", n, "stage"), stage or lifecycle, (*at, "lifecycle"))
                out.quantity((*cf, "stages", n, "value"), raw, str(unit), (*at, "value"),
                             (*at, "unit"))
                n += 1
            # Entry-level fields: the first entry that has one gives it. The aspect has
            # no field of its own for the public study; its "declaration" document
            # list links the carbon-footprint declaration.
            for key, targets in (
                (("performanceClass",), ((*cf, "performance_class"),
                                         ("passport", "carbon_footprint", "performance_class"))),
                (("manufacturingPlant", 0, "facility"), ((*d, "plant", "identifier"),)),
                (("declaration", 0, "content"), ((*cf, "study_url"),
                                                 ("passport", "carbon_footprint", "study_url"))),
                (("rulebook", 0, "header"), ((*cf, "method"),)),
            ):
                for target in targets:
                    out.put_first(target, _get(entry, key), (*at, *key))
        if n:
            out.place((*cf, "stages"), ("sustainability", "carbonFootprint"))
    return out


# ---------------------------------------------------------------- Catena-X 3.x

# The battery passes before the SAMM rework (io.catenax.battery.battery_pass up to
# 3.0.1, and the Tractus-X digital product pass test payloads written against
# them): flat keys, one footprint number, no battery category, no Annex XIII status.


def _is_catena_x_3(doc: Mapping[str, Any]) -> bool:
    return "cO2FootprintTotal" in doc or ("batteryIdentification" in doc and (
        "electrochemicalProperties" in doc or "stateOfBattery" in doc))


def _cx3_address(out: Adapted, targets: list[JsonPath], address: Any, src: JsonPath) -> None:
    """A 3.x address (locality, postCode, thoroughfare, country.shortName) into
    the canonical address or plant objects ``targets``. The country is a name
    there ("Germany"), read only when it is an ISO 3166 code."""
    g = _reader(address if isinstance(address, dict) else {})
    street = g("thoroughfare", "value")
    number = g("thoroughfare", "number")
    if isinstance(street, str) and isinstance(number, str) and number:
        street = f"{street} {number}"
    for target in targets:
        out.put((*target, "town"), g("locality", "value"), (*src, "locality", "value"))
        if target[-1] == "plant" and target[0] == "declarations":
            out.put((*target, "name"), g("premise", "value"), (*src, "premise", "value"))
        if target[0] == "declarations":
            out.put((*target, "postal_code"), g("postCode", "value"), (*src, "postCode", "value"))
            out.put((*target, "street"), street, (*src, "thoroughfare", "value"))
        out.country((*target, "country"), g("country", "shortName"),
                    (*src, "country", "shortName"))


def _catena_x_3(doc: Mapping[str, Any]) -> Adapted:
    """Catena-X ``io.catenax.battery.battery_pass`` 3.x: ``cO2FootprintTotal`` is
    a bare number. The aspect model gives it the unit kilogram and describes it
    as "the total carbon footprint of the battery, calculated as kg of carbon
    dioxide equivalent": the footprint of the whole battery, not the per-kWh
    footprint of Art. 7(1)(d). It is read as the absolute footprint in kg CO2e,
    with a note naming that unit as taken from the model; the per-kWh footprint
    and the stages are fields this format does not have."""
    out = Adapted("eu-battery-cf", "Catena-X battery_pass 3.x", {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "catena-x-battery-pass", "version": "3.x"}
    g = _reader(doc)
    d: JsonPath = ("declarations", 0)
    p: JsonPath = ("passport",)
    out.place(d, ())
    out.place(p, ())
    bi = ("batteryIdentification",)
    for target in ((*d, "battery", "model"), (*p, "model")):
        out.put(target, g(*bi, "batteryModel"), (*bi, "batteryModel"))
    out.put((*d, "battery", "chemistry"), g(*bi, "batteryType"), (*bi, "batteryType"))
    out.put((*p, "product_identifier"), g(*bi, "batteryIDDMCCode"), (*bi, "batteryIDDMCCode"))
    for target in ((*d, "manufacturer", "name"), (*p, "manufacturer", "name")):
        out.put(target, g("manufacturer", "name"), ("manufacturer", "name"))
    contact = ("manufacturer", "contact")
    out.put((*d, "manufacturer", "email"), g(*contact, "email"), (*contact, "email"))
    out.put((*d, "manufacturer", "web"), g(*contact, "website"), (*contact, "website"))
    _cx3_address(out, [(*d, "manufacturer", "address")], g("manufacturer", "address"),
                 ("manufacturer", "address"))
    _cx3_address(out, [(*d, "plant"), (*p, "plant")], g("manufacturing", "address"),
                 ("manufacturing", "address"))
    made = ("manufacturing", "dateOfManufacturing")
    out.put((*p, "manufacturing_date"), out.day(g(*made), made), made)
    placed = ("datePlacedOnMarket",)
    for target in ((*d, "placed_on_market"), (*p, "placed_on_market")):
        out.put(target, out.day(g(*placed), placed), placed)
    status = g("stateOfBattery", "statusBattery")
    if status not in (None, ""):  # "first life": not one of the Annex XIII 4(c) statuses
        out.note("status_not_annex_xiii", ("stateOfBattery", "statusBattery"), status)
    total = g("cO2FootprintTotal")
    if total is not None:
        cf = (*d, "carbon_footprint")
        out.place(cf, ("cO2FootprintTotal",))
        out.quantity((*cf, "absolute"), total, "kgCO2e", ("cO2FootprintTotal",))
        if _number(total) is not None:  # anything else the schema reports
            out.note("unit_from_model", ("cO2FootprintTotal",), total, f"{_text(total)} kgCO2e")
    return out


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


def _modules(phase: Any) -> list[str] | None:
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


def _idta_view(doc: Mapping[str, Any]) -> tuple[Any, dict[JsonPath, JsonPath] | None, str] | None:
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
    entries = _get(view, ("ProductCarbonFootprints",))
    return isinstance(entries, list) and any(
        key in _fold(e) for e in entries for key in _IDTA_BATTERY_KEYS)


def _is_idta_battery(doc: Mapping[str, Any]) -> bool:
    found = _idta_view(doc)
    if found is None:
        return False
    view, _, form = found
    if form != "value-only":
        sub = _aas_submodel(doc)
        if sub is not None and any(i.startswith(_IDTA_BATTERY_CF) for i in _semantic_ids(sub[0])):
            return True
    return _idta_is_battery(view)


def _idta(doc: Mapping[str, Any]) -> Adapted:
    """IDTA 02035-3 Digital Battery Passport Part 3, in the value-only form of its
    aspect model (io.admin-shell.idta.batterypass.carbon_footprint 1.0.0), as an
    AAS Submodel or in an AAS environment."""
    found = _idta_view(doc)
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
    entries = [e for e in _get(view, ("ProductCarbonFootprints",)) or []]
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
            out.carried.add(_pattern(target))  # the model has a place for it: absent
    for extra in per_unit[1:] + whole[1:]:
        out.note("second_total", extra.value_src, extra.raw)
    if whole:
        out.quantity((*cf, "absolute"), whole[0].value, "kgCO2e", whole[0].value_src,
                     whole[0].unit_src)
    else:
        out.carried.add(_pattern((*cf, "absolute")))
    stages = [r for r in read if r.kind == "stage"]
    if stages:
        out.put((*cf, "stages"), [], src("ProductCarbonFootprints"))
    else:
        out.carried.add(_pattern((*cf, "stages")))
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
                out.carried.add(_pattern(target))
            continue
        i, (key, value) = first
        at_src = src("ProductCarbonFootprints", i, key)
        if name == "performanceclass":
            for target in targets:
                out.put(target, value, at_src)
            continue
        items = _listed(out, value, at_src)
        if name == "pcfcalculationmethods":
            out.put(targets[0], "; ".join(_text(v) for v in items), at_src)
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
    out.note("one_as_list", source, value, json.dumps([_text(value)], ensure_ascii=False))
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
        named = _modules(phase)
        if named is None:
            at = src(*path, ph_key, k) if isinstance(phases, list) else r.phases_src
            out.note("unknown_phase", at, phase)
            return r
        modules += named
    if not modules:
        out.note("no_phase", r.value_src, raw)
        return r
    touched = frozenset().union(*(_MODULE_STAGES[m] for m in modules))
    r.label = ", ".join(_text(p) for p in listed)
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
    number = _number(raw)
    amount = _number(quantity)
    if number is None or quantity is None or amount == 1:
        r.value = raw  # not a number: kept for the schema to report at its place
        if quantity is None and number is not None:
            out.note("quantity_missing", r.value_src, raw, f"{_text(raw)} {unit}")
        return r
    if amount is None or amount <= 0:
        out.note("quantity_invalid", src(*path, q_key), quantity)
        r.kind = "unread_total" if r.kind == "total" else "unread"
        return r
    # the footprint of `amount` reference units: per one unit is the quotient (exact
    # where it terminates, else to 28 significant digits)
    value = Decimal(number) / Decimal(amount)
    r.value = value
    out.note("per_quantity", r.value_src, raw, f"{_text(raw)} / {_text(quantity)} = "
                                                f"{_text(value)} {unit}")
    return r


# ---------------------------------------------------------------- recognised, not read

def _pcf_supplier(doc: Mapping[str, Any]) -> str | None:
    values = doc.get("pcfValues")
    if isinstance(values, dict) and (
            "sharesPerStage" in values or "pcfPerformanceClass" in values):
        return "Catena-X PcfForBatteryComponentSupplier 1.x"
    return None


def _pcf(doc: Mapping[str, Any]) -> str | None:
    if "pcfAssessmentAndMethodology" in doc and any(
            k in doc for k in ("productLifeCycleStagesAndEmissions",
                               "companyAndProductInformation")):
        return "Catena-X PCF 9.x"
    if isinstance(doc.get("pcf"), dict) and any(
            k in doc for k in ("specVersion", "companyIds", "productIds", "companyName")):
        spec = doc.get("specVersion")
        if isinstance(spec, list) and spec:  # Catena-X 8.0.0 writes it as a list of one
            spec = spec[0]
        version = spec.rsplit(":", 1)[-1] if isinstance(spec, str) and spec else ""
        if isinstance(spec, str) and "catenax" in spec.lower():
            return f"Catena-X PCF {version}"
        return f"PACT ProductFootprint {version}".rstrip()
    return None


def _idta_pcf(doc: Mapping[str, Any]) -> str | None:
    if _idta_view(doc) is not None and not _is_idta_battery(doc):
        return "IDTA 02023 Carbon Footprint"
    return None


# Formats recognised only to say what they are: product carbon footprints, inputs
# to a battery's footprint and not a declaration; no filing type reads them.
FOREIGN: tuple[Callable[[Mapping[str, Any]], str | None], ...] = (_pcf_supplier, _pcf, _idta_pcf)


def recognise(doc: Mapping[str, Any]) -> str | None:
    """The name of a known format no filing type reads, if ``doc`` is in one."""
    for name in FOREIGN:
        found = name(doc)
        if found is not None:
            return found
    return None


def _is_pact(doc: Mapping[str, Any]) -> bool:
    from esgcheck.filings import pcf  # pcf builds on Adapted, defined above

    return pcf.is_pact(doc)


def _pact(doc: Mapping[str, Any]) -> Adapted:
    from esgcheck.filings import pcf

    return pcf.read_pact(doc)


def _is_catena_x_pcf(doc: Mapping[str, Any]) -> bool:
    from esgcheck.filings import pcf_catenax

    return pcf_catenax.is_catena_x(doc)


def _catena_x_pcf(doc: Mapping[str, Any]) -> Adapted:
    from esgcheck.filings import pcf_catenax

    return pcf_catenax.read_catena_x(doc)


@dataclass(frozen=True)
class Reader:
    name: str
    filing_type: str
    detect: Callable[[Mapping[str, Any]], bool]
    read: Callable[[Mapping[str, Any]], Adapted]


READERS = (
    Reader("batterypass", "eu-battery-cf", _is_battery_pass, _battery_pass),
    Reader("catena-x-battery-pass", "eu-battery-cf", _is_catena_x, _catena_x),
    Reader("catena-x-battery-pass-3", "eu-battery-cf", _is_catena_x_3, _catena_x_3),
    Reader("idta-02035-3", "eu-battery-cf", _is_idta_battery, _idta),
    # product carbon footprints (esgcheck/filings/pcf.py)
    Reader("pact", "product-carbon-footprint", _is_pact, _pact),
    Reader("catena-x-pcf", "product-carbon-footprint", _is_catena_x_pcf, _catena_x_pcf),
)


def reader_for(doc: Mapping[str, Any]) -> Reader | None:
    """The reader of the industry format ``doc`` is in, whatever its filing type."""
    return next((r for r in READERS if r.detect(doc)), None)


def adapt(doc: Mapping[str, Any], filing_type: str | None = None) -> Adapted | None:
    """The canonical filing for a document in a known industry format, or None."""
    for reader in READERS:
        if (filing_type is None or reader.filing_type == filing_type) and reader.detect(doc):
            return reader.read(doc)
    return None
