"""The one span type: the rules' readings and the record's evidence share it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from llm_extract.record import Span
from llm_extract.rules.items import read_quantity, read_strength
from llm_extract.rules.lexicon import classify


def test_shift_moves_both_ends_and_keeps_the_source() -> None:
    moved = Span(start=2, end=5, source="model").shift(10)
    assert (moved.start, moved.end, moved.source) == (12, 15, "model")


def test_a_shift_before_the_text_start_is_refused() -> None:
    with pytest.raises(ValidationError):
        Span.at(1, 3).shift(-2)


def test_of_is_the_covered_text() -> None:
    assert Span.at(4, 9).of("The MRI scan") == "MRI s"


def test_the_json_form_is_the_record_contract() -> None:
    # Evidence serialises as {"start", "end", "source"}, whichever constructor built it.
    assert json.loads(Span.at(3, 7).model_dump_json()) == {"start": 3, "end": 7, "source": "rules"}
    assert Span.at(3, 7) == Span(start=3, end=7)


def test_a_span_cannot_change_under_a_cached_reading() -> None:
    span = classify("Baclofen 10mg #90").span  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        span.start = 0  # type: ignore[misc]


def test_request_spans_shift_into_the_letter() -> None:
    letter = "Header.\n\nTramadol 50mg #60: Upheld"
    at = letter.index("Tramadol")
    request = letter[at:letter.index(":")]
    strength, quantity = read_strength(request), read_quantity(request)
    assert strength is not None and quantity is not None
    assert letter[strength[1].shift(at).start:strength[1].shift(at).end] == "50mg"
    assert letter[quantity[1].shift(at).start:quantity[1].shift(at).end] == "60"
