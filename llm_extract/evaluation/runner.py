"""Evaluation runs: the labelled fixtures scored under every prompt × model asked for.

Each combination is a named run (``imr-hybrid@1 × qwen2.5-coder-1.5b``); the rules-only run
is always added, as the baseline every model run has to beat, beside the majority-answer
baseline of :func:`~llm_extract.scoring.majority_baseline`.

Model answers go through the model pass's answer cache, so a second evaluation of the same
letters, prompts and models makes no model call. A cache hit costs nothing, yet a report
must say what the answers cost when they were made; so the first measured cost of each
letter (seconds, tokens, calls, re-asks) is kept beside the answers in the same cache, under
a key of its own (:func:`_ledger_key`), and read back on later runs. A letter whose answer
never validated is recorded there too, so a re-run reports the failure again without
spending model time on it (``retry_failed=True`` asks again). Transport failures
(:class:`~llm_extract.errors.ModelError`) are not recorded: they say nothing about the
prompt or the model.

Letters are read once and shared by every run, so the report's per-letter seconds are the
extraction's own time (rules, and model when it ran), not PDF reading.

The held-out split (``test``) judges a change only while nobody reads its items; so its
letters' wrong answers are counted in every figure but not listed, in the reports or in
results.json, unless ``show_test=True`` (``llm-extract eval --show-test``) asks for them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cost import Cost
from ..errors import ConfigError, ExtractionError, InputError, LlmExtractError
from ..record import IMRRecord
from ..version import __version__
from .calibration import confidence_dict
from .fixtures import DEFAULT_FIXTURES, Fixture, load_fixtures
from .results import LedgerEntry, LetterCost, LetterResult, Results, RunEntry
from .scoring import (
    ITEM_FIELDS,
    LETTER_FIELDS,
    RULES_FIELDS,
    FieldScore,
    LetterScore,
    MajorityBaseline,
    Score,
    failed_letter,
    majority_baseline,
    score_letter,
)

if TYPE_CHECKING:
    from ..model.settings import Settings

__all__ = [
    "RULES_ONLY", "RunSpec", "LetterCost", "RunResult", "FieldChange", "Evaluation", "evaluate",
    "compare", "load_results", "SUMMARY_METRICS", "Results", "RunEntry", "LetterResult",
]

#: The name of the deterministic-pass run.
RULES_ONLY = "rules-only"
ALL_FIELDS = tuple(LETTER_FIELDS) + ("diagnoses",) + tuple(f"item.{f}" for f in ITEM_FIELDS)
#: Figures beside the per-field ones, compared against a baseline like fields are.
SUMMARY_METRICS = ("item precision", "item recall", "Upheld recall", "Overturned recall",
                   "letters with every field right", "diagnoses precision", "diagnoses recall")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunSpec:
    """One run: a prompt (``name@version``) with a model, or the rules-only pass."""

    prompt: str | None = None
    model: str | None = None

    @property
    def rules_only(self) -> bool:
        return self.prompt is None

    @property
    def name(self) -> str:
        """``prompt × model``, or ``rules-only``."""
        return RULES_ONLY if self.rules_only else f"{self.prompt} × {self.model}"


@dataclass
class RunResult:
    """The scores and costs of one run over every fixture."""

    spec: RunSpec
    score: Score
    costs: list[LetterCost]
    settings: dict[str, Any] = field(default_factory=dict)
    fields: tuple[str, ...] = ALL_FIELDS
    #: Letter names by fixture split, so every figure can be shown per split.
    splits: dict[str, list[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def metric(self, name: str) -> FieldScore | None:
        """A field (``patient.age``, ``item.category``) or a summary figure (``item recall``)."""
        summary = {
            "item precision": lambda: self.score.item_precision,
            "item recall": lambda: self.score.item_recall,
            "Upheld recall": lambda: self.score.upheld_recall,
            "Overturned recall": lambda: self.score.overturned_recall,
            "letters with every field right": lambda: self.score.letters_all_right,
            "diagnoses precision": lambda: self.score.diagnoses_precision,
            "diagnoses recall": lambda: self.score.diagnoses_recall,
        }
        if name in summary:
            return summary[name]()
        if name not in self.fields:
            return None
        return self.score.field(name)

    def metrics(self) -> dict[str, FieldScore]:
        """Every field this run gives, then the summary figures."""
        out = {f: self.score.field(f) for f in ALL_FIELDS if f in self.fields}
        out.update({m: fs for m in SUMMARY_METRICS if (fs := self.metric(m)) is not None})
        return out

    def mean_field_accuracy(self) -> float:
        """Mean accuracy over every field of the schema; a field this run does not give counts 0.

        One number per run for the cost-against-accuracy chart, fair to the rules-only run
        only in that it does not pretend the rules read diagnoses or categories.
        """
        accs = [(self.score.field(f).accuracy or 0.0) if f in self.fields else 0.0 for f in ALL_FIELDS]
        return sum(accs) / len(accs)

    @property
    def failed(self) -> list[LetterCost]:
        return [c for c in self.costs if c.failed is not None]

    @property
    def reasked(self) -> list[LetterCost]:
        return [c for c in self.costs if c.reasks > 0]

    def per_letter(self, attr: str) -> float | None:
        """Mean of a cost attribute per letter, over letters whose cost is known."""
        known = [getattr(c, attr) for c in self.costs if c.cost_known]
        return sum(known) / len(known) if known else None

    def summary(self) -> dict[str, Any]:
        """Costs and counts per run, for results.json and the report."""
        return {
            "letters": len(self.costs),
            "failed": len(self.failed),
            "reasked": len(self.reasked),
            "cost_unknown": sum(not c.cost_known for c in self.costs),
            "cache_hits": sum(c.cache_hit for c in self.costs),
            "seconds_per_letter": self.per_letter("seconds"),
            "prompt_tokens_per_letter": self.per_letter("prompt_tokens"),
            "completion_tokens_per_letter": self.per_letter("completion_tokens"),
            "model_calls_per_letter": self.per_letter("model_calls"),
            "reasks_per_letter": self.per_letter("reasks"),
            "mean_field_accuracy": self.mean_field_accuracy(),
            "diagnoses_f1": self.score.diagnoses_f1,
            # Letters the rules answered fully: no model call was needed (cost known only).
            "no_call_share": self.no_call_share(),
        }

    def no_call_share(self) -> float | None:
        """Share of letters (cost known) that needed no model call."""
        known = [c for c in self.costs if c.cost_known and c.failed is None]
        return sum(c.model_calls == 0 for c in known) / len(known) if known else None

    def split(self, name: str) -> RunResult:
        """This run restricted to the letters of one fixture split (``dev``, ``test``)."""
        names = set(self.splits.get(name, ()))
        return RunResult(self.spec, Score([s for s in self.score.letters if s.name in names]),
                         [c for c in self.costs if c.name in names], self.settings, self.fields)


@dataclass(frozen=True)
class FieldChange:
    """One figure of a run beside the same figure of its baseline run."""

    run: str
    field: str
    baseline_run: str
    baseline: dict[str, Any]  # FieldScore.as_dict() of the baseline
    current: dict[str, Any]

    @property
    def worse(self) -> bool:
        """Lower than the baseline's point estimate."""
        return self.current["accuracy"] < self.baseline["accuracy"]

    @property
    def regression(self) -> bool:
        """Below the baseline's 95% interval: a drop that chance alone rarely explains."""
        return self.current["accuracy"] < self.baseline["low"]


