"""The public API is exactly what ``__all__`` names, and every name in it exists."""

import llm_extract

EXPECTED_CORE = {
    "extract", "IMRRecord", "Item", "LlmExtractError", "ConfigError", "InputError",
    "ModelError", "ExtractionError", "read_letter", "Letter",
}


def test_all_names_exist() -> None:
    missing = [name for name in llm_extract.__all__ if not hasattr(llm_extract, name)]
    assert missing == []


def test_all_has_no_duplicates_and_covers_core() -> None:
    assert len(llm_extract.__all__) == len(set(llm_extract.__all__))
    assert EXPECTED_CORE <= set(llm_extract.__all__)


def test_no_public_name_outside_all() -> None:
    modules = {"errors", "reading", "record", "version", "normalize", "dates", "layout", "items",
               "rules", "pipeline", "scoring", "fixtures", "cli"}
    public = {n for n in dir(llm_extract) if not n.startswith("_")}
    stray = public - set(llm_extract.__all__) - modules
    # Submodules imported as attributes are allowed; any other public name must be in __all__.
    stray = {n for n in stray if not isinstance(getattr(llm_extract, n), type(llm_extract))}
    assert stray == set()


def test_error_hierarchy() -> None:
    for cls in (llm_extract.ConfigError, llm_extract.InputError, llm_extract.ModelError,
                llm_extract.ExtractionError):
        assert issubclass(cls, llm_extract.LlmExtractError)
    err = llm_extract.InputError("the file is empty", source="a.pdf")
    assert str(err) == "a.pdf: the file is empty"
    assert err.source == "a.pdf"
