"""The layout rules on both PDF readers, and the PDFium -> pypdf fallback.

PDFium (pypdfium2) reads the PDFs; pypdf is the fallback for a file PDFium refuses and
can be forced with ``LLM_EXTRACT_PDF_READER=pypdf``. Their text differs a little (line
breaks, blank lines between paragraphs), so the rules must give the same record either
way: every field except the evidence offsets and the provenance.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import llm_extract
from llm_extract.reading import letter as reading

FIXTURES = Path(__file__).resolve().parent.parent / "evals" / "fixtures"
PDFS = sorted((FIXTURES / "dev" / "letters").glob("*.pdf")) + sorted((FIXTURES / "test" / "letters").glob("*.pdf"))
SEED = FIXTURES / "dev" / "letters" / "CM16-0213037.pdf"


def contract(record: llm_extract.IMRRecord) -> dict:
    """The record without evidence offsets and provenance (which fields have evidence stays)."""
    data = record.model_dump(mode="json", exclude={"provenance"})
    data["evidence"] = sorted(data["evidence"])
    for item in data["items"]:
        item["evidence"] = sorted(item["evidence"])
    return data


def rules_record(path: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> llm_extract.IMRRecord:
    if reader == "pypdf":
        monkeypatch.setenv("LLM_EXTRACT_PDF_READER", "pypdf")
    else:
        monkeypatch.delenv("LLM_EXTRACT_PDF_READER", raising=False)
    return llm_extract.extract(llm_extract.read_letter(path), rules_only=True)


def test_there_are_fixture_pdfs():
    assert len(PDFS) >= 100


def test_readers_differ_in_text_but_not_in_the_record(monkeypatch):
    """The readers do differ (else the comparison below proves nothing)."""
    a = reading.pdf_text_pdfium(SEED, SEED.name)
    b = reading.pdf_text_pypdf(SEED, SEED.name)
    assert a != b
    assert contract(rules_record(SEED, "pdfium", monkeypatch)) == contract(rules_record(SEED, "pypdf", monkeypatch))


def test_layout_rules_give_the_same_record_on_both_readers(monkeypatch):
    """Every fixture PDF (dev and test): rules-only records equal on PDFium's and pypdf's text."""
    differ = []
    for path in PDFS:
        fast = rules_record(path, "pdfium", monkeypatch)
        slow = rules_record(path, "pypdf", monkeypatch)
        assert not any(w.code == "pdf_reader_fallback" for w in fast.warnings), path.name
        a, b = contract(fast), contract(slow)
        if a != b:
            fields = sorted(k for k in a if a[k] != b[k])
            differ.append(f"{path.parent.parent.name}/{path.name}: {', '.join(fields)}")
    assert not differ, "records differ between the PDF readers:\n" + "\n".join(differ)


# -- fallback ----------------------------------------------------------------------------------
@pytest.fixture
def refused_pdf(tmp_path: Path) -> Path:
    """A real fixture PDF whose header is damaged: PDFium refuses it (no "%PDF-" header:
    data format error), pypdf reads it (it only warns about the header)."""
    data = SEED.read_bytes()
    assert data.startswith(b"%PDF-")
    path = tmp_path / "damaged-header.pdf"
    path.write_bytes(b"%XYZ-" + data[5:])
    return path


def test_pdfium_refuses_the_damaged_file_and_pypdf_reads_it(refused_pdf):
    with pytest.raises(reading._RefusedError):
        reading.pdf_text_pdfium(refused_pdf, refused_pdf.name)
    assert reading.pdf_text_pypdf(refused_pdf, refused_pdf.name) == reading.pdf_text_pypdf(SEED, SEED.name)


def test_fallback_reads_the_refused_file_with_a_warning(refused_pdf, monkeypatch, caplog):
    monkeypatch.delenv("LLM_EXTRACT_PDF_READER", raising=False)
    with caplog.at_level(logging.WARNING, logger="llm_extract.reading"):
        letter = llm_extract.read_letter(refused_pdf)
    assert any("pypdf fallback" in w for w in letter.warnings)
    assert any("pypdf fallback" in r.getMessage() and refused_pdf.name in r.getMessage() for r in caplog.records)
    record = llm_extract.extract(letter, rules_only=True)
    codes = [w.code for w in record.warnings]
    assert "pdf_reader_fallback" in codes
    # Through the public entry point too.
    assert "pdf_reader_fallback" in [w.code for w in llm_extract.extract(refused_pdf, rules_only=True).warnings]
    # The same letter as the intact file read with pypdf: the fallback loses nothing.
    want = rules_record(SEED, "pypdf", monkeypatch)
    assert record.case_number == want.case_number == "CM16-0213037"
    assert contract(record)["items"] == contract(want)["items"]


def test_fallback_when_pdfium_raises_its_refusal(monkeypatch):
    """Any refusal (not only a bad header) goes to pypdf, and says so on the record."""
    def refuse(path, source, notes=None):
        raise reading._RefusedError("unsupported filter")

    monkeypatch.delenv("LLM_EXTRACT_PDF_READER", raising=False)
    monkeypatch.setattr(reading, "pdf_text_pdfium", refuse)
    record = llm_extract.extract(SEED, rules_only=True)
    fallback = [w for w in record.warnings if w.code == "pdf_reader_fallback"]
    assert fallback and "unsupported filter" in fallback[0].message
    assert record.items


def test_a_password_is_not_retried_with_pypdf(monkeypatch):
    """An InputError from PDFium (password, too many pages, no text) is final: no fallback."""
    calls = []

    def password(path, source, notes=None):
        raise llm_extract.InputError("the PDF is encrypted with a password", source=source)

    monkeypatch.delenv("LLM_EXTRACT_PDF_READER", raising=False)
    monkeypatch.setattr(reading, "pdf_text_pdfium", password)
    monkeypatch.setattr(reading, "pdf_text_pypdf", lambda *a, **k: calls.append(a) or "text")
    with pytest.raises(llm_extract.InputError, match="password"):
        llm_extract.read_letter(SEED)
    assert not calls


def test_pdfs_read_from_many_threads_give_the_sequential_text(monkeypatch):
    # PDFium is not thread-safe; the batch runner and the service read from thread pools.
    # Unguarded, concurrent reads fail and fall back to pypdf (another text) at random.
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.delenv("LLM_EXTRACT_PDF_READER", raising=False)
    paths = PDFS[:24] * 4

    def read(path: Path) -> tuple[str, list[str]]:
        notes: list[str] = []  # a blank last page is noted; a fallback would be too
        return reading.pdf_text(path, str(path), notes), notes

    alone = {p: read(p) for p in PDFS[:24]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, paths))
    assert results == [alone[p] for p in paths]
