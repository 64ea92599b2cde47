"""Readers for formats the industry already produces, onto a canonical filing type.

A battery maker exports its passport data in the Battery Pass data model or as
a Catena-X aspect, not in esgcheck's canonical form. Each reader here
recognises one such format from its keys, and builds the canonical filing,
remembering for every canonical value the place in the source it came from:
findings then point into the file the user gave, not into a converted copy.

A field the source format does not carry is simply absent from the canonical
filing, so rules that need it report ``not_assessable`` naming it, instead of
passing or failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

JsonPath = tuple[str | int, ...]


@dataclass
class Adapted:
    """A canonical filing built from a source document, and where each of its
    values came from (canonical path -> source path)."""

    filing_type: str
    format: str
    doc: dict[str, Any]
    origin: dict[JsonPath, JsonPath] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # canonical pointers, "*" for indexes

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

    def place(self, path: JsonPath, source: JsonPath) -> None:
        """Record that the canonical object at ``path`` stands for ``source``."""
        self.origin.setdefault(path, source)

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


def _pattern(path: JsonPath) -> str:
    return "".join(f"/{'*' if isinstance(k, int) else k}" for k in path)


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


def _day(value: Any) -> Any:
    """An ISO 8601 date-time as its date; anything else as it was (the schema
    then reports it)."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}(T|$)", value):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return value
    return value


def _quantity(value: Any, unit: str) -> Any:
    return {"value": value, "unit": unit} if isinstance(value, int | float) and not isinstance(
        value, bool) else value


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
        out.put((*cf, "total"), _quantity(g("batteryCarbonFootprint"), "kgCO2e/kWh"),
                ("batteryCarbonFootprint",))
        # The data model gives the absolute footprint in kilograms (its unit
        # "kilogramm"); DIN DKE SPEC 99100 speaks of tonnes. The model is what
        # the payload was written against.
        out.put((*cf, "absolute"), _quantity(g("absoluteCarbonFootprint"), "kgCO2e"),
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
                out.put((*cf, "stages", i, "value"),
                        _quantity(_get(item, ("carbonFootprint",)), "kgCO2e/kWh"),
                        (*src, "carbonFootprint"))
        out.put((*cf, "performance_class"), g("carbonFootprintPerformanceClass"),
                ("carbonFootprintPerformanceClass",))
        out.put((*cf, "study_url"), g("carbonFootprintStudy"), ("carbonFootprintStudy",))
        p: JsonPath = ("passport", "carbon_footprint")
        out.put((*p, "total"), _quantity(g("batteryCarbonFootprint"), "kgCO2e/kWh"),
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
        out.put((*p, "manufacturing_date"), _day(g("manufacturingDate")), ("manufacturingDate",))
        out.put((*p, "putting_into_service"), _day(g("puttingIntoService")),
                ("puttingIntoService",))
        out.put((*p, "plant", "country"), g("manufacturingPlace", "addressCountry"),
                ("manufacturingPlace", "addressCountry"))
        if has_cf:  # the declaration's administrative part, from the same passport
            d = ("declarations", 0)
            out.put((*d, "manufacturer", "name"), g(*m, "contactName"), (*m, "contactName"))
            out.put((*d, "manufacturer", "identifier"), g(*m, "identifier"), (*m, "identifier"))
            for key, src_key in (("street", "streetAddress"), ("postal_code", "postalCode"),
                                 ("country", "addressCountry")):
                out.put((*d, "manufacturer", "address", key), g(*m, "postalAddress", src_key),
                        (*m, "postalAddress", src_key))
                out.put((*d, "plant", key), g("manufacturingPlace", src_key),
                        ("manufacturingPlace", src_key))
            out.put((*d, "manufacturer", "email"), g(*m, "emailAddress"), (*m, "emailAddress"))
            out.put((*d, "manufacturer", "web"), g(*m, "webAddress"), (*m, "webAddress"))
            out.put((*d, "battery", "category"), _BP_CATEGORY.get(category, category),
                    ("batteryCategory",))
            out.put((*d, "battery", "mass"), _quantity(g("batteryMass"), "kg"), ("batteryMass",))
            out.put((*d, "reuse", "status"), _BP_STATUS.get(status, status), ("batteryStatus",))
    return out


# ---------------------------------------------------------------- Catena-X

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
    mapping: list[tuple[JsonPath, Any, JsonPath]] = [
        (("identifier",), g("metadata", "passportIdentifier"), ("metadata", "passportIdentifier")),
        (("issue_date",), _day(g("metadata", "issueDate")), ("metadata", "issueDate")),
        (("expiration_date",), _day(g("metadata", "expirationDate")),
         ("metadata", "expirationDate")),
        (("product_identifier",), g("identification", "idDmc"), ("identification", "idDmc")),
        (("data_carrier",), g(*ident, "dataCarrier", "carrierType"),
         (*ident, "dataCarrier", "carrierType")),
        (("category",), mapped_category, ("identification", "category")),
        (("status",), g("sustainability", "status"), ("sustainability", "status")),
        (("model",), model, model_src),
        (("manufacturer", "identifier"), g("operation", "manufacturer", "manufacturer"),
         ("operation", "manufacturer", "manufacturer")),
        (("plant", "identifier"), plant, plant_src),
        (("manufacturing_date",), _day(g("operation", "manufacturer", "manufacturingDate")),
         ("operation", "manufacturer", "manufacturingDate")),
        (("putting_into_service",), _day(g("operation", "intoServiceDate")),
         ("operation", "intoServiceDate")),
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
        out.put((*d, "battery", "capacity"),
                _quantity(g("performance", "rated", "energy", "value"), "kWh"),
                ("performance", "rated", "energy", "value"))
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
            value = _quantity(_get(entry, ("value",)), str(_get(entry, ("unit",)) or ""))
            stage = _CX_STAGES.get(str(lifecycle).strip().lower())
            if stage is None and isinstance(lifecycle, str) and _CX_TOTAL.search(lifecycle):
                out.put((*cf, "total"), value, (*at, "value"))
                out.put(("passport", "carbon_footprint", "total"), value, (*at, "value"))
            else:
                out.place((*cf, "stages", n), at)
                out.put((*cf, "stages", n, "stage"), stage or lifecycle, (*at, "lifecycle"))
                out.put((*cf, "stages", n, "value"), value, (*at, "value"))
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


@dataclass(frozen=True)
class Reader:
    name: str
    filing_type: str
    detect: Callable[[Mapping[str, Any]], bool]
    read: Callable[[Mapping[str, Any]], Adapted]


READERS = (
    Reader("batterypass", "eu-battery-cf", _is_battery_pass, _battery_pass),
    Reader("catena-x-battery-pass", "eu-battery-cf", _is_catena_x, _catena_x),
)


def adapt(doc: Mapping[str, Any], filing_type: str | None = None) -> Adapted | None:
    """The canonical filing for a document in a known industry format, or None."""
    for reader in READERS:
        if (filing_type is None or reader.filing_type == filing_type) and reader.detect(doc):
            return reader.read(doc)
    return None