@dataclass
class Evaluation:
    """Every run over one fixture set, the majority baseline and, if asked, the comparison."""

    runs: list[RunResult]
    majority: MajorityBaseline
    fixtures: str
    letters: list[str]
    labelled_items: int
    labels: dict[str, IMRRecord] = field(default_factory=dict, repr=False)
    created: str = ""
    seconds: float = 0.0
    read_seconds: float = 0.0
    version: str = __version__
    baseline: str | None = None
    changes: list[FieldChange] = field(default_factory=list)
    #: Letters of a held-out split whose wrong answers are counted but not listed.
    withheld: frozenset[str] = frozenset()

    def run(self, name: str) -> RunResult:
        """The run called ``name``; KeyError if there is none."""
        for r in self.runs:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def regressions(self) -> list[FieldChange]:
        """Figures that dropped below their baseline's interval."""
        return [c for c in self.changes if c.regression]

    def to_dict(self) -> dict[str, Any]:
        """Everything in results.json: settings, version, per-run figures and per-letter scores."""
        return self.to_results().model_dump()

    def to_results(self) -> Results:
        """results.json as its typed model (:mod:`.results`)."""
        return Results.model_validate({
            "project": "llm-extract",
            "version": self.version,
            "created": self.created,
            "python": platform.python_version(),
            "fixtures": self.fixtures,
            "letters": self.letters,
            "labelled_items": self.labelled_items,
            "seconds": round(self.seconds, 3),
            "read_seconds": round(self.read_seconds, 3),
            "majority_baseline": {
                "method": "majority answer over all labels, scored on the same labels (not leave-one-out)",
                "answers": self.majority.answers,
                "fields": {k: v.as_dict() for k, v in self.majority.fields.items()},
                "Upheld recall": self.majority.upheld_recall.as_dict(),
                "Overturned recall": self.majority.overturned_recall.as_dict(),
            },
            "held_out_splits": list(HELD_OUT_SPLITS),
            "withheld_letters": sorted(self.withheld),
            "runs": [_run_dict(r, self.withheld) for r in self.runs],
            "baseline": self.baseline,
            "changes": [
                {"run": c.run, "field": c.field, "baseline_run": c.baseline_run, "baseline": c.baseline,
                 "current": c.current, "worse": c.worse, "regression": c.regression}
                for c in self.changes
            ],
        })


