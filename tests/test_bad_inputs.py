"""Issues 11 and 20: bad input never becomes a wrong record.

The corpus (tests/badinputs/make_corpus.py) is generated from the seed letters; each case
asserts its exact outcome through the API and the CLI, and issue 20's cases (competing
decision lines, control characters in labels, unreadable header fields) through the service
too. A batch with 5% bad inputs checks that every good letter lands in records.jsonl once and
every bad one in errors.jsonl with its type.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from llm_extract import InputError, Letter, extract, letter_from_text
from llm_extract.cli.main import main
from llm_extract.errors import ModelError, redact

sys.path.insert(0, str(Path(__file__).parent))
from badinputs.make_corpus import TEXT_SEED, TEXT_SEED_2, build, build_batch, seed


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build(tmp_path_factory.mktemp("badinputs"))


def _check(case, run) -> None:
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
    if case.decisions is not None:
        assert [i.decision.value for i in record.items] == case.decisions
    assert case.warned <= {w.field for w in record.warnings}


def test_corpus_through_the_api(corpus) -> None:
    assert {c.hole for c in corpus} >= {"ok", "1", "2", "3", "4", "5", "6", "7", "8", "12", "20.1", "20.2"}
    for case in corpus:
        _check(case, lambda path=case.path: extract(path, rules_only=True))
        if case.error is None:  # the same letter as a str path
            _check(case, lambda path=case.path: extract(str(path), rules_only=True))


def test_stray_decision_line_keeps_item_one_whole(corpus) -> None:
    clean = extract(seed(TEXT_SEED), rules_only=True)
    case = next(c for c in corpus if c.name == "stray_decision_line.md")
    record = extract(case.path, rules_only=True)
    assert [i.request for i in record.items] == [i.request for i in clean.items]
    assert record.items[1].maximus_guideline == clean.items[1].maximus_guideline
    assert "appeal: Overturned" in record.items[0].rationale  # letter text stays data
    (warning,) = [w for w in record.warnings if w.code == "stray_decision_line"]
    assert "not read as an item" in warning.message


def test_corpus_through_the_cli(corpus) -> None:
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
    by_source = {ln["source"]: ln for ln in lines}
    for case in corpus:
        if case.error:
            head = f"error: InputError: {case.path}: "
            (reason,) = [ln[len(head):] for ln in result.stderr.splitlines() if ln.startswith(head)]
            assert re.search(case.match, reason), reason
            continue
        got = by_source[str(case.path)]
        if case.case_number:
            assert got["case_number"] == case.case_number
        if case.decisions is not None:
            assert [i["decision"] for i in got["items"]] == case.decisions
        assert case.warnings <= {w["code"] for w in got["warnings"]}
        assert case.warned <= {w["field"] for w in got["warnings"]}


def test_corpus_through_the_service(corpus, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from llm_extract.serve import ServeConfig, create_app

    cases = [c for c in corpus if c.hole.startswith("20")]
    assert {c.error is None for c in cases} == {True, False}  # records and refusals both
    with TestClient(create_app(ServeConfig(rules_only=True, data_dir=tmp_path / "data"))) as client:
        for case in cases:
            r = client.post("/v1/extract", files={"file": (case.name, case.path.read_bytes(), "text/markdown")})
            if case.error:
                assert r.status_code == 422, r.text
                assert r.json()["error_type"] == "InputError"
                assert re.search(case.match, r.json()["detail"])
                continue
            assert r.status_code == 200, r.text
            got = r.json()
            assert got["case_number"] == case.case_number and len(got["items"]) == case.items
            assert [i["decision"] for i in got["items"]] == case.decisions or case.decisions is None
            codes = {w["code"] for w in got["warnings"]}
            assert case.warnings <= codes and (case.warnings or not codes)
            assert case.warned <= {w["field"] for w in got["warnings"]}
            for text in case.absent:
                assert text not in json.dumps(got["items"])


def test_a_line_between_decision_and_guidelines_never_becomes_the_item(corpus) -> None:
    clean = extract(seed(TEXT_SEED), rules_only=True)
    case = next(c for c in corpus if c.name == "competing_decision_line.md")
    record = extract(case.path, rules_only=True)
    for got, want in zip(record.items, clean.items, strict=True):
        assert (got.request, got.decision, got.claims_administrator_guideline, got.maximus_guideline,
                got.rationale) == (want.request, want.decision, want.claims_administrator_guideline,
                                   want.maximus_guideline, want.rationale)
    text = Letter.from_text(case.path.read_text(encoding="utf-8")).text
    (warning,) = [w for w in record.warnings if w.code == "stray_decision_line"]
    planted, kept = (int(n) for n in re.findall(r"offset (\d+)", warning.message))
    assert text[:planted].endswith("Tramadol 50mg #30")
    assert text[:kept].endswith("Baclofen 20mg #60")
    assert kept < record.items[0].evidence["decision"].start < planted  # the item reads the kept line
    assert "which was kept because the rationale names its request" in warning.message


@pytest.mark.parametrize(("name", "seed_name"), [("decision_line_among_labels.md", TEXT_SEED),
                                                  ("competing_glued_line.md", TEXT_SEED_2)])
def test_planted_lines_leave_the_requests_alone(corpus, name: str, seed_name: str) -> None:
    clean = extract(seed(seed_name), rules_only=True)
    record = extract(next(c for c in corpus if c.name == name).path, rules_only=True)
    assert [(i.request, i.decision) for i in record.items] == [(i.request, i.decision) for i in clean.items]
    assert [i.rationale for i in record.items] == [i.rationale for i in clean.items]


def test_an_undecided_contest_names_offsets_never_text(corpus) -> None:
    for name in ("competing_named_decision_line.md", "competing_paragraph_line.md", "cut_decision_line.md"):
        case = next(c for c in corpus if c.name == name)
        with pytest.raises(InputError) as info:
            extract(case.path, rules_only=True)
        message = info.value.message
        letter = Letter.from_text(case.path.read_text(encoding="utf-8")).text
        offsets = [int(n) for n in re.findall(r"\d+", message)]
        assert len(offsets) == 2
        # Each offset is where a decision line's ": Upheld" (or a bare decision word) stands.
        assert all(letter[n:].split("\n", 1)[0].strip(": *.") in ("Upheld", "Overturned") for n in offsets)
        assert not re.search(r"baclofen|pump|appeal|upheld|overturned", message, re.I)


def test_a_stray_inside_a_rationale_still_only_warns(corpus) -> None:
    case = next(c for c in corpus if c.name == "stray_decision_line.md")
    record = extract(case.path, rules_only=True)
    (warning,) = [w for w in record.warnings if w.code == "stray_decision_line"]
    assert "competes with the decision line" in warning.message  # it stood before item 2's line
    assert [i.decision.value for i in record.items] == ["Upheld", "Upheld"]


@pytest.mark.parametrize("name", ["CM16-0213037.pdf", "CM16-0230548.pdf", TEXT_SEED, TEXT_SEED_2])
def test_a_planted_decision_line_anywhere_never_makes_a_wrong_record(name: str) -> None:
    """Plant a line ending in a decision word after each decision line (glued or as a paragraph of
    its own) and before each next request: the record is the letter's, or the letter is refused."""
    from llm_extract.reading.letter import read_letter

    text = read_letter(seed(name)).text
    clean = extract(text=text, rules_only=True)
    want = [(i.request, i.decision) for i in clean.items]
    lines = list(re.finditer(r":[ ]*\n?[ ]*(?:Upheld|Overturned)\b[ .]*(?=\n|$)", text))
    assert len(lines) == len(want)
    planted = []
    for k, m in enumerate(lines):
        planted.append(text[:m.end()] + "\nZolpidem 10mg #30: Overturned" + text[m.end():])
        planted.append(text[:m.end()] + "\n\nZolpidem 10mg #30: Overturned\n" + text[m.end():])
        request_start = text.rfind("\n", 0, text.rfind(clean.items[k].request.split()[0], 0, m.start())) + 1
        planted.append(text[:request_start] + "The physician wrote in an appeal: Upheld\n" + text[request_start:])
    outcomes = []
    for variant in planted:
        try:
            record = extract(text=variant, rules_only=True)
        except InputError as err:
            assert "compete for one guideline block" in err.message
            outcomes.append("refused")
            continue
        assert [(i.request, i.decision) for i in record.items] == want
        assert "stray_decision_line" in {w.code for w in record.warnings}
        outcomes.append("record")
    assert "record" in outcomes  # the layout decides often enough to keep most letters


