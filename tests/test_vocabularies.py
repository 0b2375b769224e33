"""The vocabulary files: the loader refuses a bad file, and every shipped one loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llm_extract.errors import ConfigError
from llm_extract.rules.vocabularies import compile_term, load_vocabulary, load_vocabulary_file, vocab_dir

_GOOD = 'description = "Test words."\n\n[groups.a]\nterms = ["cream[s]"]\n\n[groups.b]\nterms = ["gel"]\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "words.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(tmp_path: Path, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_vocabulary_file(path)
    assert str(path) in str(caught.value)  # the message names the file
    return str(caught.value)


def test_a_good_file_loads_in_order(tmp_path: Path) -> None:
    vocabulary = load_vocabulary_file(_write(tmp_path, _GOOD))
    assert list(vocabulary.groups) == ["a", "b"]
    assert vocabulary["a"].terms == ("cream[s]",)


def test_a_term_in_two_groups_is_refused(tmp_path: Path) -> None:
    message = _refused(tmp_path, _GOOD + '\n[groups.c]\nterms = ["Cream[s]"]\n')
    assert "groups.a" in message and "groups.c" in message


def test_a_term_in_the_early_and_late_words_of_one_group_is_refused(tmp_path: Path) -> None:
    text = 'description = "x"\n[groups.a]\nearly_terms = ["SNF"]\nterms = ["snf"]\n'
    message = _refused(tmp_path, text)
    assert "groups.a.early_terms" in message and "groups.a.terms" in message


def test_a_group_defined_twice_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, _GOOD + '\n[groups.a]\nterms = ["lotion"]\n')


@pytest.mark.parametrize("text, names", [
    (_GOOD + 'colour = "red"\n', "colour"),                                # an unknown key in the file
    (_GOOD + 'regexes = ["x"]\n', "regexes"),                              # ... even one that sounds right
    ('description = "x"\n[groups.a]\nterm = ["gel"]\n', "term"),            # an unknown key in a group
    ('description = "x"\n[groups.a]\nterms = "gel"\n', "groups.a.terms"),  # a string, not a list
    ('description = "x"\n[groups.a]\nterms = [1]\n', "groups.a.terms"),    # not strings
    ('description = "x"\n[groups.a]\nterms = [""]\n', "non-empty"),         # an empty term
    ('description = "x"\n[groups.a]\nterms = [" gel"]\n', "non-empty"),     # stray spaces
    ('description = "x"\n[groups.a]\nterms = []\n', "no terms"),            # an empty group
    ('description = "x"\n[groups.a]\nterms = ["cream[s"]\n', "unbalanced"),
    ('description = "x"\n[groups.a]\npatterns = ["(x"]\n', "regular expression"),
    ('[groups.a]\nterms = ["gel"]\n', "description"),                       # a missing key
])
def test_a_malformed_file_is_refused(tmp_path: Path, text: str, names: str) -> None:
    assert names in _refused(tmp_path, text)


@pytest.mark.parametrize("term, reads, misses", [
    ("cream[s]", ["cream", "Creams"], ["creamss"]),
    ("x[-]ray[s]", ["x-ray", "xray", "X-rays"], ["x ray"]),
    ("office visit", ["office visit", "Office\n  visit"], ["officevisit"]),
    ("rehab*", ["rehab", "rehabilitation"], ["reha"]),
    ("*otomy", ["rhizotomy", "otomy"], []),
    ("PT/PTT", ["pt/ptt"], ["pt ptt"]),
    ("[neuro]psycholog*", ["psychological", "neuropsychology"], ["neuro psychology"]),
])
def test_term_syntax(term: str, reads: list[str], misses: list[str]) -> None:
    pattern = re.compile(compile_term(term) + r"\Z", re.I)
    assert all(pattern.match(text) for text in reads)
    assert not any(pattern.match(text) for text in misses)


def test_every_shipped_vocabulary_loads() -> None:
    names = sorted(path.stem for path in vocab_dir().glob("*.toml"))
    assert {"drugs", "categories", "guideline_topics", "body_parts", "treatment", "clauses"} <= set(names)
    for name in names:
        vocabulary = load_vocabulary(name)
        assert vocabulary.groups
        for group in vocabulary.groups.values():
            re.compile(group.regex(), re.I)
            re.compile(group.regex(early=True), re.I)


def test_a_category_is_defined_once() -> None:
    """Home health and evaluation and management keep their two rounds in one group each."""
    categories = load_vocabulary("categories")
    assert "SNF" in categories["home_health"].early_terms
    assert "SNF" not in categories["home_health"].terms


@pytest.mark.parametrize("name, module", [("treatment", "treatment.py"), ("clauses", "clauses.py")])
def test_every_treatment_and_clause_group_is_read(name: str, module: str) -> None:
    """A group added to treatment.toml or clauses.toml that no rule reads would match nothing, silently."""
    source = (Path(__file__).resolve().parents[1] / "llm_extract" / "rules" / module).read_text(encoding="utf-8")
    read = set(re.findall(r"""_words\(['"](\w+)['"]\)""", source))
    assert read == set(load_vocabulary(name).groups)


def test_a_lead_in_term_reads_its_spellings() -> None:
    """The lead-in terms say "pre-op" with or without its hyphen and space, and a plural lab."""
    pattern = re.compile(load_vocabulary("treatment")["lab_label"].regex() + r"$", re.I)
    for text in ("Pre-op labs", "preop lab", "pre op labs", "Pre-operative labs", "laboratory studies", "blood  work"):
        assert pattern.match(text), text
    for text in ("post-op labs", "pre-opp labs", "bloodwork"):
        assert not pattern.match(text), text
