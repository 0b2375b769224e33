"""Shared test configuration.

Model traffic: tests replay vcrpy cassettes (pytest-recording) from
``tests/cassettes/<module>/<test>.yaml``; ``record_mode`` is ``none`` by default, so a
request that no cassette holds fails the test instead of reaching a model, and tests marked
``block_network`` cannot open sockets at all. Cassettes were recorded against the embedded
Qwen2.5-Coder-1.5B server; to re-record one, start the server on the recording URL and run
``pytest --record-mode=once tests/test_model_pass.py -k NAME`` after deleting its yaml.

Live tests (``@pytest.mark.live``) run the real embedded model and are skipped unless
``--live`` is given or ``LLM_EXTRACT_LIVE=1`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from llm_extract.errors import ExtractionError
from llm_extract.model.settings import Settings
from llm_extract.record import IMRRecord, Provenance

#: The repository, and the hand-labelled fixtures every test reads letters from.
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "evals" / "fixtures"
LETTERS = FIXTURES / "dev" / "letters"
LABELS = FIXTURES / "dev" / "labels"
#: Five fixture letters for the evaluation tests: the seeds in their three layouts.
FIVE = ["CM16-0213037", "CM16-0230548", "CM16-0232543", "CM16-0233904", "CM16-0234464"]

#: Where cassettes were recorded; requests are matched on method, path and body, not host.
RECORD_URL = os.environ.get("LLM_EXTRACT_RECORD_URL", "http://127.0.0.1:8765/v1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", default=False,
                     help="run tests marked live against the real embedded model")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live") or os.environ.get("LLM_EXTRACT_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="live model test: pass --live or set LLM_EXTRACT_LIVE=1")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization"):
            headers.pop(name)
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return {
        # Keys never reach a cassette.
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization", "cookie"],
        "before_record_response": _scrub_response,
        # The recording server's port is not part of a request's identity.
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }


# ------------------------------------------------------- evaluation runs without a model

def copy_fixtures(dest: Path, names: list[str] = FIVE) -> Path:
    """A fixture folder holding ``names`` from the project's fixtures."""
    (dest / "letters").mkdir(parents=True)
    (dest / "labels").mkdir()
    for name in names:
        letter = next(p for p in LETTERS.iterdir() if p.stem == name)
        shutil.copy(letter, dest / "letters" / letter.name)
        shutil.copy(LABELS / f"{name}.json", dest / "labels" / f"{name}.json")
    return dest


def plant_treatment(fixtures: Path, name: str, treatment: str) -> None:
    """Give the first item of fixture ``name``'s label a treatment no extractor will produce."""
    path = fixtures / "labels" / f"{name}.json"
    label = json.loads(path.read_text(encoding="utf-8"))
    label["items"][0]["treatment"] = treatment
    path.write_text(json.dumps(label), encoding="utf-8")


class FakeModel:
    """Stands in for pipeline.extract: answers from the labels, with planted mistakes.

    The first time a letter is seen the answer "costs" 100 + 10 tokens in one call (two calls
    and one re-ask for CM16-0230548); after that it is a cache hit costing nothing, as the
    real model pass reports. CM16-0233904 never validates.
    """

    def __init__(self, root: Path) -> None:
        self.labels = {p.stem: IMRRecord.from_json(p.read_text()) for p in (root / "labels").glob("*.json")}
        self.seen: set[str] = set()
        self.calls: list[str] = []

    def __call__(self, letter: Any, *, rules_only: bool = False, **kw: Any) -> IMRRecord:
        from llm_extract.rules.rules_pass import extract_rules

        if rules_only:
            return extract_rules(letter)
        name = Path(letter.source).stem
        self.calls.append(name)
        if name == "CM16-0233904":
            raise ExtractionError("the answer never validated", source=letter.source,
                                  usage={"prompt_tokens": 300, "completion_tokens": 30, "calls": 3, "reasks": 2})
        rec = self.labels[name].model_copy(deep=True)
        if name == "CM16-0213037":
            rec.items[0].category = "surgery"  # label: diagnostic
            rec.diagnoses = ["made up"]
        hit = name in self.seen
        self.seen.add(name)
        calls, reasks = (2, 1) if name == "CM16-0230548" else (1, 0)
        rec.provenance = Provenance(model=kw["settings"].model, prompt=kw["prompt"], cache_hit=hit,
                                    prompt_tokens=0 if hit else 100 * calls, completion_tokens=0 if hit else 10,
                                    model_calls=0 if hit else calls, reasks=0 if hit else reasks,
                                    seconds=0.01 if hit else 5.0)
        return rec


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeModel, Path, Settings]:
    root = copy_fixtures(tmp_path / "fx")
    model = FakeModel(root)
    monkeypatch.setattr("llm_extract.pipeline.extract", model)
    # An address nothing listens on: the fake never uses it, and no server is started.
    settings = Settings.resolve(base_url="http://127.0.0.1:9/v1", model="fake-1b", cache_dir=tmp_path / "answers",
                                env={})
    return model, root, settings


#: Test modules whose cassettes hold letter text as pypdf read it (recorded before PDFium).
_PYPDF_CASSETTES = {"test_model_pass", "test_evaluate"}


@pytest.fixture(autouse=True)
def _cassettes_read_with_pypdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """These modules' cassettes were recorded from pypdf's text (the request body holds the
    letter): replay them with pypdf as the reader until they are re-recorded with PDFium's."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if request.node.get_closest_marker("vcr") is not None and module in _PYPDF_CASSETTES:
        monkeypatch.setenv("LLM_EXTRACT_PDF_READER", "pypdf")
