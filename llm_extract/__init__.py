"""llm_extract: validated, source-grounded records from IMR final determination letters.

The public API is small::

    import llm_extract
    record = llm_extract.extract("CM16-0213037.pdf")          # model-assisted
    record = llm_extract.extract("letter.txt", rules_only=True)  # deterministic pass only

Everything else lives in private or task-specific modules.
"""


from .batch import BatchResult, aextract_batch, extract_batch
from .evaluation import Evaluation, evaluate
from .errors import ConfigError, ExtractionError, InputError, LlmExtractError, ModelError
from .local_model import LOCAL_MODELS
from .local_server import LocalServer
from .pipeline import extract
from .prompts import Prompt, load_prompt
from .reading import Letter, letter_from_text, read_letter
from .record import (
    Category,
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
)
from .settings import Settings
from .version import __version__

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
    "ExtractionWarning",
    "Provenance",
    "Decision",
    "Priority",
    "Category",
    "DrugClass",
    "GuidelineSource",
]