def _run_dict(run: RunResult, withheld: frozenset[str] = frozenset()) -> RunEntry:
    costs = {c.name: c for c in run.costs}
    return RunEntry.model_validate({
        "name": run.name,
        "prompt": run.spec.prompt,
        "model": run.spec.model,
        "settings": run.settings,
        "fields_scored": list(run.fields),
        "summary": run.summary(),
        "metrics": {k: v.as_dict() for k, v in run.metrics().items()},
        "category_confusion": run.score.category_confusion(),
        "confidence": confidence_dict(run.score.values),
        "splits": {
            name: {"summary": sub.summary(), "metrics": {k: v.as_dict() for k, v in sub.metrics().items()},
                   "confidence": confidence_dict(sub.score.values)}
            for name in run.splits
            for sub in [run.split(name)]
        },
        "letters": [
            LetterResult.model_validate({
                "name": ls.name,
                "failed": ls.failed,
                "all_right": ls.all_right,
                "fields": ls.fields,
                "matched_items": ls.matched_items,
                "predicted_items": ls.predicted_items,
                "labelled_items": ls.labelled_items,
                "upheld": [ls.upheld_found, ls.upheld_labelled],
                "overturned": [ls.overturned_found, ls.overturned_labelled],
                # A held-out letter's wrong answers are counted, not shown (module docstring).
                "errors": [] if ls.name in withheld else ls.errors,
                **({"errors_withheld": len(ls.errors)} if ls.name in withheld else {}),
                "cost": costs[ls.name],
            })
            for ls in run.score.letters
        ],
    })


def _ledger_key(settings: Settings, endpoint: str, prompt_ref: str, text_sha256: str) -> str:
    from ..model.cache import question_key

    # The answer cache's own key with a part name no question uses, so the ledger entry
    # lives and dies with the answers it describes.
    return question_key(settings, endpoint=endpoint, prompt=prompt_ref, text_sha256=text_sha256,
                        part="eval-ledger")


def remember_cost(settings: Settings, prompt_ref: str, text_sha256: str, cost: Cost | dict[str, Any],
                  failure: ExtractionError | InputError | None = None) -> None:
    """Keep what one letter's answer cost (or how it failed) beside the cached answers.

    :func:`evaluate` does this itself; a benchmark that fills the cache by calling
    :func:`~llm_extract.extract` calls it so that a later evaluation reports the measured
    cost instead of "cost unknown". ``prompt_ref`` must be the reference the evaluation
    will name (``imr-hybrid@2``).
    """
    from ..pipeline import answer_cache, model_client

    key = _ledger_key(settings, model_client(settings).endpoint, prompt_ref, text_sha256)
    spent = cost if isinstance(cost, Cost) else Cost.model_validate(cost)
    if failure is None:
        entry = LedgerEntry(kind="cost", cost=spent)
    else:
        entry = LedgerEntry(kind="failure", cost=spent, error=failure.message, error_type=type(failure).__name__)
    answer_cache(settings.cache_dir).put(key, entry.stored(), {})


