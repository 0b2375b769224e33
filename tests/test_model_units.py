"""Unit tests of the model pass's parts that need no model: settings, prompts, checksums,
the server's install check, transport retries (on a mock transport), the cache key, the
merge's cross-checks and the long-letter split."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from conftest import LETTERS
from llm_extract import ConfigError, InputError, ModelError, read_letter
from llm_extract.model.answers import FullAnswer, HybridAnswer
from llm_extract.model.cache import AnswerCache, cache_key
from llm_extract.model.client import ModelClient, Usage, retry_after_seconds
from llm_extract.model.local_model import LocalModel, assemble, model_file
from llm_extract.model.merge import locate, merge_full
from llm_extract.model.model_pass import plan_questions
from llm_extract.model.prompts import available_prompts, load_prompt, load_prompt_file
from llm_extract.model.settings import Settings
from llm_extract.rules.dates import dates_in_text
from llm_extract.rules.rules_pass import extract_rules, read_rules

# --- settings -------------------------------------------------------------------------------


def test_settings_resolution_order(tmp_path: Path) -> None:
    env = {"LLM_EXTRACT_BASE_URL": "http://env-a/v1", "OPENAI_BASE_URL": "http://env-b/v1",
           "LLM_EXTRACT_MODEL": "env-model", "OPENAI_API_KEY": "sk-env", "LLM_EXTRACT_CACHE_DIR": str(tmp_path)}
    s = Settings.resolve(env=env)
    assert (s.base_url, s.model, s.api_key, s.cache_dir) == ("http://env-a/v1", "env-model", "sk-env", tmp_path)
    s = Settings.resolve(env={"OPENAI_BASE_URL": "http://env-b/v1/"})
    assert s.base_url == "http://env-b/v1" and s.model == "qwen2.5-coder-1.5b" and s.api_key is None
    s = Settings.resolve(base_url="http://arg/v1", model="arg-model", api_key="sk-arg", env=env, timeout=5)
    assert (s.base_url, s.model, s.api_key, s.timeout) == ("http://arg/v1", "arg-model", "sk-arg", 5)
    assert Settings.resolve(env={}).is_local


def test_settings_never_show_the_key() -> None:
    s = Settings.resolve(api_key="sk-secret-123", env={})
    assert "sk-secret-123" not in repr(s) and "sk-secret-123" not in str(s)
    assert "api_key='***'" in repr(s)


@pytest.mark.parametrize("bad", [{"timeout": 0}, {"mode": "xml"}, {"n_ctx": 10}, {"colour": "red"}])
def test_settings_reject_nonsense(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Settings.resolve(env={}, **bad)
    with pytest.raises(ConfigError):
        Settings.resolve(base_url="ftp://x", env={})


# --- prompts --------------------------------------------------------------------------------


def test_shipped_prompts_load() -> None:
    prompts = available_prompts()
    assert {"imr-full", "imr-hybrid", "imr-full@1", "imr-hybrid@1"} <= set(prompts)
    hybrid = load_prompt("imr-hybrid@1")
    msgs = hybrid.render(letter="LETTER-TEXT", items="1. X", ask="")
    # The letter comes first in the user message so calls on one letter share a prefix.
    assert msgs[1]["content"].index("LETTER-TEXT") < msgs[1]["content"].index("1. X")
    v2 = load_prompt("imr-hybrid@2")
    assert load_prompt("imr-hybrid").ref == "imr-hybrid@4"  # a bare name is the latest version
    msgs = v2.render(excerpt="SUMMARY-TEXT", items_detail="1. X", ask="")
    # v2 keeps every instruction in the system message, shared by all calls; the letter's
    # excerpt opens the user message and the items follow it.
    assert "SUMMARY-TEXT" not in msgs[0]["content"] and "category" in msgs[0]["content"]
    assert msgs[1]["content"].index("SUMMARY-TEXT") < msgs[1]["content"].index("1. X")


def _write(tmp_path: Path, body: str, name: str = "p.v1.toml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


GOOD = '''name = "t"
version = 1
description = "d"
answer = "hybrid"
variables = ["letter", "items"]
system = "s"
user = "$letter then $items"
'''


def test_prompt_validation(tmp_path: Path) -> None:
    assert load_prompt_file(_write(tmp_path, GOOD)).ref == "t@1"
    with pytest.raises(ConfigError, match="unknown keys"):
        load_prompt_file(_write(tmp_path, GOOD + 'temperature = 1\n'))
    with pytest.raises(ConfigError, match="differ from declared"):
        load_prompt_file(_write(tmp_path, GOOD.replace("$items", "$itemz")))
    with pytest.raises(ConfigError, match="differ from declared"):
        load_prompt_file(_write(tmp_path, GOOD.replace('"letter", "items"', '"letter", "items", "ask"')))
    with pytest.raises(ConfigError, match="missing keys"):
        load_prompt_file(_write(tmp_path, GOOD.replace('answer = "hybrid"\n', "")))
    with pytest.raises(ConfigError, match="file name says v2"):
        load_prompt_file(_write(tmp_path, GOOD, name="p.v2.toml"))
    prompt = load_prompt_file(_write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="missing variables"):
        prompt.render(letter="x")
    with pytest.raises(ConfigError, match="unexpected variables"):
        prompt.render(letter="x", items="y", extra="z")
    with pytest.raises(ConfigError, match="unknown prompt"):
        load_prompt("imr-nonexistent")


# --- the embedded model's file and server ----------------------------------------------------


def test_assemble_verifies_checksum(tmp_path: Path) -> None:
    parts = [tmp_path / "a.bin", tmp_path / "b.bin"]
    parts[0].write_bytes(b"hello ")
    parts[1].write_bytes(b"world")
    good = hashlib.sha256(b"hello world").hexdigest()
    out = assemble(parts, tmp_path / "m" / "x.gguf", sha256=good, size=11)
    assert out.read_bytes() == b"hello world"
    with pytest.raises(ConfigError, match="checksum mismatch"):
        assemble(parts, tmp_path / "m" / "y.gguf", sha256="0" * 64)
    assert not (tmp_path / "m" / "y.gguf").exists()  # nothing half-written is left
    assert [p.name for p in (tmp_path / "m").iterdir() if p.suffix == ".part"] == []


def test_existing_model_file_with_wrong_hash_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import llm_extract.model.local_model as lm

    fake = LocalModel(name="fake", package="nope{n}", parts=1, size=5, sha256="0" * 64, extra="local")
    monkeypatch.setitem(lm.LOCAL_MODELS, "fake", fake)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "fake.gguf").write_bytes(b"12345")
    with pytest.raises(ConfigError, match="checksum mismatch"):
        model_file("fake", home=tmp_path)
    with pytest.raises(ConfigError, match="unknown local model"):
        model_file("gpt-4o", home=tmp_path)


def test_server_not_installed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    import llm_extract.model.local_server as ls

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    with pytest.raises(ConfigError) as info:
        ls.require_server_package()
    assert "pip install 'llm-extract[local]'" in str(info.value)


# --- transport retries, on a mock transport (no model involved) -----------------------------


def _client(handler: Any, **kw: Any) -> ModelClient:
    settings = Settings.resolve(base_url="http://mock.invalid/v1", api_key="sk-test", env={}, **kw)
    return ModelClient(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


def _ok(content: str) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    })


ANSWER = json.dumps({"items": [{"index": 1, "treatment": "MRI", "category": "diagnostic", "drug_class": None}]})
MSGS = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def test_429_is_retried_honouring_retry_after() -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers.get("authorization", ""))
        if len(seen) == 1:
            return httpx2.Response(429, headers={"Retry-After": "0"}, json={"error": {"message": "slow down"}})
        return _ok(ANSWER)

    usage = Usage()
    answer = _client(handler).ask(MSGS, HybridAnswer, context={"indices": [1]}, source="x", usage=usage)
    assert answer.items[0].treatment == "MRI"
    assert len(seen) == 2 and usage.calls == 2 and usage.reasks == 0 and usage.prompt_tokens == 10


@pytest.mark.parametrize("status", [400, 401, 403])
def test_client_errors_fail_at_once_with_the_servers_message(status: int) -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return httpx2.Response(status, json={"error": {"message": f"server says no ({status})"}})

    with pytest.raises(ModelError) as info:
        _client(handler).ask(MSGS, HybridAnswer, context={}, source="letter.pdf", usage=Usage())
    assert len(calls) == 1
    assert info.value.status == status and info.value.source == "letter.pdf"
    assert f"server says no ({status})" in str(info.value)
    assert "sk-test" not in str(info.value)


def test_connection_refused_is_retried_then_a_model_error() -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        raise httpx2.ConnectError("connection refused")

    with pytest.raises(ModelError, match="cannot reach"):
        _client(handler, max_retries=2).ask(MSGS, HybridAnswer, context={}, source="x", usage=Usage())
    assert len(calls) == 3


def test_retry_after_parsing() -> None:
    class E:
        def __init__(self, headers: dict[str, str]) -> None:
            self.response = httpx2.Response(429, headers=headers)

    assert retry_after_seconds(E({"Retry-After": "7"})) == 7
    assert retry_after_seconds(E({"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(E({})) is None
    assert 0 <= retry_after_seconds(E({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) <= 0  # type: ignore[operator]  # a past date: not None


# --- cache key ------------------------------------------------------------------------------


def test_cache_key_changes_with_every_part(tmp_path: Path) -> None:
    base = dict(model="m", endpoint="e", prompt="imr-hybrid@1", text_sha256="t", sampling={"temperature": 0})
    k = cache_key(**base)
    for change in ({"model": "m2"}, {"endpoint": "e2"}, {"prompt": "imr-hybrid@2"}, {"text_sha256": "u"},
                   {"sampling": {"temperature": 0.1}}, {"part": "item2"}):
        assert cache_key(**{**base, **change}) != k
    cache = AnswerCache(tmp_path)
    cache.put(k, {"a": 1}, {"calls": 1})
    assert AnswerCache(tmp_path).get(k) == {"answer": {"a": 1}, "usage": {"calls": 1}}


# --- answers and merge ------------------------------------------------------------------------


def test_dates_in_text_reads_the_letters_forms() -> None:
    found = dates_in_text("injury of April 2, 2006; on 1-25-77; seen 11/09/2016.")
    assert set(found) == {dt.date(2006, 4, 2), dt.date(1977, 1, 25), dt.date(2016, 11, 9)}


@pytest.mark.parametrize(("said", "category", "drug_class"), [
    ({"category": "Pharmaceutical", "drug_class": "Opioids"}, "pharmaceutical", "opioid"),
    ({"category": "medication", "drug_class": "proton pump inhibitor"}, "pharmaceutical", "gastrointestinal"),
    ({"category": "Durable Medical Equipment"}, "durable_medical_equipment", None),
    ({"category": "physical therapy"}, "rehabilitation", None),
    ({"category": "pharmaceutical", "drug_class": "muscle relaxer"}, "pharmaceutical", "muscle_relaxant"),
    ({"category": "diagnostics"}, "diagnostic", None),
    ({"category": "topical"}, "pharmaceutical", "topical"),
    ({"category": "Opioids", "drug_class": "opioid"}, "pharmaceutical", "opioid"),
    ({"category": "injection", "drug_class": "epidural steroid"}, "injection", None),
    ({"category": "pharmaceutical", "drug_class": "corticosteroids"}, "pharmaceutical", "other"),
])
def test_item_labels_forgive_plain_variants_of_the_enumerations(said: dict[str, str], category: str,
                                                                 drug_class: str | None) -> None:
    label = HybridAnswer.model_validate({"items": [{"index": 1, "treatment": "x", **said}]}).items[0]
    assert (label.category.value, label.drug_class and label.drug_class.value) == (category, drug_class)


@pytest.mark.parametrize("said", [{"category": "spaceship"}, {"category": "pharmaceutical", "drug_class": "vitamin d"},
                                  {"category": None}])
def test_item_labels_still_reject_what_matches_no_enumeration(said: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        HybridAnswer.model_validate({"items": [{"index": 1, "treatment": "x", **said}]})


def test_sex_only_where_the_letter_states_it() -> None:
    unstated = "The injured worker reported pain; he or she was seen on 11/09/2016."
    for answer in ({"items": [], "sex": "male"}, {"items": [], "sex": "female"}):
        with pytest.raises(ValueError, match="never calls the patient"):
            HybridAnswer.model_validate(answer, context={"text": unstated})
    assert HybridAnswer.model_validate({"items": [], "sex": None}, context={"text": unstated}).sex is None
    stated = "The patient is a 48-year-old woman who was injured at work."
    assert HybridAnswer.model_validate({"items": [], "sex": "female"}, context={"text": stated}).sex == "female"
    with pytest.raises(ValueError):
        HybridAnswer.model_validate({"items": [], "sex": "male"}, context={"text": stated})


def test_full_answer_rejects_values_not_in_the_letter() -> None:
    text = "Case Number: CM16-0213037\nDate Assigned: 11/09/2016\nMRI of the knee: Upheld\n"
    ok = {"case_number": "CM16-0213037", "date_assigned": "2016-11-09",
          "items": [{"request": "MRI of the knee", "decision": "Upheld"}]}
    FullAnswer.model_validate(ok, context={"text": text})
    for bad, msg in (({"case_number": "CM16-0213038"}, "does not appear"),
                     ({"date_assigned": "2016-11-10"}, "not a date written"),
                     ({"items": [{"request": "MRI of the knee", "decision": "Overturned"}]},
                      "decision line says Upheld")):
        with pytest.raises(ValueError, match=msg):
            FullAnswer.model_validate({**ok, **bad}, context={"text": text})


def test_merge_keeps_rules_values_and_warns_on_disagreement() -> None:
    letter = read_letter(LETTERS / "CM16-0233904.pdf")
    rules = extract_rules(letter)
    # As for a letter whose summary states no diagnosis list: the model's diagnoses are used.
    rules = rules.model_copy(update={"diagnoses": [], "evidence": {
        k: v for k, v in rules.evidence.items() if not k.startswith("diagnoses.")}})
    answer = FullAnswer.model_validate({
        "case_number": "CM16-0233904", "date_assigned": "2016-12-05",  # the letter's other date
        "diagnoses": ["cervical strain", "a diagnosis the letter never mentions at all"],
        "items": [{"request": rules.items[0].request, "decision": "Overturned" if rules.items[0].decision.value
                   == "Upheld" else "Upheld", "treatment": "Physical therapy", "category": "rehabilitation"}],
    })
    merged = merge_full(rules, answer, letter.text)
    assert merged.date_assigned == rules.date_assigned == dt.date(2016, 12, 9)
    assert merged.items[0].decision == rules.items[0].decision
    by_field = {w.field: w for w in merged.warnings}
    assert by_field["date_assigned"].code == "model_disagrees"
    assert "2016-12-09" in by_field["date_assigned"].message and "2016-12-05" in by_field["date_assigned"].message
    assert by_field["items.0.decision"].code == "model_disagrees"
    assert by_field["diagnoses.1"].code == "model_value_not_in_text"
    span = merged.evidence["diagnoses.0"]
    assert letter.text[span.start:span.end] == "cervical strain"


def test_locate_exact_across_line_breaks_and_fuzzy() -> None:
    text = "the request for an MRI of the\nright shoulder without contrast"
    span = locate(text, "MRI of the right shoulder")
    assert span is not None and text[span.start:span.end] == "MRI of the\nright shoulder"
    fuzzy = locate(text, "MRI of the rigth shoulder")
    assert fuzzy is not None and "shoulder" in text[fuzzy.start:fuzzy.end]
    assert locate(text, "lumbar fusion surgery") is None


# --- long letters ----------------------------------------------------------------------------


def test_long_letter_is_split_by_item_never_truncated() -> None:
    letter = read_letter(LETTERS / "CM16-0213037.pdf")
    rules = read_rules(letter)
    assert len(rules.record.items) == 2
    prompt = load_prompt("imr-hybrid@1")  # shows the whole letter, so a long one must split
    whole = plan_questions(prompt, letter, rules, n_ctx=8192, max_tokens=1024)
    assert len(whole) == 1
    split = plan_questions(prompt, letter, rules, n_ctx=3600, max_tokens=600)
    assert [q.part for q in split] == ["item1", "item2"]
    firsts = [q.messages[1]["content"] for q in split]
    # Both calls start with the same opening, and each holds its own item's section.
    opening = letter.text[: letter.text.index("MRI of the right shoulder without contrast:")]
    assert all(c.startswith("<letter>\n" + opening.rstrip("\n")) for c in firsts)
    assert "cervical spine without contrast:" in firsts[1] and "cervical spine without contrast:" not in firsts[0]
    with pytest.raises(InputError, match="over the model's context"):
        plan_questions(prompt, letter, rules, n_ctx=1200, max_tokens=600)
    with pytest.raises(InputError, match="cannot split"):
        plan_questions(load_prompt("imr-full"), letter, rules, n_ctx=1200, max_tokens=600)


# --- the pipeline's plumbing, on a mock transport --------------------------------------------


def _mock_pipeline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str) -> list[int]:
    import llm_extract.pipeline as pipeline

    sent: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(1)
        return _ok(content)

    settings = Settings.resolve(base_url="http://mock.invalid/v1", cache_dir=tmp_path / "c", env={}, max_reasks=1)
    client = ModelClient(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    monkeypatch.setattr(pipeline, "model_client", lambda s: client)
    monkeypatch.setenv("LLM_EXTRACT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("LLM_EXTRACT_BASE_URL", "http://mock.invalid/v1")
    return sent


def test_cache_and_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from llm_extract import extract

    answer = json.dumps({"items": [{"index": 1, "treatment": "Physical therapy", "category": "rehabilitation"}],
                         "diagnoses": ["cervical strain"]})
    sent = _mock_pipeline(monkeypatch, tmp_path, answer)
    path = LETTERS / "CM16-0233904.pdf"
    first = extract(path, prompt="imr-hybrid@2")
    assert len(sent) == 1 and not first.provenance.cache_hit and first.provenance.model_calls == 1
    again = extract(path, prompt="imr-hybrid@2")
    assert len(sent) == 1 and again.provenance.cache_hit
    fresh = extract(path, no_cache=True, prompt="imr-hybrid@2")
    assert len(sent) == 2 and not fresh.provenance.cache_hit


def test_a_cached_answer_that_fails_a_newer_check_is_asked_again(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    import diskcache

    from llm_extract import extract
    from llm_extract.pipeline import answer_cache

    answer = json.dumps({"items": [{"index": 1, "treatment": "Physical therapy", "category": "rehabilitation"}]})
    sent = _mock_pipeline(monkeypatch, tmp_path, answer)
    path = LETTERS / "CM16-0233904.pdf"
    extract(path, prompt="imr-hybrid@2")
    answer_cache(tmp_path / "c").close()
    with diskcache.Cache(str(tmp_path / "c")) as raw:  # as if stored by an older, laxer version
        for key in list(raw):
            raw[key] = {**raw[key], "answer": {**raw[key]["answer"], "items": []}}
    again = extract(path, prompt="imr-hybrid@2")
    assert len(sent) == 2 and not again.provenance.cache_hit and again.items[0].treatment == "Physical therapy"


def test_extraction_error_carries_the_rules_record(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from llm_extract import ExtractionError, extract

    sent = _mock_pipeline(monkeypatch, tmp_path, '{"items": "not a list"}')
    path = LETTERS / "CM16-0233904.pdf"
    with pytest.raises(ExtractionError) as info:
        extract(path, prompt="imr-hybrid@2")
    err = info.value
    assert len(sent) == 2  # the first answer and one re-ask (max_reasks=1)
    assert err.last_answer == '{"items": "not a list"}'
    assert err.usage["calls"] == 2 and err.usage["prompt_tokens"] == 20
    rules = extract(path, rules_only=True)
    assert err.rules_record == rules.model_copy(update={"provenance": err.rules_record.provenance})
    assert err.source == str(path)


# --- imr-hybrid@3: answers to the open questions ------------------------------------------

# CM17-0008479: item 8 is the one item the rules leave open; for open diagnoses, CM16-0242419
# with its one diagnosis statement reworded into no form the rules read (the rules read every
# dev letter's diagnoses), its other words as written.


def _open_diagnoses_letter():
    from llm_extract.reading import letter_from_text

    text = read_letter(LETTERS / "CM16-0242419.pdf").text
    assert text.count("has had diagnoses of") == 1
    return letter_from_text(text.replace("has had diagnoses of", "was seen for"), source="CM16-0242419-reworded")


def test_open_answer_for_items_not_asked_is_set_aside_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    from llm_extract import extract

    answer = json.dumps({"items": [{"index": 8, "category": "rehabilitation"},
                                   {"index": 8, "category": "surgery"},
                                   {"index": 2, "category": "surgery"}]})
    sent = _mock_pipeline(monkeypatch, tmp_path, answer)
    rules = extract(LETTERS / "CM17-0008479.pdf", rules_only=True)
    record = extract(LETTERS / "CM17-0008479.pdf")
    assert len(sent) == 1  # no re-ask: the asked item was answered
    assert record.items[7].category.value == "rehabilitation"  # the first answer for item 8
    assert record.items[1].category == rules.items[1].category  # item 2 was not asked: rules stand
    ignored = [w for w in record.warnings if w.code == "model_unasked_key"]
    assert sorted(w.field for w in ignored) == ["items.1", "items.7"]


def test_an_open_answer_that_never_validates_keeps_the_rules_record(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    from llm_extract import extract

    sent = _mock_pipeline(monkeypatch, tmp_path, json.dumps({"items": []}))
    rules = extract(LETTERS / "CM17-0008479.pdf", rules_only=True)
    record = extract(LETTERS / "CM17-0008479.pdf")
    assert len(sent) == 2 == record.provenance.model_calls  # the question and one re-ask (max_reasks=1)
    assert record.items[7].category is None
    assert [i.category for i in record.items] == [i.category for i in rules.items]
    (warning,) = [w for w in record.warnings if w.code == "model_unanswered"]
    assert "item(s) 8" in warning.message


def test_open_diagnoses_not_in_the_summary_are_asked_once_then_dropped(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    from llm_extract import extract

    # "low back pain" is in CM16-0242419's summary; the other is invented.
    sent = _mock_pipeline(monkeypatch, tmp_path, json.dumps({"diagnoses": ["low back pain", "gout of the ear"]}))
    record = extract(_open_diagnoses_letter())
    assert len(sent) == 2  # one re-ask naming the ungrounded diagnosis
    assert record.diagnoses == ["low back pain"]
    assert record.evidence["diagnoses.0"].source == "model"
    (dropped,) = [w for w in record.warnings if w.code == "model_value_not_in_text"]
    assert "gout of the ear" in dropped.message


def test_open_questions_over_the_context_keep_the_rules_record(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    import llm_extract.pipeline as pipeline
    from llm_extract import extract

    sent = _mock_pipeline(monkeypatch, tmp_path, json.dumps({"diagnoses": ["low back pain"]}))
    small = Settings.resolve(base_url="http://mock.invalid/v1", cache_dir=tmp_path / "c", env={},
                             n_ctx=600, max_tokens=512)
    client = pipeline.model_client.__call__(small)  # the mocked client, whatever the settings
    client.settings = small
    record = extract(_open_diagnoses_letter())
    assert sent == [] and record.diagnoses == []
    (warning,) = [w for w in record.warnings if w.code == "model_unanswered"]
    assert "context of 600" in warning.message
