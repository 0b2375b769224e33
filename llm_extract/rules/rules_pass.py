"""The deterministic pass: everything the letter's fixed layout gives away, with evidence.

No model is involved. The result is a complete :class:`IMRRecord` except for the fields
that need reading comprehension (treatment, diagnoses, and the category and drug class of a
request whose words do not state them; see :mod:`lexicon`), which stay empty for the model
pass to fill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..reading.letter import Letter
from ..record import (
    Category,
    Decision,
    DrugClass,
    ExtractionWarning,
    GuidelineSource,
    IMRRecord,
    Item,
    Priority,
    Provenance,
    Span,
    ValueSource,
)
from ..version import __version__
from .confidence import needs_review
from .diagnoses import read_diagnoses
from .guideline_topics import place
from .items import RawItem, contests, decision_lines, guideline_sources, read_items, read_quantity, read_strength
from .layout import (
    HEADER_LABELS,
    Sections,
    count_letters,
    find_sections,
    header_labels,
    read_credentials,
    read_header,
    read_injury_date,
    read_patient,
)
from .neighbours import vote
from .placing import diagnosis_confidence, treatment_confidence
from .placing import placed as _placed
from .treatment import treatment_name
from .vocab import decision_of

__all__ = ["extract_rules", "read_rules", "RulesResult", "Alternative", "EXTRACTOR"]

#: Names the deterministic pass in provenance; bump the suffix when a rule changes output.
EXTRACTOR = f"rules@{__version__}"

_IMR_MARKERS = re.compile(
    r"Independent\s+Medical\s+Review|HOW\s+THE\s+IMR|MAXIMUS|Decision\s+rationale:|"
    r"Claims\s+Administrator\s+guideline:",
    re.I,
)


@dataclass(frozen=True)
class RulesResult:
    """What the rules pass hands on: the record, and where the letter's case summary is.

    The sections are found once, here; the model pass reads the summary's span from this
    object instead of finding the sections again.
    """

    record: IMRRecord
    summary: Span  # the case summary's span, or the text before the issues if no heading
    summary_found: bool  # whether the letter has a "CLINICAL CASE SUMMARY" heading
    #: Items (1-based) whose request words and guideline topic name different categories:
    #: the record keeps the words' answer, and this is the topic's, for the model to weigh.
    contested: dict[int, Alternative] = field(default_factory=dict)


@dataclass(frozen=True)
class Alternative:
    """The category (and drug class) a guideline topic gives, where the request's words differ."""

    category: Category
    drug_class: DrugClass | None
    span: Span | None  # the topic's words in the letter text


def extract_rules(letter: Letter) -> IMRRecord:
    """Read every layout field of ``letter`` into a record, each value with its span.

    Raises :class:`InputError` when the text is not an IMR determination letter.
    """
    return read_rules(letter).record


def read_rules(letter: Letter) -> RulesResult:
    """:func:`extract_rules`, with the case summary's span for the stages after it."""
    text = letter.text
    letters, cases = count_letters(text)
    if letters > 1:
        named = f" (case numbers {', '.join(cases)})" if len(cases) > 1 else ""
        raise InputError(
            f"the file holds {letters} letters{named}, not one; split it into one file per letter",
            source=letter.source,
        )
    sections = find_sections(text)
    item_start = sections.issues if sections.issues >= 0 else 0
    _refuse_undecided_items(letter, item_start)
    raw_items = read_items(text, item_start)
    if not raw_items and not (_IMR_MARKERS.search(text) and sections.summary >= 0 and sections.issues >= 0):
        # Marker phrases alone ("MAXIMUS", "Decision rationale:") do not make a letter.
        raise InputError(
            "not an IMR final determination letter (no decision lines, no case summary and "
            "issues sections)",
            source=letter.source,
        )

    record = IMRRecord(
        provenance=Provenance(source=letter.source, extractor_version=EXTRACTOR,
                              text_sha256=letter.sha256)
    )
    evidence = record.evidence

    header = read_header(text, sections)
    for name, found in header.items():
        setattr(record, name, Priority(str(found.value)) if name == "priority" else found.value)
        evidence[name] = found.span

    if record.date_of_injury is None:
        pivot = record.decision_date.year if record.decision_date else None
        injury = read_injury_date(text, sections, pivot_year=pivot)
        if injury:
            record.date_of_injury = injury.value  # type: ignore[assignment]  # Found.value is object; this one a date
            evidence["date_of_injury"] = injury.span

    for name, entries in read_credentials(text, sections).items():
        setattr(record.reviewer, name, [str(e.value) for e in entries])
        for i, e in enumerate(entries):
            evidence[f"reviewer.{name}.{i}"] = e.span

    for name, found in read_patient(text, sections).items():
        setattr(record.patient, name, found.value)
        evidence[f"patient.{name}"] = found.span

    summary_start = sections.summary if sections.summary >= 0 else 0
    summary_end = sections.issues if sections.issues > summary_start else len(text)
    for i, dx in enumerate(read_diagnoses(text, summary_start, summary_end)):
        record.diagnoses.append(dx.text)
        evidence[f"diagnoses.{i}"] = dx.span
        record.confidence[f"diagnoses.{i}"] = diagnosis_confidence(dx)

    contested: dict[int, Alternative] = {}
    for n, raw in enumerate(raw_items, start=1):
        # A letter's own labelled rows (a dev fixture's) never answer it: named by text and case number.
        item, alternative, settled = _item(text, raw, (letter.sha256, record.case_number or ""))
        record.items.append(item)
        if alternative is not None and item.category is not None:
            words, topic = (alternative.category, item.category) if settled == "topic" else (
                item.category, alternative.category)
            if settled:
                outcome = f"the nearest labelled requests side with the {settled}'s {item.category.value}"
            else:
                contested[n] = alternative
                outcome = "the words' answer kept unless the model chooses the topic's"
            record.warnings.append(ExtractionWarning(
                code="category_contested", field=f"items.{n - 1}.category",
                message=f"the request's words say {words.value}; the MAXIMUS guideline's topic "
                        f"says {topic.value} ({outcome})"))

    _layout_warnings(record, letter, sections, item_start)

    if not record.items:
        record.warnings.append(ExtractionWarning(
            code="no_items", field="items",
            message="no decision line (': Upheld' / ': Overturned') was found",
        ))
    _header_warnings(record, text, sections)
    record.needs_review = needs_review(record)
    return RulesResult(record=record, summary=Span.at(summary_start, summary_end), summary_found=sections.summary >= 0,
                       contested=contested)