def _ledger_entry(stored: Any) -> LedgerEntry | None:
    """A ledger entry read from the cache; None when there is none (or it is not one)."""
    try:
        return LedgerEntry.model_validate(stored) if stored else None
    except ValueError:
        return None  # not written by remember_cost: the letter is asked again


def _run_settings(settings: Settings) -> dict[str, Any]:
    keep = ("model", "base_url", "temperature", "seed", "n_ctx", "max_tokens", "mode", "max_reasks",
            "max_retries", "timeout", "constrain", "threads")
    return {k: getattr(settings, k) for k in keep} | {"cache_dir": os.fspath(settings.cache_dir)}


def _rules_run(fixtures: Sequence[Fixture], letters: dict[str, Any], progress: Progress | None) -> RunResult:
    from ..pipeline import extract

    spec = RunSpec()
    scores: list[LetterScore] = []
    costs: list[LetterCost] = []
    for fx in fixtures:
        try:
            rec = extract(letters[fx.name], rules_only=True)
        except LlmExtractError as exc:
            scores.append(failed_letter(fx.name, fx.label, str(exc), RULES_FIELDS))
            costs.append(LetterCost(name=fx.name, failed=str(exc), error_type=type(exc).__name__))
            if progress:
                progress(f"[{spec.name}] {fx.name}: failed: {exc}")
            continue
        scores.append(score_letter(fx.name, rec, fx.label, RULES_FIELDS))
        costs.append(LetterCost(name=fx.name, seconds=rec.provenance.seconds))
    return RunResult(spec, Score(scores), costs, {"rules_only": True},
                     tuple(f for f in ALL_FIELDS if f in RULES_FIELDS))


def _model_run(spec: RunSpec, settings: Settings, fixtures: Sequence[Fixture], letters: dict[str, Any],
               retry_failed: bool, progress: Progress | None) -> RunResult:
    from ..pipeline import answer_cache, extract, model_client

    endpoint = model_client(settings).endpoint  # does not start a local server
    ledger = answer_cache(settings.cache_dir)
    scores: list[LetterScore] = []
    costs: list[LetterCost] = []
    for n, fx in enumerate(fixtures, start=1):
        letter = letters[fx.name]
        key = _ledger_key(settings, endpoint, spec.prompt or "", letter.sha256)
        entry = _ledger_entry((ledger.get(key) or {}).get("answer"))
        if entry is not None and entry.kind == "failure" and not retry_failed:
            reason = entry.error or ""
            scores.append(failed_letter(fx.name, fx.label, reason))
            costs.append(LetterCost(name=fx.name, **entry.cost.spent(), failed=reason, error_type=entry.error_type))
            if progress:
                progress(f"[{spec.name}] {n}/{len(fixtures)} {fx.name}: failed before (recorded): {reason}")
            continue
        started = time.perf_counter()
        try:
            rec = extract(letter, prompt=spec.prompt or "", settings=settings)
        except ConfigError:
            raise  # the run cannot work at all (unknown model, missing extra): stop, say why
        except LlmExtractError as exc:
            spent = exc.cost if isinstance(exc, ExtractionError) else Cost()
            cost = spent.model_copy(update={"seconds": time.perf_counter() - started})
            reason = exc.message
            if isinstance(exc, (ExtractionError, InputError)):
                # Deterministic for this prompt, model and letter: remember it.
                remember_cost(settings, spec.prompt or "", letter.sha256, cost, failure=exc)
            scores.append(failed_letter(fx.name, fx.label, reason))
            costs.append(LetterCost(name=fx.name, **cost.spent(), failed=reason, error_type=type(exc).__name__))
            if progress:
                progress(f"[{spec.name}] {n}/{len(fixtures)} {fx.name}: failed: {reason}")
            continue
        prov = rec.provenance
        measured = Cost.measured(prov)
        if prov.cache_hit:
            if entry is not None and entry.kind == "cost":
                cost = LetterCost(name=fx.name, **entry.cost.spent(), cache_hit=True)
            else:
                cost = LetterCost(name=fx.name, **measured.spent(), cache_hit=True, cost_known=False)
        else:
            remember_cost(settings, spec.prompt or "", letter.sha256, measured)
            cost = LetterCost(name=fx.name, **measured.spent())
        scores.append(score_letter(fx.name, rec, fx.label))
        costs.append(cost)
        if progress:
            how = "cache" if prov.cache_hit else f"{prov.seconds:.1f}s, {prov.model_calls} call(s)"
            progress(f"[{spec.name}] {n}/{len(fixtures)} {fx.name}: {how}")
    return RunResult(spec, Score(scores), costs, _run_settings(settings) | {"prompt": spec.prompt})


