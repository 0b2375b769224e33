"""Tables and the summary built from a batch folder's ``records.jsonl``.

``letters.csv`` has one row per distinct letter (identical texts counted once; the other
copies' sources are listed in ``duplicate_sources``); ``items.csv`` one row per disputed
item with its letter's fields and each value's source and confidence; ``review.csv`` the
review queue, one row per value listed in a record's ``needs_review``. ``letters.parquet``,
``items.parquet`` and ``review.parquet`` hold the same rows (list fields as lists) when
``parquet`` is asked for; that needs the ``[parquet]`` extra. The format ``review`` alone
writes the review queue as CSV and no other table.
Everything here is rebuilt from the logs in one streaming pass, so it can be run again at
any time (:func:`write_outputs`) and after merging shard folders (:func:`merge_outputs`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .stats import StatsAccumulator, days_between, write_chart
from .store import ERRORS, RECORDS, OutputStore, iter_letters, iter_lines

__all__ = ["FORMATS", "LETTER_COLUMNS", "ITEM_COLUMNS", "REVIEW_COLUMNS", "check_formats", "iter_letters",
           "pyarrow_modules", "write_outputs", "merge_outputs"]

#: The output formats a batch folder can be written in ("review": the review queue alone, as CSV).
FORMATS = ("jsonl", "csv", "parquet", "review")


def check_formats(formats: Iterable[str]) -> list[str]:
    """The formats, lower-cased; a :class:`ConfigError` names any that is not in :data:`FORMATS`."""
    fmts = [f.strip().lower() for f in formats if f.strip()]
    bad = sorted(set(fmts) - set(FORMATS))
    if bad:
        raise ConfigError(f"unknown output format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return fmts


# (column, kind): kind decides the CSV form and the Parquet type.
LETTER_COLUMNS: list[tuple[str, str]] = [
    ("sha256", "str"), ("source", "str"), ("duplicate_sources", "list"),
    ("case_number", "str"), ("date_assigned", "date"), ("date_of_injury", "date"),
    ("decision_date", "date"), ("ur_denial_date", "date"), ("application_received", "date"),
    ("days_to_decision", "int"), ("priority", "str"),
    ("reviewer_licensure_states", "list"), ("reviewer_specialties", "list"),
    ("patient_age", "int"), ("patient_sex", "str"), ("diagnoses", "list"),
    ("items", "int"), ("upheld", "int"), ("overturned", "int"), ("warnings", "int"), ("needs_review", "list"),
    ("extractor_version", "str"), ("model", "str"), ("prompt", "str"),
    ("prompt_tokens", "int"), ("completion_tokens", "int"), ("model_calls", "int"),
    ("cache_hit", "bool"), ("seconds", "float"),
]
_ITEM_RECORD: list[tuple[str, str]] = [
    ("item_index", "int"), ("request", "str"), ("decision", "str"), ("medically_necessary", "bool"),
    ("treatment", "str"), ("strength", "str"), ("quantity", "int"), ("category", "str"),
    ("drug_class", "str"), ("guideline_sources", "list"), ("claims_administrator_guideline", "str"),
    ("maximus_guideline", "str"), ("rationale", "str"),
]
_ITEM_OWN: list[tuple[str, str]] = _ITEM_RECORD + [
    ("treatment_source", "str"), ("treatment_confidence", "float"),
    ("category_source", "str"), ("category_confidence", "float"),
    ("drug_class_source", "str"), ("drug_class_confidence", "float"), ("needs_review", "list"),
]
#: The item columns read straight from the record's item.
_ITEM_FIELDS = [c for c, _ in _ITEM_RECORD[1:]]
_VALUES = ("treatment", "category", "drug_class")
#: The review queue: one row per value a record lists in ``needs_review``.
REVIEW_COLUMNS: list[tuple[str, str]] = [
    ("sha256", "str"), ("source", "str"), ("case_number", "str"), ("path", "str"), ("field", "str"),
    ("item_index", "int"), ("request", "str"), ("value", "str"), ("answered_by", "str"),
    ("confidence", "float"), ("reasons", "list"),
]
_ITEM_LETTER = ["sha256", "source", "case_number", "date_of_injury", "decision_date",
                "application_received", "days_to_decision", "priority", "reviewer_specialties",
                "patient_age", "patient_sex"]
_KIND = dict(LETTER_COLUMNS)
ITEM_COLUMNS: list[tuple[str, str]] = (
    [(c, _KIND[c]) for c in _ITEM_LETTER[:3]] + _ITEM_OWN + [(c, _KIND[c]) for c in _ITEM_LETTER[3:]]
)


def _letter_row(line: dict[str, Any], rec: dict[str, Any], dup_sources: list[str]) -> dict[str, Any]:
    items = rec.get("items") or []
    upheld = sum(1 for i in items if i.get("decision") == "Upheld")
    prov = rec.get("provenance") or {}
    reviewer = rec.get("reviewer") or {}
    patient = rec.get("patient") or {}
    return {
        "sha256": line.get("sha256"), "source": line.get("source"), "duplicate_sources": dup_sources,
        "case_number": rec.get("case_number"), "date_assigned": rec.get("date_assigned"),
        "date_of_injury": rec.get("date_of_injury"), "decision_date": rec.get("decision_date"),
        "ur_denial_date": rec.get("ur_denial_date"), "application_received": rec.get("application_received"),
        "days_to_decision": days_between(rec.get("application_received"), rec.get("decision_date")),
        "priority": rec.get("priority"),
        "reviewer_licensure_states": reviewer.get("licensure_states") or [],
        "reviewer_specialties": reviewer.get("specialties") or [],
        "patient_age": patient.get("age"), "patient_sex": patient.get("sex"),
        "diagnoses": rec.get("diagnoses") or [],
        "items": len(items), "upheld": upheld, "overturned": len(items) - upheld,
        "warnings": len(rec.get("warnings") or []), "needs_review": rec.get("needs_review") or [],
        "extractor_version": prov.get("extractor_version"), "model": prov.get("model"),
        "prompt": prov.get("prompt"), "prompt_tokens": prov.get("prompt_tokens"),
        "completion_tokens": prov.get("completion_tokens"), "model_calls": prov.get("model_calls"),
        "cache_hit": prov.get("cache_hit"), "seconds": prov.get("seconds"),
    }


def _item_rows(letter: dict[str, Any], rec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    shared = {c: letter[c] for c in _ITEM_LETTER}
    flagged = set(rec.get("needs_review") or [])
    for n, item in enumerate(rec.get("items") or [], start=1):
        row = dict(shared)
        row["item_index"] = n
        for col in _ITEM_FIELDS:
            row[col] = item.get(col)
        row["guideline_sources"] = item.get("guideline_sources") or []
        confidence = item.get("confidence") or {}
        for name in _VALUES:
            conf = confidence.get(name) or {}
            row[f"{name}_source"] = conf.get("source")
            row[f"{name}_confidence"] = conf.get("score")
        row["needs_review"] = [name for name in _VALUES if f"items.{n - 1}.{name}" in flagged]
        yield row


def _review_rows(letter: dict[str, Any], rec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    items = rec.get("items") or []
    for path in rec.get("needs_review") or []:
        parts = path.split(".")
        row = {"sha256": letter["sha256"], "source": letter["source"], "case_number": letter["case_number"],
               "path": path, "item_index": None, "request": None, "value": None, "answered_by": None,
               "confidence": None, "reasons": []}
        conf: dict[str, Any] = {}
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(items):
            item = items[int(parts[1])]
            row.update(field=parts[2], item_index=int(parts[1]) + 1, request=item.get("request"),
                       value=item.get(parts[2]))
            conf = (item.get("confidence") or {}).get(parts[2]) or {}
        elif parts[0] == "diagnoses" and len(parts) == 2 and parts[1].isdigit():
            diagnoses = rec.get("diagnoses") or []
            i = int(parts[1])
            row.update(field="diagnosis", value=diagnoses[i] if i < len(diagnoses) else None)
            conf = (rec.get("confidence") or {}).get(path) or {}
        else:
            row["field"] = parts[0]
        row.update(answered_by=conf.get("source"), confidence=conf.get("score"), reasons=conf.get("reasons") or [])
        yield row


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "list":
        # "; " never occurs inside a specialty, state or diagnosis name in these letters.
        return "; ".join(str(v) for v in value)
    if kind == "bool":
        return "true" if value else "false"
    return value


class _Table:
    """One output table: a CSV writer and, when asked, a batched Parquet writer."""

    def __init__(self, out_dir: Path, name: str, columns: list[tuple[str, str]], formats: set[str]) -> None:
        self.columns = columns
        self.paths: list[tuple[Path, Path]] = []
        self._csv = None
        self._pq = None
        self._batch: list[dict[str, Any]] = []
        if "csv" in formats:
            final = out_dir / f"{name}.csv"
            tmp = final.with_suffix(".csv.tmp")
            self._csv_file = tmp.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._csv_file)
            self._csv.writerow([c for c, _ in columns])
            self.paths.append((tmp, final))
        if "parquet" in formats:
            pa, pq = pyarrow_modules()
            types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
                     "date": pa.date32(), "list": pa.list_(pa.string())}
            self._schema = pa.schema([(c, types[k]) for c, k in columns])
            final = out_dir / f"{name}.parquet"
            tmp = final.with_suffix(".parquet.tmp")
            self._pa = pa
            self._pq = pq.ParquetWriter(tmp, self._schema)
            self.paths.append((tmp, final))

    def add(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow([_csv_value(row[c], k) for c, k in self.columns])
        if self._pq is not None:
            self._batch.append({c: (dt.date.fromisoformat(row[c]) if k == "date" and row[c] else row[c])
                                for c, k in self.columns})
            if len(self._batch) >= 2000:  # bounded memory on any corpus size
                self._flush()

    def _flush(self) -> None:
        if self._pq is not None and self._batch:
            self._pq.write_table(self._pa.Table.from_pylist(self._batch, schema=self._schema))
            self._batch = []

    def close(self) -> None:
        if self._csv is not None:
            self._csv_file.close()
        if self._pq is not None:
            self._flush()
            self._pq.close()
        for tmp, final in self.paths:
            os.replace(tmp, final)  # readers see the old table or the new one, never half


def pyarrow_modules() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(
            "Parquet output needs pyarrow: pip install 'llm-extract[parquet]' (or drop parquet from --format)"
        ) from exc
    return pa, pq


def write_outputs(
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("jsonl", "csv"),
    run: dict[str, Any] | None = None,
    chart: bool = True,
) -> dict[str, Any]:
    """Rebuild the tables, ``summary.json`` and the chart from the folder's logs.

    Returns the summary that was written. ``run`` holds the counts of the run that just
    finished, kept under ``"run"`` in the summary.
    """

    out = Path(out_dir)
    fmts = set(formats)
    if "parquet" in fmts:
        pyarrow_modules()  # fail before any table is half written
    # "review" with no table format: the review queue alone, as CSV.
    alone = "review" in fmts and not fmts & {"csv", "parquet"}
    table_fmts = set() if alone else fmts
    letters = _Table(out, "letters", LETTER_COLUMNS, table_fmts)
    items = _Table(out, "items", ITEM_COLUMNS, table_fmts)
    review = _Table(out, "review", REVIEW_COLUMNS, {"csv"} if alone else fmts)
    acc = StatsAccumulator()
    duplicates = 0
    try:
        for line, rec, dups in iter_letters(out):
            row = _letter_row(line, rec, dups)
            letters.add(row)
            for item_row in _item_rows(row, rec):
                items.add(item_row)
            for review_row in _review_rows(row, rec):
                review.add(review_row)
            acc.add(rec)
            duplicates += len(dups)
    finally:
        letters.close()
        items.close()
        review.close()
    failures = _current_failures(out)
    by_type: dict[str, int] = defaultdict(int)
    for f in failures:
        by_type[str(f.get("error_type"))] += 1
    stats = acc.result()
    summary = {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run": run,
        "totals": {
            "letters": stats["letters"], "duplicates": duplicates, "failed": len(failures),
            "failed_by_type": dict(by_type), "items": stats["items"],
        },
        "stats": stats,
    }
    if chart:
        summary["chart"] = write_chart(stats, out / "stats.png")
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / "summary.json")
    return summary


def _current_failures(out: Path) -> list[dict[str, Any]]:
    if not (out / RECORDS).exists() and not (out / ERRORS).exists():
        return []
    store = OutputStore(out, fsync=False)
    try:
        return store.current_failures
    finally:
        store.close()


def merge_outputs(
    shard_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = ("jsonl", "csv"),
) -> dict[str, Any]:
    """Merge the folders of shard workers into one folder with the same layout.

    Records are copied once per distinct letter (a letter done by two workers keeps the
    first record; the other copy becomes a ``duplicate_of`` line); open failures are copied
    unless another shard finished that letter. The merged folder can itself be resumed.
    """
    out = Path(out_dir)
    dirs = [Path(d) for d in shard_dirs]
    if out.resolve() in {d.resolve() for d in dirs}:
        raise ConfigError("the merged folder must differ from the shard folders", source=str(out))
    store = OutputStore(out, fsync=False)
    try:
        for d in dirs:
            for _, line in iter_lines(d / RECORDS):
                sha, path = line.get("sha256"), line.get("path")
                if not isinstance(sha, str) or (path and store.has_path(path)):
                    continue  # already merged (merging twice adds nothing)
                primary = store.by_sha.get(sha)
                if line.get("record") is not None and primary is None:
                    store.append_line(line)
                else:
                    store.add_record(source=str(line.get("source")), path=path, sha256=sha, record=None,
                                     file=line.get("file"),
                                     duplicate_of=primary[1] if primary else line.get("duplicate_of"))
        latest: dict[str, dict[str, Any]] = {}
        for d in dirs:
            for _, err in iter_lines(d / ERRORS):
                latest[err.get("path") or str(err.get("source"))] = err
        open_now = {e.get("path") or str(e.get("source")) for e in store.current_failures}
        for key, err in latest.items():
            if not store.resolved(err) and key not in open_now:
                store.append_error_line(err)
    finally:
        store.close()
    return write_outputs(out, formats=formats, run={"merged_from": [str(d) for d in dirs]})
