"""llm_extract: validated, source-grounded records from IMR final determination letters.

The public API is small::

    import llm_extract
    record = llm_extract.extract("CM16-0213037.pdf")          # model-assisted
    record = llm_extract.extract("letter.txt", rules_only=True)  # deterministic pass only

The subpackages follow the pipeline's stages: ``reading`` (file to normalised text),
``rules`` (the deterministic pass), ``model`` (the model pass and its merge), then
``evaluation``, ``batch`` and ``cli`` on top; ``record`` and ``errors`` are shared by all.

Importing the package loads only the record, the errors, reading and the rules pass. The
model stack (instructor, openai), batch jobs, evaluation and the local server load on first
use of a name that needs them (module ``__getattr__`` below), so a rules-only caller never
pays for them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ExtractionError, InputError, LlmExtractError, ModelError
from .pipeline import extract
from .reading import Letter, letter_from_text, read_letter
from .record import (
    Category,
    Confidence,
    Decision,
    DrugClass,
    ExtractionWarning,
    GuidelineSource,
    IMRRecord,
    Item,
    Patient,
    Priority,
    Provenance,
    Reviewer,
    Span,
    ValueSource,
)
from .version import __version__

if TYPE_CHECKING:  # the lazily loaded names, for type checkers and IDEs
    from .batch import BatchResult, aextract_batch, extract_batch
    from .evaluation import Evaluation, evaluate
    from .model.local_model import LOCAL_MODELS
    from .model.local_server import LocalServer
    from .model.prompts import Prompt, load_prompt
    from .model.settings import Settings

#: Public name -> the module that defines it, imported on first access.
_LAZY = {
    "Settings": ".model.settings",
    "LocalServer": ".model.local_server",
    "LOCAL_MODELS": ".model.local_model",
    "Prompt": ".model.prompts",
    "load_prompt": ".model.prompts",
    "evaluate": ".evaluation",
    "Evaluation": ".evaluation",
    "extract_batch": ".batch",
    "aextract_batch": ".batch",
    "BatchResult": ".batch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    # The public names and the subpackages already imported; not this module's helpers.
    loaded = {name for name, value in globals().items() if isinstance(value, ModuleType)}
    return sorted(set(__all__) | loaded)


__all__ = [
    # the model pass
    "Settings",
    "LocalServer",
    "LOCAL_MODELS",
    "Prompt",
    "load_prompt",
    "__version__",
    # the entry point
    "extract",
    # evaluation runs
    "evaluate",
    "Evaluation",
    # batch jobs
    "extract_batch",
    "aextract_batch",
    "BatchResult",
    # errors
    "LlmExtractError",
    "ConfigError",
    "InputError",
    "ModelError",
    "ExtractionError",
    # reading
    "Letter",
    "read_letter",
    "letter_from_text",
    # the record
    "IMRRecord",
    "Item",
    "Reviewer",
    "Patient",
    "Span",
    "Confidence",
    "ValueSource",
    "ExtractionWarning",
    "Provenance",
    "Decision",
    "Priority",
    "Category",
    "DrugClass",
    "GuidelineSource",
]