def _layout_warnings(record: IMRRecord, letter: Letter, sections: Sections, item_start: int) -> None:
    """What reading or the layout missed shows on the record, never as a quietly short record."""
    warn = record.warnings.append
    for note in letter.warnings:
        # The reader says which: the fallback PDF reader ran, or part of the file was damaged.
        code = "pdf_reader_fallback" if "fallback" in note else "damaged_input"
        warn(ExtractionWarning(code=code, field="text", message=note))
    for name, offset in (("summary", sections.summary), ("issues", sections.issues)):
        if offset < 0:
            heading = "CLINICAL CASE SUMMARY" if name == "summary" else "IMR ISSUES, DECISIONS AND RATIONALES"
            warn(ExtractionWarning(code="missing_section", field=name,
                                   message=f"the letter has no '{heading}' section"))
    anchored, strays = decision_lines(letter.text, item_start)
    # A stray that lost a contest for a guideline block says to which line, and why.
    lost = {line.start(): (c.kept.start(), c.why)
            for c in contests(letter.text, item_start) if c.kept is not None for line in c.lines}
    for m in strays:
        line = " ".join(letter.text[max(0, letter.text.rfind("\n", 0, m.start()) + 1): m.end()].split())
        if m.start() in lost:
            kept, why = lost[m.start()]
            where = (f"competes with the decision line at offset {kept} for one guideline block, "
                     f"which was kept because {why}")
        else:
            where = ("is not where the layout puts a decision line (no item label follows, or it stands "
                     "among another item's labels)")
        warn(ExtractionWarning(code="stray_decision_line", field="items",
                               message=f"a line ending in ': {decision_of(m.group(1))}' at offset {m.start()} "
                                       f"{where}; not read as an item: {line[:80]!r}"))
    for i, item in enumerate(record.items):
        missing = [label for name, label in (("claims_administrator_guideline", "Claims Administrator guideline"),
                                             ("maximus_guideline", "MAXIMUS guideline"),
                                             ("rationale", "Decision rationale"))
                   if getattr(item, name, None) in (None, "")]
        if missing:
            warn(ExtractionWarning(code="incomplete_item", field=f"items.{i}",
                                   message=f"item {i + 1} has no {', no '.join(missing)} line"))


def _refuse_undecided_items(letter: Letter, item_start: int) -> None:
    """Refuse a letter where two decision lines compete for one guideline block and nothing decides.

    Either line could be the disputed item, with opposite decisions; choosing would risk a
    record that names a request the letter never disputed. The message gives offsets only:
    letter text is health information.
    """
    for contest in contests(letter.text, item_start):
        if contest.kept is None:
            at = ", ".join(str(line.start()) for line in contest.lines)
            raise InputError(
                f"the decision lines at offsets {at} compete for one guideline block and nothing in the "
                f"letter decides which is the disputed item; check the letter's text there",
                source=letter.source,
            )


