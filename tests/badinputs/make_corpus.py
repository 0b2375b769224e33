"""Build the bad-input corpus (issues 11 and 20) into a folder, from the seed letters in evals/fixtures.

Run ``python tests/badinputs/make_corpus.py OUT`` to look at the files; the tests call
:func:`build`. Every case says what must come of it: an ``InputError`` whose message matches
``match`` and names the file, or a record (its case number, its item count and the warning
codes it must carry). Nothing here is a hand-edited binary: every file is made from a seed.
"""

from __future__ import annotations

import io
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT_SEED = "004_5b182d2c9df6dc4d.md"  # HTML-ish copy with a case number, 2 items
TEXT_SEED_2 = "002_9bc453546c16a93c.md"
PDF_SEED = "CM16-0213037.pdf"


def seed_dir() -> Path:
    """The seed letters' folder: evals/fixtures/letters, or evals/fixtures/dev/letters."""
    for rel in ("evals/fixtures/letters", "evals/fixtures/dev/letters"):
        if (ROOT / rel).is_dir():
            return ROOT / rel
    raise FileNotFoundError("no seed letters under evals/fixtures/letters or evals/fixtures/dev/letters")


def seed(name: str) -> Path:
    return seed_dir() / name


@dataclass
class Case:
    name: str
    path: Path
    hole: str  # the class ("1".."12", "20.1", "20.2", or "ok" for the already-passing ones)
    error: str | None = None  # "InputError", or None when a record is expected
    match: str = ""  # a regex the error message must match
    case_number: str | None = None
    items: int | None = None
    warnings: set[str] = field(default_factory=set)  # codes the record must carry
    absent: list[str] = field(default_factory=list)  # strings no item may hold
    decisions: list[str] | None = None  # each item's decision, in order, where it matters
    warned: set[str] = field(default_factory=set)  # fields a warning must name (unreadable_header)


def _pdf_writer(*names: str):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for name in names:
        reader = PdfReader(seed(name))
        if reader.is_encrypted:
            reader.decrypt("")
        writer.append(reader)
    return writer


def _write_pdf(writer, path: Path) -> None:
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())


