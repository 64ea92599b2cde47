"""Readers for formats the industry already produces, onto a canonical filing type.

A battery maker exports its passport data in the Battery Pass data model, as a
Catena-X aspect or as an IDTA submodel of the asset administration shell, not in
esgcheck's canonical form. Each reader (one module per format in
esgcheck.filings.formats) recognises one such format from its keys, and builds
the canonical filing (esgcheck.filings.adapted), remembering for every canonical
value the place in the source it came from: findings then point into the file
the user gave, not into a converted copy. This module lists the readers.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from esgcheck.filings.adapted import Adapted, JsonPath, adapted_for
from esgcheck.filings.formats import pcf, pcf_catenax
from esgcheck.filings.formats.battery_pass import is_battery_pass, read_battery_pass
from esgcheck.filings.formats.catenax_battery import (
    is_catena_x,
    is_catena_x_3,
    read_catena_x,
    read_catena_x_3,
)
from esgcheck.filings.formats.idta import idta_view, is_idta_battery, read_idta

__all__ = ["Adapted", "JsonPath", "Reader", "adapt", "adapted_for", "reader_for", "recognise"]


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
    if idta_view(doc) is not None and not is_idta_battery(doc):
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




@dataclass(frozen=True)
class Reader:
    name: str
    filing_type: str
    detect: Callable[[Mapping[str, Any]], bool]
    read: Callable[[Mapping[str, Any]], Adapted]


READERS = (
    Reader("batterypass", "eu-battery-cf", is_battery_pass, read_battery_pass),
    Reader("catena-x-battery-pass", "eu-battery-cf", is_catena_x, read_catena_x),
    Reader("catena-x-battery-pass-3", "eu-battery-cf", is_catena_x_3, read_catena_x_3),
    Reader("idta-02035-3", "eu-battery-cf", is_idta_battery, read_idta),
    # product carbon footprints (formats/pcf.py, formats/pcf_catenax.py)
    Reader("pact", "product-carbon-footprint", pcf.is_pact, pcf.read_pact),
    Reader("catena-x-pcf", "product-carbon-footprint", pcf_catenax.is_catena_x,
           pcf_catenax.read_catena_x),
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
