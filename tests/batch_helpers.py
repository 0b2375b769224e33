"""Synthetic letters and a fake extractor for the batch tests (no model, no PDFs needed).

A synthetic letter states its case number and its items' decisions in plain lines; the fake
extractor reads them back, so a test knows every expected record from the file it wrote.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from conftest import LETTERS as FIXTURE_LETTERS  # noqa: F401 - re-exported for the batch tests
from conftest import ROOT  # noqa: F401 - re-exported for the batch tests
from llm_extract.reading.letter import Letter
from llm_extract.record import IMRRecord, Item, Provenance

_CASE = re.compile(r"Case Number: (CM\d{2}-\d{7})")
_ITEM = re.compile(r"^Request: (.+?) is: (Upheld|Overturned)(?: \[(\w+)(?:/(\w+))?\])?$", re.M)


def letter_text(n: int, decisions: tuple[str, ...] = ("Upheld",), category: str | None = None,
                drug_class: str | None = None) -> str:
    """A small letter whose case number is CM16-<n> and whose items have these decisions."""
    tag = f" [{category}/{drug_class}]" if category and drug_class else (f" [{category}]" if category else "")
    lines = [f"Case Number: CM16-{n:07d}", "Independent Medical Review", ""]
    lines += [f"Request: treatment {i} for letter {n} is: {d}{tag}" for i, d in enumerate(decisions, 1)]
    return "\n".join(lines) + "\n"


def write_letters(folder: Path, count: int, start: int = 1) -> list[Path]:
    """Write ``count`` distinct synthetic letters as .txt files; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        p = folder / f"letter_{n:04d}.txt"
        p.write_text(letter_text(n, ("Upheld",) * (1 + n % 3)), encoding="utf-8")
        paths.append(p)
    return paths


def fake_extract(letter: Letter) -> IMRRecord:
    """Read a synthetic letter back into a record (raises ValueError on anything else)."""
    m = _CASE.search(letter.text)
    if not m:
        raise ValueError("no case number")
    items = [
        Item(request=req, decision=dec, medically_necessary=dec == "Overturned", category=cat, drug_class=dc)
        for req, dec, cat, dc in ((g[0], g[1], g[2] or None, g[3] or None) for g in _ITEM.findall(letter.text))
    ]
    return IMRRecord(case_number=m.group(1), items=items,
                     provenance=Provenance(source=letter.source, text_sha256=letter.sha256))


class CountingExtract:
    """``fake_extract`` that counts calls and the most calls in flight at once."""

    def __init__(self, delay: float = 0.0, *, gather: int = 0) -> None:
        self.delay = delay
        # With ``gather=N`` each call waits (at most 10 s) until N calls are in flight at
        # once, so a test sees the concurrency itself rather than a timing accident.
        self.gather = gather
        self._gathered = threading.Event()
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, letter: Letter) -> IMRRecord:
        with self._lock:
            self.calls.append(letter.source)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.gather and self.in_flight >= self.gather:
                self._gathered.set()
        try:
            if self.gather:
                self._gathered.wait(timeout=10)
            if self.delay:
                time.sleep(self.delay)
            return fake_extract(letter)
        finally:
            with self._lock:
                self.in_flight -= 1


def slow_extract(letter: Letter) -> IMRRecord:
    """A picklable slow extractor for the subprocess that gets killed."""
    time.sleep(0.03)
    return fake_extract(letter)


def read_jsonl(path: Path) -> list[dict]:
    """Every line of a JSON Lines file, failing on any line that is not complete JSON."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path} ends in a torn line"
    return [json.loads(line) for line in data.splitlines() if line.strip()]
