"""Read a letter from a file (PDF, text, HTML, markdown) or from a string.

Reading never logs the letter's text; every failure is an :class:`InputError` that names
the file and the reason.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .normalize import normalize_text

__all__ = ["Letter", "read_letter", "letter_from_text", "pdf_text", "pdf_text_pypdf", "pdf_text_pdfium",
           "MAX_CHARS", "SUFFIXES"]

log = logging.getLogger("llm_extract.reading")

#: Longest normalised text accepted. Real letters run 2k–40k characters; anything far
#: beyond that is not one letter and would only waste model time.
MAX_CHARS = 200_000
MAX_PDF_PAGES = 60
SUFFIXES = {".pdf": "pdf", ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
            ".md": "markdown", ".markdown": "markdown"}


@dataclass(frozen=True)
class Letter:
    """One letter's normalised text and where it came from."""

    source: str
    text: str
    kind: str
    #: Notes from reading the file (e.g. the fallback PDF reader was used); the rules pass
    #: copies them into the record's ``warnings``. Not part of the content hash.
    reader_warnings: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        """Hash of the normalised text: identical letters share it whatever their copy."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _check(text: str, source: str, kind: str, max_chars: int, notes: tuple[str, ...] = ()) -> Letter:
    norm = normalize_text(text)
    if not norm.strip():
        raise InputError("the letter has no text", source=source)
    if len(norm) > max_chars:
        raise InputError(
            f"the text is {len(norm):,} characters, over the limit of {max_chars:,}", source=source
        )
    return Letter(source=source, text=norm, kind=kind, reader_warnings=notes)


def letter_from_text(text: str, *, source: str = "<text>", max_chars: int = MAX_CHARS) -> Letter:
    """Wrap a letter given as a string (PDF text, HTML or markdown)."""
    kind = "html" if "<b>" in text or "<p>" in text else "text"
    return _check(text, source, kind, max_chars)


def pdf_text(path: Path, source: str, notes: list[str] | None = None) -> str:
    """The PDF's text layer, pages joined by a line break.

    PDFium (pypdfium2) reads it, about 10x faster than pypdf. A file PDFium refuses (a
    damaged cross-reference table it cannot repair, an unsupported filter) is read again with
    pypdf; that fallback is logged and, when ``notes`` is given, noted there so it reaches
    the record's warnings. A password, too many pages or no text layer are not retried.
    """
    if os.environ.get("LLM_EXTRACT_PDF_READER", "").lower() == "pypdf":  # comparisons, benchmarks
        return pdf_text_pypdf(path, source)
    try:
        return pdf_text_pdfium(path, source)
    except _Refused as refused:
        text = pdf_text_pypdf(path, source)
        note = f"PDFium could not read the PDF ({refused}); read with the pypdf fallback"
        log.warning("%s: %s", source, note)
        if notes is not None:
            notes.append(note)
        return text


class _Refused(Exception):
    """PDFium could not open or read this file (pypdf may)."""


def _pdfium_modules():  # type: ignore[no-untyped-def]
    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c
    except ImportError as exc:  # pragma: no cover - pypdfium2 is a hard dependency
        raise _Refused("pypdfium2 is not installed") from exc
    return pdfium, pdfium_c


def pdf_text_pdfium(path: Path, source: str) -> str:
    """Text layer read with PDFium; raises :class:`_Refused` where pypdf should try."""
    pdfium, pdfium_c = _pdfium_modules()
    try:
        # PDFium tries the empty user password itself (the state's AES-encrypted PDFs).
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise InputError("the PDF is encrypted with a password", source=source) from exc
        raise _Refused(str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__) from exc
    try:
        n = len(doc)
        if n > MAX_PDF_PAGES:
            raise InputError(f"the PDF has {n} pages, over the limit of {MAX_PDF_PAGES}", source=source)
        pages = []
        for i in range(n):
            page = doc[i]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(textpage.get_text_bounded())
                finally:
                    textpage.close()
            finally:
                page.close()
    except InputError:
        raise
    except Exception as exc:
        raise _Refused(type(exc).__name__) from exc
    finally:
        doc.close()
    # PDFium ends lines with CRLF and marks a word hyphenated at a line end with \x02 (or
    # U+FFFE) in place of "-" and the break; write both as pypdf does, so the layout rules
    # and the normaliser see one form whichever reader ran.
    text = ("\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
            .replace("\x02", "-\n").replace("\ufffe", "-\n"))
    if not text.strip():
        raise InputError("the PDF has no text layer (a scan?); run OCR first", source=source)
    return text


def pdf_text_pypdf(path: Path, source: str) -> str:
    """Text layer read with pypdf (the fallback reader)."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError as exc:  # pragma: no cover - pypdf is a hard dependency
        raise InputError("reading PDFs needs the pypdf package", source=source) from exc
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # The state's PDFs are AES-encrypted with an empty user password.
            if not reader.decrypt(""):
                raise InputError("the PDF is encrypted with a password", source=source)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise InputError(
                f"the PDF has {len(reader.pages)} pages, over the limit of {MAX_PDF_PAGES}",
                source=source,
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except FileNotDecryptedError as exc:
        raise InputError("the PDF is encrypted with a password", source=source) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InputError(f"the PDF is corrupt or unreadable ({type(exc).__name__})", source=source) from exc
    except Exception as exc:
        if "cryptography" in str(exc):
            raise InputError("decrypting this PDF needs the cryptography package", source=source) from exc
        raise InputError(f"the PDF could not be read ({type(exc).__name__})", source=source) from exc
    text = "\n".join(pages)
    if not text.strip():
        raise InputError("the PDF has no text layer (a scan?); run OCR first", source=source)
    return text


def read_letter(path: str | os.PathLike[str], *, max_chars: int = MAX_CHARS) -> Letter:
    """Read and normalise one letter file; ``source`` is the path as given."""
    source = os.fspath(path)
    p = Path(source)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUFFIXES))
        raise InputError(f"unknown file type {p.suffix or '(none)'!r}; expected one of {known}", source=source)
    if not p.exists():
        raise InputError("no such file", source=source)
    if not p.is_file():
        raise InputError("not a regular file", source=source)
    size = p.stat().st_size
    if size == 0:
        raise InputError("the file is empty", source=source)
    notes: list[str] = []
    if kind == "pdf":
        text = pdf_text(p, source, notes)
    else:
        if size > 4 * max_chars:
            raise InputError(f"the file is {size:,} bytes, too large for one letter", source=source)
        data = p.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return _check(text, source, kind, max_chars, tuple(notes))
