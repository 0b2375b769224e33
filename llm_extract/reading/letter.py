"""Read a letter from a file (PDF, text, HTML, markdown) or from a string.

Reading never logs the letter's text; every failure is an :class:`InputError` that names
the file and the reason.
"""

from __future__ import annotations

import contextvars
import errno
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .normalize import normalize_text

__all__ = ["Letter", "read_letter", "letter_from_text", "pdf_text", "pdf_text_pypdf", "pdf_text_pdfium",
           "MAX_CHARS", "SUFFIXES"]

log = logging.getLogger("llm_extract.reading")

#: Longest normalised text accepted. Real letters run 2k–40k characters; anything far
#: beyond that is not one letter and would only waste model time.
MAX_CHARS = 200_000
MAX_PDF_PAGES = 60
#: The one table of letter file suffixes and the reader each takes: batch inputs, fixtures,
#: the service's folders and its upload form all take their suffixes from here.
SUFFIXES = {".pdf": "pdf", ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
            ".md": "markdown", ".markdown": "markdown"}


@dataclass(frozen=True)
class Letter:
    """One letter's normalised text and where it came from."""

    source: str
    text: str
    kind: str
    #: What reading noticed but could get past (a page that failed to decode, a PDF repair,
    #: the fallback PDF reader); the rules pass turns each into an
    #: :class:`~llm_extract.record.ExtractionWarning`. Not part of the content hash.
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>", max_chars: int = MAX_CHARS) -> Letter:
        """A letter given as a string (its text, never a path); see :func:`letter_from_text`."""
        return letter_from_text(text, source=source, max_chars=max_chars)

    @property
    def sha256(self) -> str:
        """Hash of the normalised text: identical letters share it whatever their copy."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _check(text: str, source: str, kind: str, max_chars: int, warnings: tuple[str, ...] = ()) -> Letter:
    norm = normalize_text(text)
    if not norm.strip():
        raise InputError("the letter has no text", source=source)
    if len(norm) > max_chars:
        raise InputError(
            f"the text is {len(norm):,} characters, over the limit of {max_chars:,}", source=source
        )
    return Letter(source=source, text=norm, kind=kind, warnings=warnings)


def letter_from_text(text: str, *, source: str = "<text>", max_chars: int = MAX_CHARS) -> Letter:
    """Wrap a letter given as a string (PDF text, HTML or markdown); the string is never a path."""
    if not isinstance(text, str):
        raise TypeError(f"letter text must be a str, not {type(text).__name__}")
    kind = "html" if "<b>" in text or "<p>" in text or "<script" in text.lower() else "text"
    return _check(text, source, kind, max_chars)


def pdf_text(path: Path, source: str, notes: list[str] | None = None) -> str:
    """The PDF's text layer, pages joined by a line break.

    PDFium (pypdfium2) reads it, about 10x faster than pypdf. A file PDFium refuses (a
    damaged cross-reference table it cannot repair, an unsupported filter) is read again with
    pypdf; that fallback is logged and, when ``notes`` is given, noted there so it reaches
    the record's warnings. A password, too many pages or no text layer are not retried.
    """
    if os.environ.get("LLM_EXTRACT_PDF_READER", "").lower() == "pypdf":  # comparisons, benchmarks
        return pdf_text_pypdf(path, source, notes)
    try:
        return pdf_text_pdfium(path, source, notes)
    except _RefusedError as refused:
        text = pdf_text_pypdf(path, source, notes)
        note = f"PDFium could not read the PDF ({refused}); read with the pypdf fallback"
        log.warning("%s: %s", source, note)
        if notes is not None:
            notes.append(note)
        return text


class _RefusedError(Exception):
    """PDFium could not open or read this file (pypdf may)."""


def _pdfium_modules() -> tuple[Any, Any]:
    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c
    except ImportError as exc:  # pragma: no cover - pypdfium2 is a hard dependency
        raise _RefusedError("pypdfium2 is not installed") from exc
    return pdfium, pdfium_c


# PDFium is not thread-safe: no two threads may call into it at once, not even on different
# documents. The batch runner, the Ray workers and the HTTP service read letters from thread
# pools, and an unguarded concurrent call fails or corrupts state, which here would send a
# good PDF to the pypdf fallback (a different text and a warning) at random.
_PDFIUM_LOCK = threading.Lock()


def pdf_text_pdfium(path: Path, source: str, notes: list[str] | None = None) -> str:
    """Text layer read with PDFium; raises :class:`_RefusedError` where pypdf should try.

    A page without text in a PDF of several pages (damaged, or a scan among text pages) is
    noted in ``notes``: a quietly shorter letter would read as a complete one. Calls are
    serialised in the process (PDFium is not thread-safe; it reads ~200 letters/s).
    """
    with _PDFIUM_LOCK:
        return _pdf_text_pdfium(path, source, notes)


def _pdf_text_pdfium(path: Path, source: str, notes: list[str] | None) -> str:
    pdfium, pdfium_c = _pdfium_modules()
    try:
        # PDFium tries the empty user password itself (the state's AES-encrypted PDFs).
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise InputError("the PDF is encrypted with a password", source=source) from exc
        raise _RefusedError(str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__) from exc
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
            if notes is not None and n > 1 and not pages[-1].strip():
                notes.append(f"page {i + 1} of {n} has no text")
    except InputError:
        raise
    except Exception as exc:
        raise _RefusedError(type(exc).__name__) from exc
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


def pdf_text_pypdf(path: Path, source: str, warnings: list[str] | None = None) -> str:
    """Text layer read with pypdf (the fallback reader); a page that fails is noted in ``warnings``."""
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
        pages = _page_texts(reader, warnings)
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


def _page_texts(reader: object, warnings: list[str] | None) -> list[str]:
    """Each page's text; a page that fails to decode is noted in ``warnings`` (or raises)."""
    pages_in = list(reader.pages)  # type: ignore[attr-defined]  # a pypdf or a PDFium document: both have pages
    pages: list[str] = []
    for number, page in enumerate(pages_in, 1):
        try:
            pages.append(page.extract_text() or "")
        except Exception as exc:
            if warnings is None:
                raise
            warnings.append(f"page {number} of {len(pages_in)} could not be decoded ({type(exc).__name__})")
            pages.append("")
            continue
        if not pages[-1].strip() and len(pages_in) > 1 and warnings is not None:
            warnings.append(f"page {number} of {len(pages_in)} has no text")
    return pages