def _specs(models: Sequence[str], prompts: Sequence[str]) -> list[RunSpec]:
    from ..model.prompts import load_prompt

    refs = []
    for p in prompts:
        ref = load_prompt(p).ref  # "imr-hybrid" means its latest version; name the run by it
        if ref not in refs:
            refs.append(ref)
    return [RunSpec(ref, m) for ref in refs for m in dict.fromkeys(models)]


def evaluate(
    fixtures: str | os.PathLike[str] | None = None,
    *,
    models: Sequence[str] = (),
    prompts: Sequence[str] = (),
    rules_only: bool = False,
    baseline: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    retry_failed: bool = False,
    limit: int | None = None,
    progress: Progress | None = None,
    show_test: bool = False,
) -> Evaluation:
    """Score the fixtures in ``fixtures`` under every ``prompts`` × ``models`` run, plus rules-only.

    ``rules_only=True`` runs the rules-only pass alone (``models`` and ``prompts`` must then
    be empty). Otherwise ``prompts`` defaults to ``["imr-hybrid"]`` and ``models`` to the
    settings' model (the embedded default). ``limit`` keeps the first ``limit`` fixtures
    by name, for a quick comparison on a slow model. ``settings`` (a
    :class:`~llm_extract.model.settings.Settings`) or ``base_url``/``api_key``/``cache_dir`` say
    how to reach the models; each run uses them with its own model name.

    ``baseline`` is a previous results.json (or the folder holding one), whose runs are
    matched to these by name, or the name of one of these runs, which every other run is
    compared with; see :func:`compare`. ``progress`` receives one line per letter.
    ``show_test=True`` lists the held-out split's wrong answers too (see the module docstring).

    Raises :class:`~llm_extract.errors.ConfigError` for a bad fixture set, an unknown prompt
    or model, or an unknown baseline. A letter that fails is scored as failed, never dropped.
    """
    started = time.perf_counter()
    if rules_only and (models or prompts):
        raise ConfigError("rules_only runs the deterministic pass alone; drop the models and prompts")
    root = Path(fixtures) if fixtures is not None else DEFAULT_FIXTURES
    fxs = _select_fixtures(load_fixtures(root), limit)

    specs: list[RunSpec] = []
    base_settings = None
    if not rules_only:
        from ..model.settings import Settings

        base_settings = settings or Settings.resolve(base_url=base_url, api_key=api_key, cache_dir=cache_dir)
        specs = _specs(list(models) or [base_settings.model], list(prompts) or ["imr-hybrid"])

    t_read = time.perf_counter()
    letters = _read_letters(fxs, root)
    read_seconds = time.perf_counter() - t_read

    runs = [_rules_run(fxs, letters, progress)]
    for spec in specs:
        assert base_settings is not None
        run_settings = base_settings.replace(model=spec.model)
        runs.append(_model_run(spec, run_settings, fxs, letters, retry_failed, progress))

    ev = _evaluation(fxs, runs, root, read_seconds)
    if not show_test:
        ev.withheld = frozenset(fx.name for fx in fxs if fx.split in HELD_OUT_SPLITS)
    if baseline is not None:
        ev.baseline, ev.changes = compare(ev, baseline)
    ev.seconds = time.perf_counter() - started
    return ev


#: Fixture splits kept unread: where a change is judged, never what a rule is written from.
HELD_OUT_SPLITS = ("test",)


def _select_fixtures(fxs: list[Fixture], limit: int | None) -> list[Fixture]:
    """The fixtures to score: all, or the first ``limit`` of each split."""
    if limit is None:
        return fxs
    if limit < 1:
        raise ConfigError(f"limit must be at least 1, not {limit}")
    # The first ``limit`` of each split, so a quick run still shows dev beside test.
    return [fx for fx in fxs if [f.name for f in fxs if f.split == fx.split].index(fx.name) < limit]