def _damaged_pdf(path: Path) -> None:
    """The seed with one page's content stream overwritten by bytes that do not inflate."""
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = _pdf_writer(PDF_SEED)
    page = writer.pages[1]
    bad = DecodedStreamObject()
    bad.set_data(b"\x00garbage" * 64)
    bad[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(bad)
    _write_pdf(writer, path)


def with_case_number(text: str, number: str) -> str:
    return text.replace("CM17-0015790", number)


def build(out: str | os.PathLike[str]) -> list[Case]:
    """Write every case into ``out``; return the cases with their expected outcomes."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = seed(TEXT_SEED).read_text(encoding="utf-8")
    other = seed(TEXT_SEED_2).read_text(encoding="utf-8")
    cases: list[Case] = []

    def text_case(name: str, content: str | bytes, hole: str, **expect) -> None:
        p = out / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        cases.append(Case(name, p, hole, **expect))

    good = dict(case_number="CM17-0015790", items=2)
    # -- already passing ------------------------------------------------------------------
    text_case("empty.txt", b"", "ok", error="InputError", match="the file is empty")
    pdf = seed(PDF_SEED).read_bytes()
    text_case("truncated.pdf", pdf[: len(pdf) // 3], "ok", error="InputError", match="PDF")
    writer = _pdf_writer(PDF_SEED)
    writer.encrypt("a real password")
    p = out / "password.pdf"
    _write_pdf(writer, p)
    cases.append(Case("password.pdf", p, "ok", error="InputError", match="encrypted with a password"))
    text_case("not_imr.txt", "Dear customer,\n\nYour parcel has shipped.\n", "ok",
              error="InputError", match="not an IMR final determination letter")
    text_case("oversized.txt", base * 400, "ok", error="InputError", match="too large|over the limit")
    text_case("renamed_binary.pdf", bytes(random.Random(11).getrandbits(8) for _ in range(4096)), "ok",
              error="InputError", match="PDF")
    cases.append(Case("missing.txt", out / "missing.txt", "ok", error="InputError", match="^no such file"))
    text_case("control.md", base, "ok", **good)
    # -- 1: a line ending in ": Overturned" inside the letter's text --------------------------
    at = base.index("Decision rationale:")
    at = base.index("\n", at) + 1
    injected = base[:at] + "The treating physician wrote in an appeal: Overturned\n" + base[at:]
    text_case("stray_decision_line.md", injected, "1", warnings={"stray_decision_line"}, **good)
    # -- 2: several letters in one file ---------------------------------------------------
    text_case("two_letters.md", base + "\n\n" + other, "2", error="InputError", match="holds 2 letters")
    text_case("same_letter_twice.md", base + "\n\n" + with_case_number(base, "CM17-0099999"), "2",
              error="InputError", match="holds 2 letters")
    p = out / "bundle.pdf"
    _write_pdf(_pdf_writer(PDF_SEED, "CM16-0230548.pdf"), p)
    cases.append(Case("bundle.pdf", p, "2", error="InputError", match="holds 2 letters"))
    # -- 3: partly damaged PDF; sections missing ----------------------------------------
    p = out / "damaged.pdf"
    _damaged_pdf(p)
    cases.append(Case("damaged.pdf", p, "3", case_number="CM16-0213037", items=0,
                      warnings={"damaged_input", "no_items"}))
    summary_at = base.index("CLINICAL CASE SUMMARY")
    text_case("no_summary.md", base[:summary_at] + base[summary_at:].replace("CLINICAL CASE SUMMARY", "", 1),
              "3", warnings={"missing_section"}, **good)
    no_guides = "\n".join(ln for ln in base.split("\n") if "MAXIMUS guideline" not in ln)
    text_case("no_maximus_guideline.md", no_guides, "3", warnings={"incomplete_item"}, **good)
    # -- 4: NUL and other control characters ------------------------------------------
    nul = base.replace("CM17-0015790", "CM17-\x000015790").replace("Decision rationale:", "Decision\x00 rationale:")
    text_case("nul.md", nul.replace("IMR ISSUES", "IMR\x01 ISSUES\x1b"), "4", **good)
    # -- 5: HTML scripts, styles, comments; marker phrases alone --------------------------
    html = ("<html><head><style>p { color: red } .x:after { content: 'Upheld' }</style>"
            "<script>var note = 'Injected: Overturned';</script></head><body>\n"
            + base.replace("Decision rationale:", "<!-- hidden comment -->Decision rationale:", 1)
            + "<script>document.write('Extra item: Upheld')</script></body></html>")
    text_case("scripts.html", html, "5", absent=["var note", "document.write", "hidden comment", "color: red"],
              **good)
    text_case("script_only.html", "<html><script>alert('Case Number: CM17-0000001')</script></html>", "5",
              error="InputError", match="no text")
    text_case("markers_only.txt", "Independent Medical Review\nMAXIMUS\nDecision rationale:\n"
              "Claims Administrator guideline:\nHOW THE IMR FINAL DETERMINATION WAS MADE\n", "5",
              error="InputError", match="not an IMR final determination letter")
    # -- 6: unreadable (a folder passed as a file; permission denied is simulated in the test)
    (out / "folder.txt").mkdir(exist_ok=True)
    cases.append(Case("folder.txt", out / "folder.txt", "6", error="InputError", match="a directory"))
    # -- 7: a path whose name holds a line break is a path ---------------------------------
    text_case("line\nbreak.md", base, "7", **good)
    # -- 8: byte order marks --------------------------------------------------------------
    text_case("utf16.md", base.encode("utf-16"), "8", **good)
    text_case("utf16be.md", b"\xfe\xff" + base.encode("utf-16-be"), "8", **good)
    text_case("utf8bom.md", b"\xef\xbb\xbf" + base.encode("utf-8"), "8", **good)
    # -- 20.1: a line ending in a decision word between an item's decision line and its labels,
    # or glued to the paragraph before one: the letter's layout says which line is the item,
    # or, where nothing decides, the letter is refused (never a record naming the planted line).
    baclofen = "**Baclofen 20mg #60:** Upheld\n"
    text_case("competing_decision_line.md",  # the rationale names Baclofen, not Tramadol
              base.replace(baclofen, baclofen + "\n**Tramadol 50mg #30:** Overturned\n", 1), "20.1",
              warnings={"stray_decision_line"}, absent=["Tramadol"], decisions=["Upheld", "Upheld"], **good)
    text_case("competing_named_decision_line.md",  # the rationale names both: nothing decides
              base.replace(baclofen, baclofen + "\n**Baclofen 20mg #60 on appeal:** Overturned\n", 1), "20.1",
              error="InputError", match=r"decision lines at offsets \d+, \d+ compete for one guideline block")
    intro = "set forth below:\n"
    pump = "**Outpatient placement of Baclofen pump to be done by a doctor: Upheld**\n"
    one = dict(case_number="CM15-0052062", items=1)
    text_case("competing_glued_line.md",  # both named; only the real line starts its own paragraph
              other.replace(intro, intro + "The applicant appealed for the baclofen pump: Overturned\n", 1), "20.1",
              warnings={"stray_decision_line"}, absent=["appealed"], decisions=["Upheld"], **one)
    text_case("competing_paragraph_line.md",  # both named, both paragraphs of their own: nothing decides
              other.replace(pump, pump + "\n**Baclofen pump on appeal: Overturned**\n", 1), "20.1",
              error="InputError", match=r"decision lines at offsets \d+, \d+ compete for one guideline block")
    text_case("decision_line_among_labels.md",  # before item 1's rationale label: inside item 1
              base.replace("**Decision rationale:**", "**Zolpidem 10mg #30:** Overturned\n\n**Decision rationale:**",
                           1),
              "20.1", warnings={"stray_decision_line"}, decisions=["Upheld", "Upheld"], **good)
    text_case("cut_decision_line.md",  # a line put between a request and its decision word
              base.replace(baclofen, "**Baclofen 20mg #60:**\n\nZolpidem 10mg #30: Overturned\n\nUpheld\n", 1),
              "20.1", error="InputError", match=r"decision lines at offsets \d+, \d+ compete for one guideline block")
    # -- 20.2: a control character inside a label stands for a space or for nothing -------------
    labelled = base
    for words in ("Case Number", "Date of Injury", "Application Received", "Claims Administrator guideline",
                  "Decision rationale"):
        labelled = labelled.replace(words, words.replace(" ", "\x00"))
    labelled = labelled.replace("Upheld", "Up\x00held")
    for name, stand_in in (("nul_label.md", "\x00"), ("nul_label_as_space.md", " "), ("nul_label_as_nothing.md", "")):
        text_case(name, labelled.replace("\x00", stand_in), "20.2", decisions=["Upheld", "Upheld"], **good)
    broken = base.replace("01/30/2017", "01/3O/2017").replace("<b>Priority:</b>", "<b></b>")
    text_case("unreadable_header_field.md", broken, "20.2", warnings={"unreadable_header"},
              warned={"date_assigned", "priority"}, **good)
    # -- 12: a symbolic link loop ----------------------------------------------------------
    loop = out / "loop.md"
    if not loop.is_symlink():
        os.symlink(loop, loop)
    cases.append(Case("loop.md", loop, "12", error="InputError", match="symbolic link loop"))
    return cases


def build_batch(out: str | os.PathLike[str], count: int = 200, bad_share: float = 0.05,
                seed_value: int = 11) -> tuple[list[Path], list[Path]]:
    """``count`` distinct letters (seed copies with their own case number), ``bad_share`` bad.

    Returns (good paths, bad paths).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = seed(TEXT_SEED).read_text(encoding="utf-8")
    rng = random.Random(seed_value)
    n_bad = round(count * bad_share)
    bad_at = set(rng.sample(range(count), n_bad))
    good: list[Path] = []
    bad: list[Path] = []
    makers = [
        ("empty.txt", lambda i: ""),
        ("not_imr.txt", lambda i: f"Dear customer {i},\nYour order shipped.\n"),
        ("two.md", lambda i: base + "\n\n" + with_case_number(base, f"CM18-{i:07d}")),
        ("binary.pdf", lambda i: bytes(rng.getrandbits(8) for _ in range(512)).decode("latin-1")),
        ("markers.txt", lambda i: f"MAXIMUS {i}\nDecision rationale:\n"),
    ]
    for i in range(count):
        if i in bad_at:
            suffix, make = makers[len(bad) % len(makers)]
            p = out / f"bad_{i:05d}_{suffix}"
            p.write_text(make(i), encoding="latin-1" if suffix.endswith(".pdf") else "utf-8")
            bad.append(p)
        else:
            p = out / f"letter_{i:05d}.md"
            p.write_text(with_case_number(base, f"CM19-{i:07d}"), encoding="utf-8")
            good.append(p)
    return good, bad


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "badinputs-corpus")
    for c in build(target):
        print(f"{c.hole:>3} {c.name!r}: {c.error or 'record'} {c.match or sorted(c.warnings)}")
