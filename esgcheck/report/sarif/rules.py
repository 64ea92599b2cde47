"""SARIF rule descriptors: a rule's names, help, citation and default level."""

from __future__ import annotations

from esgcheck.engine.findings import FilingReport, Finding, Report, RuleInfo
from esgcheck.messages import colon, message
from esgcheck.report.sarif.text import Json, camel, cite, md

# a breach's level by severity; an info finding is no failure: level none
LEVELS: dict[str, str] = {"critical": "error", "major": "error", "minor": "warning",
                          "info": "none"}


def _rule_properties(info: RuleInfo, lang: str) -> Json:
    tags = [info.rulebase, info.section, info.filing_type]
    c = info.citation
    props: Json = {
        "tags": list(dict.fromkeys(t for t in tags if t)),
        "precision": "very-high",
        "severity": info.severity,
        "rulebase": info.rulebase,
        "filing_type": info.filing_type,
        "section": info.section,
        "citation": c.text.get(lang),
        "instrument": c.instrument,
        "instrument_title": c.instrument_title.get(lang) if c.instrument_title else None,
        "document_number": c.document_number,
        "article": c.article,
        "paragraph": c.paragraph,
        "item": c.item,
        "citation_section": c.section,
        "effective_from": info.effective_from.isoformat() if info.effective_from else None,
        "effective_to": info.effective_to.isoformat() if info.effective_to else None,
    }
    return {k: v for k, v in props.items() if v is not None}


def _help_markdown(help_text: str, info: RuleInfo, lang: str) -> str:
    basis = message("citation", lang)
    basis = basis[:1].upper() + basis[1:]
    cited = md(info.citation.text.get(lang))
    if info.url:
        target = info.url.replace("(", "%28").replace(")", "%29")
        cited = f"[{cited}]({target})"
    return f"{md(help_text)}\n\n**{basis}**{colon(lang)}{cited}"


def rule_descriptor(info: RuleInfo, lang: str) -> Json:
    title = info.title.get(lang)
    cited = info.citation.text.get(lang)
    help_text = info.help.get(lang) if info.help is not None else title
    rule: Json = {
        "id": info.id,
        "name": camel(info.title.en) or info.id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": cite(title, cited, lang)},
        "help": {"text": cite(help_text, cited, lang),
                 "markdown": _help_markdown(help_text, info, lang)},
    }
    if info.url:
        rule["helpUri"] = info.url
    rule["defaultConfiguration"] = {"level": LEVELS[info.severity]}
    rule["properties"] = _rule_properties(info, lang)
    return rule


def _from_finding(f: Finding, filing: FilingReport) -> RuleInfo:
    """A rule known only from its findings, such as a schema check."""
    return RuleInfo(id=f.rule_id, rulebase=f.rulebase, filing_type=filing.filing_type or "",
                    severity=f.severity, section=f.section, title=f.title,
                    citation=f.citation)


def rule_catalogue(report: Report) -> list[RuleInfo]:
    """The report's rules, each id once, then the rules only findings name."""
    rules: dict[str, RuleInfo] = {}
    for info in report.rules:
        rules.setdefault(info.id, info)
    for filing in report.filings:
        for f in filing.findings:
            if f.rule_id not in rules:
                rules[f.rule_id] = _from_finding(f, filing)
    return list(rules.values())


# -- results