# pypdf's own log lines (repairs of a damaged file) become warnings of the letter being read,
# never bare lines on stderr that name no file.
_pdf_notes: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("llm_extract_pdf_notes",
                                                                             default=None)
log = logging.getLogger(__name__)


class _PypdfNotes(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        notes = _pdf_notes.get()
        if notes is not None:
            notes.append(f"the PDF needed repair: {record.getMessage()[:200]}")
        else:  # pragma: no cover - pypdf used outside read_letter
            log.warning("pypdf: %s", record.getMessage()[:200])


def _quiet_pypdf() -> None:
    logger = logging.getLogger("pypdf")
    if not any(isinstance(h, _PypdfNotes) for h in logger.handlers):
        logger.addHandler(_PypdfNotes(logging.WARNING))
        logger.propagate = False


def _decode(data: bytes) -> str:
    """Text from bytes: a UTF-32/UTF-16/UTF-8 byte order mark decides, then UTF-8, then cp1252."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break
    sample = data[:4000]
    if len(sample) >= 20 and sample.count(0) > len(sample) // 3:
        # UTF-16 without a byte order mark: every other byte of ASCII text is zero.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_OS_REASONS = {
    errno.ENOENT: "no such file",
    errno.ELOOP: "a symbolic link loop (too many levels of symbolic links)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "a directory, not a file",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
}


def _os_error(exc: OSError, source: str) -> InputError:
    reason = _OS_REASONS.get(exc.errno or 0) or f"cannot be read ({exc.strerror or type(exc).__name__})"
    return InputError(reason, source=source)


def read_letter(path: str | os.PathLike[str], *, max_chars: int = MAX_CHARS) -> Letter:
    """Read and normalise one letter file; ``source`` is the path as given.

    The argument is always a path, even a string holding a line break: letter text goes
    through :func:`letter_from_text`. Every failure, an operating-system one included
    (permission denied, a symbolic link loop), is an :class:`InputError` naming the path.
    """
    if isinstance(path, Letter) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_letter takes a path, not {type(path).__name__}")
    source = os.fspath(path)
    p = Path(source)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUFFIXES))
        hint = " (letter text goes through letter_from_text / extract(text=...))" if "\n" in source else ""
        raise InputError(f"unknown file type {p.suffix or '(none)'!r}; expected one of {known}{hint}",
                         source=source)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise _os_error(exc, source) from None
    import stat as _stat

    if _stat.S_ISDIR(st.st_mode):
        raise InputError("a directory, not a file", source=source)
    if not _stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file", source=source)
    size = st.st_size
    if size == 0:
        raise InputError("the file is empty", source=source)
    notes: list[str] = []
    try:
        if kind == "pdf":
            _quiet_pypdf()
            token = _pdf_notes.set(notes)
            try:
                with open(p, "rb"):  # an unreadable file fails here, named, not inside pypdf
                    pass
                text = pdf_text(p, source, notes)
            finally:
                _pdf_notes.reset(token)
        else:
            if size > 4 * max_chars:
                raise InputError(f"the file is {size:,} bytes, too large for one letter", source=source)
            with open(p, "rb") as fh:
                data = fh.read()
            text = _decode(data)
    except OSError as exc:
        raise _os_error(exc, source) from None
    return _check(text, source, kind, max_chars, tuple(dict.fromkeys(notes)))
