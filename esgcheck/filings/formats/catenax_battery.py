"""Catena-X battery passports (6.x and 3.x aspects), onto eu-battery-cf."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from esgcheck.filings.adapted import (
    Adapted,
    JsonPath,
    number_of,
    reader_of,
    text_of,
    value_at,
)

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


def is_catena_x(doc: Mapping[str, Any]) -> bool:
    return all(k in doc for k in ("identification", "sustainability")) and (
        "metadata" in doc or "operation" in doc)


def read_catena_x(doc: Mapping[str, Any]) -> Adapted:
    """Catena-X ``io.catenax.battery.battery_pass`` 6.x."""
    # urn:samm:io.catenax.battery.battery_pass:6.1.0
    spec = value_at(doc, ("metadata", "specVersion"))
    version = spec.rsplit(":", 1)[-1] if isinstance(spec, str) and spec else "6.x"
    out = Adapted("eu-battery-cf", f"Catena-X battery_pass {version}",
                  {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "catena-x-battery-pass", "version": version}
    g = reader_of(doc)
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
            if value_at(entry, ("type",)) != "Climate Change Total":
                continue  # other impact categories are not the carbon footprint
            lifecycle = value_at(entry, ("lifecycle",))
            raw, unit = value_at(entry, ("value",)), value_at(entry, ("unit",))
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
                    out.put_first(target, value_at(entry, key), (*at, *key))
        if n:
            out.place((*cf, "stages"), ("sustainability", "carbonFootprint"))
    return out


# ---------------------------------------------------------------- Catena-X 3.x

# The battery passes before the SAMM rework (io.catenax.battery.battery_pass up to
# 3.0.1, and the Tractus-X digital product pass test payloads written against
# them): flat keys, one footprint number, no battery category, no Annex XIII status.


def is_catena_x_3(doc: Mapping[str, Any]) -> bool:
    return "cO2FootprintTotal" in doc or ("batteryIdentification" in doc and (
        "electrochemicalProperties" in doc or "stateOfBattery" in doc))


def _cx3_address(out: Adapted, targets: list[JsonPath], address: Any, src: JsonPath) -> None:
    """A 3.x address (locality, postCode, thoroughfare, country.shortName) into
    the canonical address or plant objects ``targets``. The country is a name
    there ("Germany"), read only when it is an ISO 3166 code."""
    g = reader_of(address if isinstance(address, dict) else {})
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


def read_catena_x_3(doc: Mapping[str, Any]) -> Adapted:
    """Catena-X ``io.catenax.battery.battery_pass`` 3.x: ``cO2FootprintTotal`` is
    a bare number. The aspect model gives it the unit kilogram and describes it
    as "the total carbon footprint of the battery, calculated as kg of carbon
    dioxide equivalent": the footprint of the whole battery, not the per-kWh
    footprint of Art. 7(1)(d). It is read as the absolute footprint in kg CO2e,
    with a note naming that unit as taken from the model; the per-kWh footprint
    and the stages are fields this format does not have."""
    out = Adapted("eu-battery-cf", "Catena-X battery_pass 3.x", {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "catena-x-battery-pass", "version": "3.x"}
    g = reader_of(doc)
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
        if number_of(total) is not None:  # anything else the schema reports
            out.note("unit_from_model", ("cO2FootprintTotal",), total, f"{text_of(total)} kgCO2e")
    return out


