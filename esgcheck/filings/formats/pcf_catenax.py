"""Reader of Catena-X ``io.catenax.pcf`` 9.x product carbon footprints onto the
canonical ``product-carbon-footprint`` filing type (see ``pcf`` for PACT and
for how values and notes are handled).

The aspect model (eclipse-tractusx/sldt-semantic-models, io.catenax.pcf/9.0.0,
gen/Pcf-schema.json) nests every group as an array of entities; the reader
takes the first entity of each. Its emissions are split by stage (production,
distribution, packaging): the production stage's values are the footprint's
(``emissions``), and every stage is kept in ``stages`` for the position sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esgcheck.filings.adapted import Adapted, JsonPath
from esgcheck.filings.formats.pcf import FILING_TYPE, _decimal, _value


def is_catena_x(doc: Mapping[str, Any]) -> bool:
    return "pcfAssessmentAndMethodology" in doc and any(
        k in doc for k in ("productLifeCycleStagesAndEmissions", "companyAndProductInformation"))


class _Cx:
    """Walks the nested model, taking the first entity of each array."""

    def __init__(self, doc: Mapping[str, Any], out: Adapted) -> None:
        self.doc, self.out = doc, out

    def node(self, *names: str) -> tuple[Any, JsonPath]:
        node: Any = self.doc
        at: JsonPath = ()
        for name in names:
            node = node.get(name) if isinstance(node, Mapping) else None
            at = (*at, name)
            if isinstance(node, list):
                for extra in range(1, len(node)):  # one entity is the model's use
                    self.out.note("entity_not_read", (*at, extra), node[extra])
                node, at = (node[0] if node else None), (*at, 0)
        return node, at

    def put(self, path: JsonPath, kind: str, *names: str) -> None:
        parent, at = self.node(*names[:-1])
        value = parent.get(names[-1]) if isinstance(parent, Mapping) else None
        src: JsonPath = (*at, names[-1])
        if kind == "num":
            _decimal(self.out, path, value, src, False, "Catena-X")
        else:
            _value(self.out, path, value, src, kind, 9, "Catena-X")


_CX_STAGE = (("excluding_uptake", "PcfExcludingBiogenicUptake"),
             ("including_uptake", "PcfIncludingBiogenicUptake"),
             ("fossil", "FossilGhgEmissions"), ("biogenic_non_co2", "BiogenicNonCO2Emissions"),
             ("biogenic_uptake", "BiogenicCO2Uptake"),
             ("land_use_change", "LandUseChangeGhgEmissions"),
             ("land_management_biogenic_emissions", "LandManagementBiogenicCO2Emissions"),
             ("land_management_biogenic_removals", "LandManagementBiogenicCO2Removals"),
             ("aircraft", "AircraftGhgEmissions"))
_CX_STAGES = (("production", "productionStage", "", None),
              ("distribution", "distributionStage", "distributionStage",
               "distributionStageIncluded"),
              ("packaging", "packagingStage", "packaging", "packagingEmissionsIncluded"))


def read_catena_x(doc: Mapping[str, Any]) -> Adapted:
    spec = doc.get("scopeOfPcfForm")
    first = spec[0] if isinstance(spec, list) and spec else {}
    version = first.get("specVersion") if isinstance(first, Mapping) else None
    if isinstance(version, list):
        version = version[0] if version else None
    label = "Catena-X PCF 9.x"
    path: JsonPath
    out = Adapted(FILING_TYPE, label, {"filing_type": FILING_TYPE})
    cx = _Cx(doc, out)
    out.put(("source", "format"), label, ())
    out.put(("source", "dialect"), "catenax-9", ("scopeOfPcfForm",))
    out.put(("source", "spec_version"), version if isinstance(version, str) else None,
            ("scopeOfPcfForm", 0, "specVersion"))
    cx.put(("boundary",), "str", "scopeOfPcfForm", "partialFullPcf")
    company = ("companyAndProductInformation", "companyInformation")
    cx.put(("company_name",), "str", *company, "companyName")
    cx.put(("company_ids",), "list", *company, "companyIds")
    product = ("companyAndProductInformation", "productInformation")
    for path, name, kind in ((("product_name",), "productNameCompany", "str"),
                             (("product_description",), "productDescription", "str"),
                             (("product_ids",), "productIds", "list"),
                             (("product_classifications",), "productClassifications", "list"),
                             (("declared_unit",), "declaredUnitOfMeasurement", "str"),
                             (("declared_amount",), "declaredUnitAmount", "num"),
                             (("product_mass",), "productMassPerDeclaredUnit", "num")):
        cx.put(path, kind, *product, name)
    info = ("pcfAssessmentAndMethodology", "pcfAssessmentInformation")
    cx.put(("ccs_included",), "bool", *info, "technology", "ccsTechnologicalCO2CaptureIncluded")
    cx.put(("boundary_processes_description",), "str", *info, "technology",
           "boundaryProcessesDescription")
    for path, name, kind in ((("id",), "id", "str"), (("version",), "version", "str"),
                             (("status",), "status", "str"),
                             (("pcf_type",), "retroOrProspectivePcfType", "str")):
        cx.put(path, kind, *info, "idAndVersion", name)
    preceding, at = cx.node(*info, "idAndVersion", "precedingPfIds")
    if isinstance(preceding, Mapping) and preceding.get("id") is not None:
        out.put(("preceding_ids",), [preceding["id"]], (*at, "id"))
    cx.put(("exempted_percent",), "num", *info, "boundarySpecifications",
           "exemptedEmissionsPercent")
    cx.put(("exempted_description",), "str", *info, "boundarySpecifications",
           "exemptedEmissionsDescription")
    for path, name in ((("geography", "region"), "geographyRegionOrSubregion"),
                       (("geography", "country"), "geographyCountry"),
                       (("geography", "subdivision"), "geographyCountrySubdivision")):
        cx.put(path, "str", *info, "geography", name)
    for path, name in ((("reference_period", "start"), "referencePeriodStart"),
                       (("reference_period", "end"), "referencePeriodEnd"),
                       (("created",), "created"),
                       (("validity_period", "start"), "validityPeriodStart"),
                       (("validity_period", "end"), "validityPeriodEnd")):
        cx.put(path, "instant", *info, "time", name)
    quality = ("pcfAssessmentAndMethodology", "dataSourcesAndQuality")
    cx.put(("primary_data_share",), "num", *quality, "primaryDataShare")
    for name in ("technological", "temporal", "geographical"):
        cx.put(("dqi", name), "num", *quality, f"{name}DQR")
    sources, at = cx.node(*quality)
    names = sources.get("secondaryEmissionFactorSources") if isinstance(sources, Mapping) else None
    if isinstance(names, list):
        for i, name in enumerate(names):
            out.put(("secondary_sources", i, "name"), name,
                    (*at, "secondaryEmissionFactorSources", i))
    shares = ("pcfAssessmentAndMethodology", "verificationAndCertificationShares")
    for path, name in ((("verification_shares", "program_certification"),
                        "programCertificationShare"),
                       (("verification_shares", "third_party"), "productVerificationShare3rdParty"),
                       (("verification_shares", "second_party"),
                        "productVerificationShare2ndParty"),
                       (("verification_shares", "first_party"),
                        "productVerificationShare1stParty")):
        cx.put(path, "num", *shares, name)
    method = ("pcfAssessmentAndMethodology", "pcfMethodology")
    cx.put(("cross_sectoral_standards",), "list", *method, "standards", "crossSectoralStandards")
    rules, at = cx.node(*method, "standards")
    rule_names = rules.get("productOrSectorSpecificRules") if isinstance(rules, Mapping) else None
    if isinstance(rule_names, list):
        for i, name in enumerate(rule_names):
            out.put(("product_rules", i, "rule_names"), [name],
                    (*at, "productOrSectorSpecificRules", i))
    factors, at = cx.node(*method, "gwpCharacterizationFactorDetails")
    factor = factors.get("ipccCharacterizationFactors") if isinstance(factors, Mapping) else None
    # one value in this model, a list in PACT's: the model's own form, not noted
    out.put(("characterization_factors",), [factor] if isinstance(factor, str) else factor,
            (*at, "ipccCharacterizationFactors"))
    if isinstance(factor, str):
        out.origin[("characterization_factors", 0)] = (*at, "ipccCharacterizationFactors")
    cx.put(("allocation_description",), "str", *method, "allocationInForeground",
           "allocationRulesDescription")
    cx.put(("comment",), "str", "general", "comment")
    for name, key in (("fossil", "fossilCarbonContent"), ("biogenic", "biogenicCarbonContent"),
                      ("recycled", "recycledCarbonContent"),
                      ("packaging_biogenic", "packagingBiogenicCarbonContent"),
                      ("total", "carbonContentTotal")):
        cx.put(("carbon_content", name), "num", "carbonContent", key)
    _cx_stages(cx, out)
    for block, names in ((("validity_period",), (*info, "time")),
                         (("reference_period",), (*info, "time")),
                         (("geography",), (*info, "geography")),
                         (("dqi",), quality), (("carbon_content",), ("carbonContent",)),
                         (("emissions",), ("productLifeCycleStagesAndEmissions",
                                           "productionStage"))):
        node, at = cx.node(*names)
        if node is not None:
            out.place(block, at)
    attestation, at = cx.node("attestationOfConformance")
    if isinstance(attestation, Mapping):
        out.place(("assurance",), at)
        for name, key in (("provider_name", "providerName"), ("standard_name", "standardName"),
                          ("attestation_type", "attestationType")):
            out.put(("assurance", name), attestation.get(key), (*at, key))
        out.put(("assurance", "completed_at"), out.day(attestation.get("completedAt"),
                (*at, "completedAt")), (*at, "completedAt"))
    return out


def _cx_stages(cx: _Cx, out: Adapted) -> None:
    i = 0
    for stage, block, prefix, included in _CX_STAGES:
        node, at = cx.node("productLifeCycleStagesAndEmissions", block)
        if not isinstance(node, Mapping):
            out.put(("stages", i, "stage"), None, at)
            continue
        out.put(("stages", i, "stage"), stage, at)
        if included is not None:
            out.put(("stages", i, "included"), node.get(included), (*at, included))
            if stage == "packaging":
                out.put(("packaging_included",), node.get(included), (*at, included))
        for name, key in _CX_STAGE:
            field = f"{prefix}{key}" if prefix else key[0].lower() + key[1:]
            _decimal(out, ("stages", i, name), node.get(field), (*at, field), False, "Catena-X")
            if stage == "production":
                _decimal(out, ("emissions", name), node.get(field), (*at, field), False,
                         "Catena-X")
        i += 1
