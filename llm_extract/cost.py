"""What extracting one letter cost: the one model every stage passes on.

The model client meters a letter live (:class:`~llm_extract.model.client.Usage`) and turns
the meter into a :class:`Cost`; an :class:`~llm_extract.errors.ExtractionError` carries one;
the evaluation keeps one per letter in the answer cache's ledger and writes it into
results.json (``evaluation.results.LetterCost`` adds the letter's name and failure), and
:func:`~llm_extract.evaluation.runner.load_results` reads it back. So the names of the
counts are written once, here.

This module sits below every stage (it imports pydantic only), so that ``errors`` may use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

__all__ = ["Cost", "SPENT_FIELDS"]

#: The measured counts, as the answer cache's ledger stores them (no ``cache_hit``/``cost_known``,
#: so that a ledger written here still reads under code that predates those flags).
SPENT_FIELDS = ("seconds", "prompt_tokens", "completion_tokens", "model_calls", "reasks")


class Cost(BaseModel):
    """Seconds, tokens, model calls and re-asks spent on one letter, over all attempts.

    ``model_calls`` also reads the meter's older key ``calls`` (an :class:`ExtractionError`'s
    ``usage`` and the answer cache's entries name it so). ``cache_hit``: the answers came
    from the answer cache; ``cost_known`` is False when that cache was filled outside an
    evaluation, so the counts are not what the answers cost when they were made.
    """

    # "model_calls" is the name results.json has always used; pydantic reserves "model_".
    model_config = ConfigDict(protected_namespaces=(), extra="ignore")

    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = Field(default=0, validation_alias=AliasChoices("model_calls", "calls"))
    reasks: int = 0
    cache_hit: bool = False
    cost_known: bool = True

    @classmethod
    def measured(cls, source: Any, **flags: Any) -> Cost:
        """The counts of anything with these attributes (a record's ``Provenance``), plus ``flags``."""
        return cls(**{f: getattr(source, f) for f in SPENT_FIELDS}, **flags)

    def spent(self) -> dict[str, Any]:
        """The measured counts alone, as the answer cache's ledger stores them."""
        return self.model_dump(include=set(SPENT_FIELDS))

    def usage_dict(self) -> dict[str, int]:
        """The tokens and calls in the meter's older shape (``calls``, no seconds)."""
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "calls": self.model_calls, "reasks": self.reasks}
