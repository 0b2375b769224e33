"""The model's own certainty about each value it gave, from the answer tokens' log-probabilities.

llama.cpp's server (and OpenAI) return, with ``logprobs=true``, each generated token and its
log-probability. In an open-questions answer the choice of a category or drug class is made
at the value's first token (``"durable`` against ``"diagnostic``); the later tokens only
spell the chosen word out, so the first token's probability is the model's certainty about
the value. The probabilities are kept with the cached answer, so a cached re-run gives the
same confidences.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["value_probabilities"]

_INDEX = re.compile(r'"index"\s*:\s*(\d+)')
_VALUE = re.compile(r'"(category|drug_class)"\s*:\s*"([^"]+)"')


def value_probabilities(tokens: Sequence[tuple[str, float]]) -> dict[str, float]:
    """``{"<index>.category": p, "<index>.drug_class": p}`` for each item the answer gives.

    ``tokens`` are the answer's ``(token, logprob)`` pairs in order; an item is the last
    ``"index"`` written before the value. A value whose first token cannot be found is left out.
    """
    content = "".join(t for t, _ in tokens)
    ends: list[int] = []
    at = 0
    for token, _ in tokens:
        at += len(token)
        ends.append(at)
    indices = [(m.start(), int(m.group(1))) for m in _INDEX.finditer(content)]
    out: dict[str, float] = {}
    for m in _VALUE.finditer(content):
        before = [n for pos, n in indices if pos < m.start()]
        if not before:
            continue
        first = _token_at(ends, m.start(2))
        if first is None:
            continue
        out[f"{before[-1]}.{m.group(1)}"] = round(math.exp(tokens[first][1]), 4)
    return out


def _token_at(ends: list[int], offset: int) -> int | None:
    """The index of the token holding character ``offset`` of the joined content."""
    for i, end in enumerate(ends):
        if offset < end:
            return i
    return None
