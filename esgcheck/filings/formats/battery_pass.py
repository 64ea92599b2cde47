"""The Battery Pass data model's carbon-footprint data, onto eu-battery-cf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esgcheck.filings.adapted import (
    Adapted,
    JsonPath,
    reader_of,
    value_at,
)

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


def is_battery_pass(doc: Mapping[str, Any]) -> bool:
    return "batteryCarbonFootprint" in doc or (
        "batteryPassportIdentifier" in doc and "batteryCategory" in doc)


def read_battery_pass(doc: Mapping[str, Any]) -> Adapted:
    """Battery Pass data model v1.2.0: the CarbonFootprintForBatteries aspect,
    the GeneralProductInformation aspect, or both merged in one object."""
    has_cf = "batteryCarbonFootprint" in doc
    has_gpi = "batteryPassportIdentifier" in doc
    parts = [p for p, present in (("CarbonFootprint", has_cf),
                                  ("GeneralProductInformation", has_gpi)) if present]
    out = Adapted("eu-battery-cf", f"Battery Pass {' + '.join(parts)} 1.2.0",
                  {"filing_type": "eu-battery-cf"})
    out.doc["source"] = {"format": "batterypass", "version": "1.2.0"}
    g = reader_of(doc)
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
                stage = value_at(item, ("lifecycleStage",))
                out.put((*cf, "stages", i, "stage"), _BP_STAGES.get(stage, stage),
                        (*src, "lifecycleStage"))
                out.quantity((*cf, "stages", i, "value"), value_at(item, ("carbonFootprint",)),
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


