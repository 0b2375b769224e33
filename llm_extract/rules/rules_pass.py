"""The deterministic pass: everything the letter's fixed layout gives away, with evidence.

No model is involved. The result is a complete :class:`IMRRecord` except for the fields
that need reading comprehension (treatment, diagnoses, and the category and drug class of a
request whose words do not state them; see :mod:`lexicon`), which stay empty for the model
pass to fill.
"""

from __future__ import annotations

import re

from ..errors import InputError
from .items import guideline_sources, read_items, read_quantity, read_strength
from .lexicon import classify
from .layout import find_sections, read_credentials, read_header, read_injury_date, read_patient
from ..reading.letter import Letter
from ..record import Decision, ExtractionWarning, IMRRecord, Item, Priority, Provenance, Span
from ..version import __version__

__all__ = ["extract_rules", "EXTRACTOR"]

#: Names the deterministic pass in provenance; bump the suffix when a rule changes output.
EXTRACTOR = f"rules@{__version__}"

_IMR_MARKERS = re.compile(
    r"Independent\s+Medical\s+Review|HOW\s+THE\s+IMR|MAXIMUS|Decision\s+rationale:|"
    r"Claims\s+Administrator\s+guideline:",
    re.I,
)


def _span(start: int, end: int) -> Span:
    return Span(start=start, end=end)


def extract_rules(letter: Letter) -> IMRRecord:
    """Read every layout field of ``letter`` into a record, each value with its span.

    Raises :class:`InputError` when the text is not an IMR determination letter.
    """
    text = letter.text
    sections = find_sections(text)
    raw_items = read_items(text, sections.issues if sections.issues >= 0 else 0)
    if not raw_items and not _IMR_MARKERS.search(text):
        raise InputError(
            "not an IMR final determination letter (no decision lines, no IMR headings)",
            source=letter.source,
        )

    record = IMRRecord(
        provenance=Provenance(source=letter.source, extractor_version=EXTRACTOR,
                              text_sha256=letter.sha256)
    )
    evidence = record.evidence
    for note in getattr(letter, "reader_warnings", ()):  # e.g. the PDF fallback reader was used
        record.warnings.append(ExtractionWarning(code="pdf_reader_fallback", field="text", message=note))

    header = read_header(text, sections)
    for name, found in header.items():
        setattr(record, name, Priority(found.value) if name == "priority" else found.value)
        evidence[name] = _span(found.start, found.end)

    if record.date_of_injury is None:
        pivot = record.decision_date.year if record.decision_date else None
        injury = read_injury_date(text, sections, pivot_year=pivot)
        if injury:
            record.date_of_injury = injury.value  # type: ignore[assignment]
            evidence["date_of_injury"] = _span(injury.start, injury.end)

    for name, entries in read_credentials(text, sections).items():
        setattr(record.reviewer, name, [str(e.value) for e in entries])
        for i, e in enumerate(entries):
            evidence[f"reviewer.{name}.{i}"] = _span(e.start, e.end)

    for name, found in read_patient(text, sections).items():
        setattr(record.patient, name, found.value)
        evidence[f"patient.{name}"] = _span(found.start, found.end)

    for raw in raw_items:
        record.items.append(_item(text, raw))

    if not record.items:
        record.warnings.append(ExtractionWarning(
            code="no_items", field="items",
            message="no decision line (': Upheld' / ': Overturned') was found",
        ))
    if record.case_number is None and sections.header_end > 0 and "Case Number" in text[: sections.header_end]:
        record.warnings.append(ExtractionWarning(
            code="unreadable_header", field="case_number",
            message="the letter has a 'Case Number' label but no case number of the form CM00-0000000",
        ))
    return record


def _item(text: str, raw) -> Item:  # type: ignore[no-untyped-def]
    request, req_start, req_end = raw.request
    decision = Decision(raw.decision[0])
    evidence = {
        "request": _span(req_start, req_end),
        "decision": _span(raw.decision[1], raw.decision[2]),
    }
    values: dict[str, object] = {}
    for name, (value, start, end) in raw.fields.items():
        values[name] = value
        evidence[name] = _span(start, end)
    chunk = text[req_start:req_end]
    strength = read_strength(chunk)
    if strength:
        values["strength"] = strength[0]
        evidence["strength"] = _span(req_start + strength[1], req_start + strength[2])
    quantity = read_quantity(chunk)
    if quantity:
        values["quantity"] = quantity[0]
        evidence["quantity"] = _span(req_start + quantity[1], req_start + quantity[2])
    kind = classify(request)
    if kind is not None:
        values["category"] = kind.category
        values["drug_class"] = kind.drug_class
        # The span is of the word that decided, inside the request's collapsed text; the
        # request span maps one to one because normalised text has single spaces.
        evidence["category"] = _span(req_start + kind.start, req_start + kind.end)
    maximus = values.get("maximus_guideline")
    return Item(
        request=request,
        decision=decision,
        medically_necessary=decision is Decision.OVERTURNED,
        guideline_sources=guideline_sources(maximus if isinstance(maximus, str) else None),
        evidence=evidence,
        **values,  # type: ignore[arg-type]
    )
