"""The review page in a real headless Chromium (Debian's package, driven by Playwright).

Loads the page from a live loopback server, uploads a seed letter, checks the highlights
and the record, clicks a value to its span, corrects values and saves a fixture that
``llm-extract eval --fixtures`` reads. Keeps a screenshot in tests/artifacts/ (and writes
docs/review-page.png when LLM_EXTRACT_UPDATE_SCREENSHOT=1).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import llm_extract  # noqa: E402 - only once the serve extra and playwright are known
from llm_extract.serve import ServeConfig, create_app  # noqa: E402 - only once the serve extra and playwright are known
from test_serve_support import PDF  # noqa: E402 - only once the serve extra and playwright are known

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)")


class _SignallingServer(uvicorn.Server):
    """A uvicorn server that sets ``ready`` once it listens, so the test waits on an event."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:  # uvicorn's signature
        await super().startup(sockets=sockets)
        self.ready.set()


@pytest.fixture
def server(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServeConfig(rules_only=True, data_dir=tmp_path / "data", fixtures_dir=tmp_path / "fixtures"))
    srv = _SignallingServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    assert srv.ready.wait(20), "server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_review_page_in_chromium(server, tmp_path):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/")
            page.set_input_files("#file", str(PDF))
            page.click("#extract")
            page.wait_for_selector("#letter mark", timeout=20_000)

            # Highlights: one colour per kind of field, each mark inside the letter's text.
            kinds = set(page.eval_on_selector_all("#letter mark", "ms => ms.map(m => m.className)"))
            assert {"k-header", "k-reviewer", "k-request", "k-upheld", "k-guideline"} <= kinds, kinds
            assert page.inner_text("#letter mark#span-r\\:case_number") == "CM16-0213037"
            # The record beside it: the header value, the item with its decision badge.
            assert page.input_value('#record input[data-path="case_number"]') == "CM16-0213037"
            assert page.locator("#record .item").count() == 2
            assert page.locator("#record .item .badge").all_inner_texts() == ["Upheld", "Upheld"]
            assert page.inner_text("#status").startswith("Extracted")

            # Click a value: its span is flashed and scrolled into view.
            page.click('#record input[data-path="items.0.request"]')
            flashed = page.eval_on_selector_all("#letter mark.flash", "ms => ms.map(m => m.textContent).join('')")
            assert flashed == "MRI of the right shoulder without contrast"
            box = page.locator("#letter mark.flash").first.bounding_box()
            view = page.locator("#letter").bounding_box()
            assert box and view and view["y"] <= box["y"] <= view["y"] + view["height"]

            # Correct values and save the fixture.
            page.fill('#record input[data-path="items.0.treatment"]', "MRI of the right shoulder")
            page.select_option('#record select[data-path="items.0.category"]', "diagnostic")
            page.fill("#fixture-name", "reviewed-CM16-0213037")
            page.click("#save-fixture")
            page.wait_for_selector("#save-msg.ok", timeout=10_000)
            assert "labels/reviewed-CM16-0213037.json" in page.inner_text("#save-msg")
            page.click('#record input[data-path="case_number"]')  # leave the header highlighted for the picture

            shots = [ROOT / "tests" / "artifacts" / "review-page.png", tmp_path / "review-page.png"]
            if os.environ.get("LLM_EXTRACT_UPDATE_SCREENSHOT"):
                shots.append(ROOT / "docs" / "review-page.png")
            for shot in shots:
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot))
            assert not errors, errors
        finally:
            browser.close()

    fixtures = tmp_path / "fixtures"
    label = json.loads((fixtures / "labels" / "reviewed-CM16-0213037.json").read_text())
    assert label["items"][0]["treatment"] == "MRI of the right shoulder"
    assert label["items"][0]["category"] == "diagnostic"
    assert (fixtures / "letters" / "reviewed-CM16-0213037.pdf").read_bytes() == PDF.read_bytes()
    ev = llm_extract.evaluate(fixtures, rules_only=True)
    assert len(ev.letters) == 1


def _offline_view(tmp_path: Path, letter: Path) -> Path:
    """A rules-only batch over ``letter``, then the page `llm-extract view` writes for it."""
    from click.testing import CliRunner

    from llm_extract.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(letter, corpus / letter.name)
    for _ in llm_extract.extract_batch([str(corpus)], rules_only=True, out_dir=tmp_path / "out"):
        pass
    out = tmp_path / "review.html"
    result = CliRunner().invoke(main, ["view", str(tmp_path / "out" / "records.jsonl"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_offline_view_in_chromium(tmp_path):
    """The file `llm-extract view` writes works with the network off (no request leaves it)."""
    out = _offline_view(tmp_path, PDF)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri())
            page.wait_for_selector("#letter mark")
            assert page.inner_text("#letter mark#span-r\\:case_number") == "CM16-0213037"
            assert requests == [out.as_uri()]
        finally:
            browser.close()


def test_review_page_shows_confidence_and_the_values_to_check(tmp_path):
    """A contested item (CM16-0231745: "Physical exam" by its words, physical medicine by its
    topic) is listed in the review queue, its row marked, and each value shows its source."""
    letter = PDF.parent / "CM16-0231745.pdf"
    record = llm_extract.extract(letter, rules_only=True)
    assert "items.0.category" in record.needs_review
    out = _offline_view(tmp_path, letter)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            page.goto(out.as_uri())
            page.wait_for_selector("#letter mark")
            queue = page.inner_text("#review-queue")
            assert all(path in queue for path in record.needs_review), queue
            row = page.locator('#record tr[data-path="items.0.category"]')
            assert "needs-review" in (row.get_attribute("class") or "")
            assert row.locator(".review-flag").inner_text() == "check"
            conf = record.items[0].confidence["category"]
            assert row.locator(".conf").inner_text() == f"{conf.source.value} {round(conf.score * 100)}%"
            settled = page.locator('#record tr[data-path="items.1.category"]')
            assert "needs-review" not in (settled.get_attribute("class") or "")
            page.screenshot(path=str(tmp_path / "review-queue.png"))
        finally:
            browser.close()