@pytest.mark.parametrize("stand_in", ["\x00", " ", "", "\x01", "\x1f"])
def test_a_control_character_in_a_label_costs_no_field(stand_in: str) -> None:
    text = seed(TEXT_SEED).read_text(encoding="utf-8")
    clean = extract(text=text, source="clean", rules_only=True)
    for words in ("Case Number", "Date Assigned", "Date of Injury", "Decision Date", "UR Denial Date",
                  "Application Received", "Claims Administrator guideline", "MAXIMUS guideline",
                  "Decision rationale", "IMR ISSUES", "CLINICAL CASE SUMMARY"):
        assert words in text
        text = text.replace(words, words.replace(" ", stand_in))
    # "Up held": the compound's halves read either way; a control character inside any other
    # word ("Prio\0rity") can only stand for nothing, and normalising drops it.
    text = text.replace("Upheld", f"Up{stand_in}held")
    if stand_in.strip():
        text = text.replace("Priority", f"Prio{stand_in}rity")
    record = extract(text=text, source="planted", rules_only=True)
    fields = ("case_number", "date_assigned", "date_of_injury", "decision_date", "ur_denial_date",
              "application_received", "priority", "diagnoses", "patient", "reviewer")
    assert {f: getattr(record, f) for f in fields} == {f: getattr(clean, f) for f in fields}
    assert [i.model_dump(exclude={"evidence"}) for i in record.items] == \
        [i.model_dump(exclude={"evidence"}) for i in clean.items]
    assert record.warnings == []


def test_an_unreadable_header_field_is_named(corpus) -> None:
    case = next(c for c in corpus if c.name == "unreadable_header_field.md")
    record = extract(case.path, rules_only=True)
    (assigned, priority) = sorted((w for w in record.warnings if w.code == "unreadable_header"),
                                  key=lambda w: w.field)
    assert (assigned.field, record.date_assigned) == ("date_assigned", None)
    assert "'Date Assigned' label" in assigned.message and "01/3O/2017" not in assigned.message
    assert (priority.field, record.priority) == ("priority", None)
    assert record.decision_date is not None  # the other header fields still read
    # A letter without a header block (it starts at its first heading) gets no header warnings.
    text = seed(TEXT_SEED).read_text(encoding="utf-8")
    headless = text[text.index("### HOW THE IMR"):]
    assert not [w for w in extract(text=headless, rules_only=True).warnings if w.code == "unreadable_header"]


def test_permission_denied_is_an_input_error_and_the_others_go_on(corpus, monkeypatch) -> None:
    import builtins

    import llm_extract.reading.letter as reading

    good = next(c for c in corpus if c.name == "control.md").path
    locked = next(c for c in corpus if c.name == "utf8bom.md").path
    real_open = builtins.open

    def fake_open(file, *args, **kwargs):
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