def _read_letters(fxs: list[Fixture], root: Path) -> dict[str, Any]:
    """Every fixture's letter, read once for all runs; an unreadable one is a broken fixture set."""
    from ..pipeline import load

    letters: dict[str, Any] = {}
    unreadable: dict[str, LlmExtractError] = {}
    for fx in fxs:
        try:
            letters[fx.name] = load(fx.letter)
        except LlmExtractError as exc:
            unreadable[fx.name] = exc
    if unreadable:
        # A fixture letter that cannot be read is a broken fixture set, not a model failure.
        name, first = next(iter(unreadable.items()))
        raise ConfigError(f"fixture letter {name!r} cannot be read: {first}", source=str(root))
    return letters


def _evaluation(fxs: list[Fixture], runs: list[RunResult], root: Path, read_seconds: float) -> Evaluation:
    """The evaluation of ``runs`` over ``fxs``, with the majority-answer baseline beside them."""
    splits: dict[str, list[str]] = {}
    for fx in fxs:
        splits.setdefault(fx.split, []).append(fx.name)
    for run in runs:
        run.splits = splits
    return Evaluation(
        runs=runs,
        majority=majority_baseline([fx.label for fx in fxs]),
        fixtures=_shown_path(root),
        letters=[fx.name for fx in fxs],
        labelled_items=sum(len(fx.label.items) for fx in fxs),
        labels={fx.name: fx.label for fx in fxs},
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        read_seconds=read_seconds,
    )


def _shown_path(path: Path) -> str:
    # Relative to the working directory when inside it, so a committed report names no home.
    try:
        return os.fspath(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.fspath(path)


def load_results(path: str | os.PathLike[str]) -> Results:
    """A results.json written by a previous evaluation (``path`` may be its folder), validated.

    Older files load too (see :mod:`.results` for the parts they lack). Raises
    :class:`~llm_extract.errors.ConfigError` for a file that is not JSON or not a results.json.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read baseline results: {exc}", source=str(p)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise ConfigError("not an llm-extract results.json (no runs)", source=str(p))
    try:
        return Results.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError; its text names the field, not the letter
        raise ConfigError(f"not a valid llm-extract results.json: {exc}", source=str(p)) from exc


def compare(ev: Evaluation, baseline: str | os.PathLike[str]) -> tuple[str, list[FieldChange]]:
    """Compare ``ev``'s runs with a baseline; returns the baseline's description and the changes.

    A path to a results.json (or its folder) matches runs by name; when both sides hold one
    model run each, those two are compared whatever their names. Otherwise ``baseline``
    names a run of ``ev`` and every other run is compared with it. Only figures present on
    both sides are compared.
    """
    text = os.fspath(baseline)
    as_path = Path(text)
    if as_path.is_file() or (as_path.is_dir() and (as_path / "results.json").is_file()):
        data = load_results(as_path)
        base_runs = {r.name: r.metrics for r in data.runs}
        pairs: list[tuple[RunResult, str, dict[str, Any]]] = []
        for run in ev.runs:
            if run.name in base_runs:
                pairs.append((run, run.name, base_runs[run.name]))
        model_runs = [r for r in ev.runs if not r.spec.rules_only]
        base_model = [n for n in base_runs if n != RULES_ONLY]
        if len(model_runs) == 1 and len(base_model) == 1 and model_runs[0].name != base_model[0]:
            pairs.append((model_runs[0], base_model[0], base_runs[base_model[0]]))
        if not pairs:
            raise ConfigError(f"no run here matches a run of the baseline ({', '.join(base_runs)})", source=text)
        label = f"{text}"
    else:
        try:
            ref = ev.run(text)
        except KeyError:
            names = ", ".join(r.name for r in ev.runs)
            raise ConfigError(f"baseline {text!r} is neither a results.json nor a run here ({names})") from None
        ref_metrics = {k: v.as_dict() for k, v in ref.metrics().items()}
        pairs = [(run, ref.name, ref_metrics) for run in ev.runs if run is not ref]
        label = f"run {text}"
    changes = []
    for run, base_name, base_metrics in pairs:
        for name, fs in run.metrics().items():
            base = base_metrics.get(name)
            if not base or base.get("accuracy") is None or fs.accuracy is None:
                continue
            changes.append(FieldChange(run.name, name, base_name, base, fs.as_dict()))
    return label, changes