def _header_warnings(record: IMRRecord, text: str, sections: Sections) -> None:
    """Warn, field by field, where the letter has a header block but a header field did not read."""
    labels = header_labels(text, sections)
    if not labels:
        return  # no header block: the fields come from elsewhere or stay empty, as the layout has it
    for name, words in HEADER_LABELS.items():
        if getattr(record, name) is not None:
            continue
        if name not in labels:
            message = f"the letter has a header but no readable '{words}' label"
        elif name == "case_number":
            message = "the letter has a 'Case Number' label but no case number of the form CM00-0000000"
        else:
            message = f"the letter has a '{words}' label but no readable value after it"
        record.warnings.append(ExtractionWarning(code="unreadable_header", field=name, message=message))


def _locate(text: str, within: Span, value: str, sub: Span) -> Span | None:
    """Where ``value[sub.start:sub.end]`` stands in ``text``, ``value`` being ``within`` collapsed.

    A field's value is its text with whitespace runs collapsed to one space (line breaks
    included), so the offsets are mapped back by one walk over the span: no search.
    """
    positions: list[int] = []  # positions[i]: where the value's i-th character is in text
    in_space = True  # leading whitespace is not in the value
    for i in range(within.start, within.end):
        if text[i].isspace():
            if not in_space:
                positions.append(i)
            in_space = True
        else:
            positions.append(i)
            in_space = False
    if sub.end > len(positions) or sub.start >= sub.end or sub.of(value) != "".join(
            " " if text[p].isspace() else text[p] for p in positions[sub.start:sub.end]):
        return None
    return Span.at(positions[sub.start], positions[sub.end - 1] + 1)


def _item(text: str, raw: RawItem, letter_keys: tuple[str, str]) -> tuple[Item, Alternative | None, str | None]:
    """One item from its raw layout values, and its contested reading if any.

    The third value says who settled a contest between the request's words and the guideline
    topic: ``"words"`` or ``"topic"`` where the nearest labelled requests side with one, else
    ``None`` (the contest stays open for the model).
    """
    request, req = raw.request
    decision = Decision(raw.decision[0])
    evidence = {"request": req, "decision": raw.decision[1]}
    values: dict[str, object] = {}
    for name, (value, span) in raw.fields.items():
        values[name] = value
        evidence[name] = span
    chunk = req.of(text)
    maximus = raw.fields.get("maximus_guideline")
    kind = place(request, maximus[0] if maximus else None)
    kind_span = alternative = None
    if kind is not None and kind.source == "request":
        # The request span maps one to one onto the collapsed request: normalised text has single spaces.
        kind_span = kind.span.shift(req.start)
    elif kind is not None:
        # Here and below kind came from the MAXIMUS text, so maximus is set.
        kind_span = _locate(text, maximus[1], maximus[0], kind.span)  # type: ignore[index]  # above
    if kind is not None and kind.alternative is not None:
        topic = kind.alternative
        alternative = Alternative(topic.category, topic.drug_class,
                                  _locate(text, maximus[1], maximus[0], topic.span))  # type: ignore[index]  # above
    placed = _placed(kind, alternative, vote(request, exclude_letter=letter_keys))
    treatment = treatment_name(request, placed.category.value if placed.category else None)
    if treatment:
        values["treatment"] = treatment
        evidence["treatment"] = req
    strength = read_strength(chunk)
    if strength:
        values["strength"] = strength[0]
        evidence["strength"] = strength[1].shift(req.start)
    quantity = read_quantity(chunk)
    if quantity:
        values["quantity"] = quantity[0]
        evidence["quantity"] = quantity[1].shift(req.start)
    if placed.category is not None:
        values["category"] = placed.category
        values["drug_class"] = placed.drug_class
        if placed.settled == "topic" and alternative is not None and alternative.span:
            evidence["category"] = alternative.span
        elif placed.category_source is ValueSource.NEIGHBOURS:
            evidence["category"] = req
        elif kind_span:
            evidence["category"] = kind_span
        if placed.class_source is ValueSource.NEIGHBOURS and placed.drug_class is not None:
            evidence["drug_class"] = req
    confidence = {
        "treatment": treatment_confidence(request, treatment, placed.category, exclude_letter=letter_keys),
        "category": placed.category_conf,
        "drug_class": placed.class_conf,
    }
    maximus_text = values.get("maximus_guideline")
    return Item(
        request=request,
        decision=decision,
        medically_necessary=decision is Decision.OVERTURNED,
        guideline_sources=[GuidelineSource(s) for s in guideline_sources(maximus_text if isinstance(maximus_text, str)
                                                                          else None)],
        evidence=evidence,
        confidence=confidence,
        **values,  # type: ignore[arg-type]  # each field's value as read; Item validates it
    ), alternative, placed.settled
