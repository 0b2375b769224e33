"""Issue 11: bad input never becomes a wrong record.

The corpus (tests/badinputs/make_corpus.py) is generated from the seed letters; each case
asserts its exact outcome through the API and the CLI. A batch with 5% bad inputs checks that
every good letter lands in records.jsonl once and every bad one in errors.jsonl with its type.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from llm_extract import InputError, extract, letter_from_text, Letter
from llm_extract.cli.main import main
from llm_extract.errors import ModelError, redact

sys.path.insert(0, str(Path(__file__).parent))
from badinputs.make_corpus import build, build_batch, seed, TEXT_SEED  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return build(tmp_path_factory.mktemp("badinputs"))


def _check(case, run) -> None:  # type: ignore[no-untyped-def]
    if case.error:
        with pytest.raises(InputError) as info:
            run()
        assert info.value.source == str(case.path)
        assert str(info.value).startswith(f"{case.path}: ")
        assert re.search(case.match, info.value.message), info.value.message
        return
    record = run()
    assert record.provenance.source == str(case.path)
    if case.case_number:
        assert record.case_number == case.case_number
    if case.items is not None:
        assert len(record.items) == case.items
    codes = {w.code for w in record.warnings}
    assert case.warnings <= codes
    if not case.warnings:
        assert codes == set(), record.warnings
    for text in case.absent:
        for item in record.items:
            assert text not in item.model_dump_json()


def test_corpus_through_the_api(corpus) -> None:  # type: ignore[no-untyped-def]
    assert {c.hole for c in corpus} >= {"ok", "1", "2", "3", "4", "5", "6", "7", "8", "12"}
    for case in corpus:
        _check(case, lambda: extract(case.path, rules_only=True))
        if case.error is None:  # the same letter as a str path
            _check(case, lambda: extract(str(case.path), rules_only=True))


def test_stray_decision_line_keeps_item_one_whole(corpus) -> None:  # type: ignore[no-untyped-def]
    clean = extract(seed(TEXT_SEED), rules_only=True)
    case = next(c for c in corpus if c.name == "stray_decision_line.md")
    record = extract(case.path, rules_only=True)
    assert [i.request for i in record.items] == [i.request for i in clean.items]
    assert record.items[1].maximus_guideline == clean.items[1].maximus_guideline
    assert "appeal: Overturned" in record.items[0].rationale  # letter text stays data
    (warning,) = [w for w in record.warnings if w.code == "stray_decision_line"]
    assert "not read as an item" in warning.message


def test_corpus_through_the_cli(corpus) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["extract", "--rules-only", *[str(c.path) for c in corpus]])
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    lines = [json.loads(ln) for ln in result.stdout.splitlines()]
    assert [ln["source"] for ln in lines] == [str(c.path) for c in corpus if not c.error]
    for case in corpus:
        if case.error:
            assert f"error: InputError: {case.path}: " in result.stderr
    n_bad = sum(1 for c in corpus if c.error)
    assert f"{len(corpus) - n_bad} of {len(corpus)} letters extracted; {n_bad} failed." in result.stderr


def test_permission_denied_is_an_input_error_and_the_others_go_on(corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import builtins

    import llm_extract.reading.letter as reading

    good = next(c for c in corpus if c.name == "control.md").path
    locked = next(c for c in corpus if c.name == "utf8bom.md").path
    real_open = builtins.open

    def fake_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(reading, "open", fake_open, raising=False)
    with pytest.raises(InputError, match=rf"^{re.escape(str(locked))}: permission denied$"):
        extract(locked, rules_only=True)
    result = CliRunner().invoke(main, ["extract", "--rules-only", str(locked), str(good)])
    assert result.exit_code == 1
    assert f"error: InputError: {locked}: permission denied" in result.stderr
    assert [json.loads(ln)["source"] for ln in result.stdout.splitlines()] == [str(good)]


def test_strings_are_paths_and_text_is_explicit(tmp_path: Path) -> None:
    text = seed(TEXT_SEED).read_text(encoding="utf-8")
    with pytest.raises(InputError) as info:
        extract(text, rules_only=True)  # the text given as a positional is a (bad) path, never read as text
    assert info.value.source == text
    missing = str(tmp_path / "two\nlines.md")
    with pytest.raises(InputError, match="no such file") as info:
        extract(missing, rules_only=True)
    assert info.value.source == missing
    record = extract(text=text, source="pasted", rules_only=True)
    assert (record.provenance.source, record.case_number) == ("pasted", "CM17-0015790")
    assert Letter.from_text(text).sha256 == letter_from_text(text).sha256
    with pytest.raises(TypeError):
        extract(seed(TEXT_SEED), text=text)


def test_api_key_is_redacted_everywhere() -> None:
    from llm_extract.batch.runner import _describe
    from llm_extract.model.settings import Settings

    key = "local-secret-key-4242"
    Settings.resolve(api_key=key, base_url="http://localhost:1/v1", env={})
    err = ModelError(f"the model endpoint answered HTTP 401: Incorrect API key provided: {key}", source="a.pdf")
    assert key not in str(err) and "***" in err.message
    assert redact("Authorization: Bearer abcdefgh12345 and sk-proj-ABCDEF123456") == \
        "Authorization: Bearer *** and ***"
    assert key not in _describe(RuntimeError(f"boom {key}"))[1]


def test_timeout_from_the_environment_and_the_cli() -> None:
    from llm_extract.errors import ConfigError
    from llm_extract.model.settings import Settings

    assert Settings.resolve(env={"LLM_EXTRACT_TIMEOUT": "12.5"}).timeout == 12.5
    assert Settings.resolve(timeout=3, env={"LLM_EXTRACT_TIMEOUT": "12.5"}).timeout == 3
    with pytest.raises(ConfigError, match="LLM_EXTRACT_TIMEOUT"):
        Settings.resolve(env={"LLM_EXTRACT_TIMEOUT": "soon"})
    result = CliRunner().invoke(main, ["extract", "--help"])
    assert "--timeout" in result.output
    result = CliRunner().invoke(main, ["extract", "--timeout", "0", "x.pdf"])
    assert result.exit_code == 2


@pytest.mark.parametrize("count", [200])
def test_batch_with_bad_inputs_mixed_in(tmp_path: Path, count: int) -> None:
    from llm_extract import extract_batch

    good, bad = build_batch(tmp_path / "in", count=count, bad_share=0.05)
    assert len(bad) == round(count * 0.05)
    out = tmp_path / "out"
    for _ in extract_batch([tmp_path / "in"], out_dir=out, rules_only=True, concurrency=2, fsync=False,
                           formats=("jsonl",)):
        pass
    records = [json.loads(ln) for ln in (out / "records.jsonl").read_text().splitlines()]
    errors = [json.loads(ln) for ln in (out / "errors.jsonl").read_text().splitlines()]
    sources = [r["source"] for r in records if r.get("record")]
    assert sorted(sources) == sorted(str(p) for p in good)  # every good letter exactly once
    assert {Path(e["source"]).name for e in errors} == {p.name for p in bad}
    assert len(errors) == len(bad)
    assert {e["error_type"] for e in errors} == {"InputError"}
    assert all(e["message"] for e in errors)
