"""Reading letters of every type, and a typed error naming the file for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter

from conftest import LETTERS
from llm_extract import InputError, extract, letter_from_text, read_letter
from llm_extract.reading.normalize import normalize_text


def test_encrypted_state_pdf_reads() -> None:
    letter = read_letter(LETTERS / "CM16-0213037.pdf")
    assert letter.kind == "pdf"
    assert "Case Number: CM16-0213037" in letter.text
    assert "IMR ISSUES, DECISIONS AND RATIONALES" in letter.text


def test_html_markdown_copy_loses_markup() -> None:
    letter = read_letter(LETTERS / "002_9bc453546c16a93c.md")
    assert "<b>" not in letter.text and "**" not in letter.text and "###" not in letter.text
    assert "Case Number: CM15-0052062" in letter.text


def test_double_spaced_text_is_joined() -> None:
    letter = read_letter(LETTERS / "001_e427a7d9878cdb2d.txt")
    assert "State(s) of Licensure: Pennsylvania\nCertification(s)/Specialty: Family Practice" in letter.text


def test_trademark_glyph_closing_quote_is_repaired() -> None:
    assert normalize_text('the "efficacy of medication\u2122 into his') == 'the "efficacy of medication" into his'
    # A real trademark sign with no open quote before it stays.
    assert normalize_text("Lidoderm\u2122 patch") == "Lidoderm\u2122 patch"


def test_normalised_text_shape() -> None:
    text = normalize_text("a \t b  \r\n\r\n\r\n\r\nc\u2019s \u201cx\u201d\u00a0\u2013 y   \n")
    assert text == "a b\n\nc's \"x\" - y"


def _blank_pdf(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with path.open("wb") as fh:
        writer.write(fh)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("missing.pdf", None, "no such file"),
        ("empty.txt", lambda p: p.write_text(""), "empty"),
        ("zero.pdf", lambda p: p.write_bytes(b""), "empty"),
        ("corrupt.pdf", lambda p: p.write_bytes(b"%PDF-1.7\nthis is not a pdf body\n"), "corrupt"),
        ("scan.pdf", _blank_pdf, "no text layer"),
        ("letter.docx", lambda p: p.write_text("x"), "unknown file type"),
        ("blank.txt", lambda p: p.write_text("   \n\n  "), "no text"),
        ("long.txt", lambda p: p.write_text("Decision rationale: " + "word " * 60_000), "over the limit"),
    ],
)
def test_bad_input_is_a_typed_error_naming_the_file(tmp_path: Path, name, make, reason) -> None:
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(InputError) as info:
        read_letter(path)
    assert info.value.source == str(path)
    assert reason in str(info.value)
    assert str(path) in str(info.value)


def test_pdf_with_a_real_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt(user_password="secret", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(InputError, match="encrypted with a password") as info:
        read_letter(path)
    assert info.value.source == str(path)


def test_not_an_imr_letter(tmp_path: Path) -> None:
    path = tmp_path / "recipe.txt"
    path.write_text("Pancakes\n\nMix flour, milk and eggs.\nFry in butter: serve hot.\n")
    with pytest.raises(InputError, match="not an IMR final determination letter") as info:
        extract(path, rules_only=True)
    assert info.value.source == str(path)


def test_text_given_directly() -> None:
    raw = (LETTERS / "003_920be4540613d1dd.txt").read_text(encoding="utf-8")
    record = extract(text=raw, rules_only=True)
    assert [i.request for i in record.items] == ["Baclofen 10 mg #90", "Xanax 0.25 mg #90"]
    assert letter_from_text(raw).sha256 == read_letter(LETTERS / "003_920be4540613d1dd.txt").sha256
