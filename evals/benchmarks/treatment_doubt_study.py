"""Which doubt signals separate right treatment names from wrong ones, and the fit of their weights.

For every request in ``evals/wordings/*.json`` and every dev fixture item, the rules name the
treatment (``treatment_name`` over the rules' category) and the name is scored against the
label leniently, as ``score_wordings.py`` does. Each name's signals
(:func:`llm_extract.rules.treatment_doubt.treatment_signals`) are computed against a
vocabulary that never holds its own labels: leave-one-set-out for the wordings (the other
sets plus the dev labels), leave-one-letter-out for dev items (all wordings plus the other
letters). The logistic weights are judged the same way: for a wordings set, fitted on the
other sets and the dev items; for dev items, fitted on the wordings alone. The weights
printed last, fitted on everything, are the ones stored in ``treatment_doubt.WEIGHTS``.

Prints, per signal and for the combined confidence, how many names are flagged and how
many wrong names are caught (a risk-coverage table: threshold, share flagged, share of the
wrong ones caught, accuracy of those kept). Reads nothing from the test split.

    PYTHONPATH=. python evals/benchmarks/treatment_doubt_study.py [--show]   # from the repository root
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from llm_extract.rules import treatment_doubt as td
from llm_extract.rules.guideline_topics import place
from llm_extract.rules.lexicon import classify
from llm_extract.rules.treatment import treatment_name

EVALS = Path(__file__).resolve().parents[1]
WORDINGS = EVALS / "wordings"
DEV_LABELS = EVALS / "fixtures" / "dev" / "labels"
THRESHOLDS = (0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98)
#: L2 penalty of the plain logistic regression shown for comparison.
RIDGE = 1.0
#: Pseudo-count of the likelihood ratios: a signal seen on two wrong names of fifty is not
#: taken at its word (half on each side, as a Jeffreys-like prior).
SMOOTH = 4.0


@dataclass
class Row:
    group: str      # the wordings set, or "dev:<letter>"
    request: str
    name: str
    category: str | None
    right: bool
    signals: dict[str, bool] | None = None


def _lenient(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()


def load() -> tuple[list[Row], dict[str, list[str]]]:
    """Every named request, and each group's labelled treatments (for the vocabularies)."""
    rows: list[Row] = []
    labels: dict[str, list[str]] = {}
    for path in sorted(WORDINGS.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            kind = classify(item["request"])
            cat = kind.category.value if kind else None
            name = treatment_name(item["request"], cat)
            rows.append(Row(path.stem, item["request"], name, cat, _lenient(name) == _lenient(item["treatment"])))
            labels.setdefault(path.stem, []).append(item["treatment"])
    for path in sorted(DEV_LABELS.glob("*.json")):
        group = f"dev:{path.stem}"
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            kind = place(item["request"], item.get("maximus_guideline"))
            cat = kind.category.value if kind else None
            name = treatment_name(item["request"], cat)
            rows.append(Row(group, item["request"], name, cat, _lenient(name) == _lenient(item["treatment"])))
            labels.setdefault(group, []).append(item["treatment"])
    return rows, labels


def add_signals(rows: list[Row], labels: dict[str, list[str]]) -> None:
    """Each row's signals against a vocabulary without its own group's labels."""
    vocab = {g: td.known_words_from(t for other, names in labels.items() if other != g for t in names)
             for g in labels}
    for row in rows:
        row.signals = td.treatment_signals(row.request, row.name, row.category, known_words=vocab[row.group])


def fit(x: np.ndarray, wrong: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Ridge logistic regression of P(wrong) by Newton's method; the intercept is not penalised."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * ridge
    penalty[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        grad = design.T @ (p - wrong) + penalty @ beta
        hess = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


@dataclass
class Model:
    """The stored form: a weight per signal, summed over those that fire, then
    P(right) = sigmoid(intercept - slope * sum)."""

    weights: np.ndarray
    intercept: float
    slope: float

    def confidence(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.intercept - self.slope * (x @ self.weights))))


def fit_model(x: np.ndarray, wrong: np.ndarray) -> Model:
    """Each signal's smoothed log likelihood ratio (wrong vs right names where it fires), never below 0,
    then a two-number logistic (Platt) scaling of their sum so the result is a probability.

    A plain logistic regression over the signals was tried and did worse out of set (see main):
    with some fifty wrong names it gives signals negative weights that do not carry to a new
    set of wordings; summing only the evidence against a name, as naive Bayes does, carries.
    """
    bad, good = wrong.astype(bool), ~wrong.astype(bool)
    p_bad = (x[bad].sum(0) + SMOOTH / 2) / (bad.sum() + SMOOTH)
    p_good = (x[good].sum(0) + SMOOTH / 2) / (good.sum() + SMOOTH)
    weights = np.maximum(0.0, np.log(p_bad / p_good))
    platt = fit(x @ weights[:, None], wrong, ridge=0.0)
    return Model(weights, -platt[0], platt[1])


def matrix(rows: list[Row], names: list[str]) -> np.ndarray:
    return np.array([[float(r.signals[n]) for n in names] for r in rows])  # type: ignore[index]  # signals is set on every row by then


def out_of_group(rows: list[Row], names: list[str], plain: bool = False) -> np.ndarray:
    """Each row's confidence from a model fitted without its group: a wordings set's from the
    other sets and the dev items, the dev items' from the wordings alone."""
    conf = np.zeros(len(rows))
    x = matrix(rows, names)
    wrong = np.array([not r.right for r in rows], dtype=float)
    is_dev = np.array([r.group.startswith("dev:") for r in rows])
    for group in sorted({r.group for r in rows if not r.group.startswith("dev:")}) + ["dev"]:
        held = is_dev if group == "dev" else np.array([r.group == group for r in rows])
        train = ~is_dev if group == "dev" else ~held
        if plain:
            beta = fit(x[train], wrong[train])
            conf[held] = 1.0 - 1.0 / (1.0 + np.exp(-(beta[0] + x[held] @ beta[1:])))
        else:
            conf[held] = fit_model(x[train], wrong[train]).confidence(x[held])
    return conf


def table(title: str, flagged_by: dict[str, np.ndarray], wrong: np.ndarray) -> None:
    n, bad = len(wrong), int(wrong.sum())
    print(f"\n{title}: {n} names, {bad} wrong ({1 - bad / n:.1%} right)")
    print(f"  {'flag':<26}{'flagged':>9}{'share':>8}{'wrong caught':>14}{'kept acc.':>11}")
    for label, flags in flagged_by.items():
        caught = int((flags & wrong).sum())
        kept = ~flags
        acc = 1 - (wrong & kept).sum() / max(1, kept.sum())
        print(f"  {label:<26}{int(flags.sum()):>9}{flags.mean():>8.1%}"
              f"{f'{caught}/{bad}':>9}{caught / max(1, bad):>5.0%}{acc:>11.1%}")


def calibration(conf: np.ndarray, right: np.ndarray) -> None:
    print("  calibration (out-of-group): bin, names, mean confidence, share right")
    edges = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 1.0001]
    for lo, hi in pairwise(edges):
        sel = (conf >= lo) & (conf < hi)
        if sel.any():
            print(f"    [{lo:.2f}, {min(hi, 1):.2f})  {int(sel.sum()):>5}"
                  f"  {conf[sel].mean():.3f}  {right[sel].mean():.3f}")
    loss = -np.mean(np.log(np.clip(np.where(right, conf, 1 - conf), 1e-9, 1)))
    print(f"    log loss {loss:.4f}; Brier {np.mean((conf - right) ** 2):.4f}; "
          f"constant-rate log loss {-np.mean(np.log(np.where(right, right.mean(), 1 - right.mean()))):.4f}")


def pick_threshold(conf: np.ndarray, budget: float = 0.10) -> float:
    """The highest two-decimal threshold that flags at most ``budget`` of the names."""
    for t in np.arange(0.99, 0.0, -0.01):
        if (conf < t).mean() <= budget:
            return round(float(t), 2)
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list each wrong name and the signals on it")
    args = parser.parse_args()
    rows, labels = load()
    add_signals(rows, labels)
    names = list(rows[0].signals)  # type: ignore[arg-type]  # signals is set on every row by then
    conf = out_of_group(rows, names)
    plain = out_of_group(rows, names, plain=True)
    is_dev = np.array([r.group.startswith("dev:") for r in rows])
    chosen = pick_threshold(conf)
    print(f"threshold flagging at most 10% of all names (wordings and dev) out of group: {chosen} "
          f"(stored DEFAULT_THRESHOLD: {td.DEFAULT_THRESHOLD})")
    for part, sel in (("wordings, leave-one-set-out", ~is_dev),
                      ("dev items, leave-one-letter-out vocabulary, model fitted on the wordings", is_dev)):
        sub = [r for r, s in zip(rows, sel, strict=True) if s]
        wrong = np.array([not r.right for r in sub])
        flags = {f"signal {n}": np.array([r.signals[n] for r in sub]) for n in names}  # type: ignore[index]  # signals is set on every row by then
        flags.update({f"confidence < {t}": conf[sel] < t for t in THRESHOLDS})
        flags[f"confidence < {td.DEFAULT_THRESHOLD} (default)"] = conf[sel] < td.DEFAULT_THRESHOLD
        flags["plain logistic, lowest 10%"] = plain[sel] < np.quantile(plain[sel], 0.10)
        table(part, flags, wrong)
        calibration(conf[sel], ~wrong)
        if args.show:
            for r, c in zip(sub, conf[sel], strict=True):
                if not r.right:
                    fired = [n for n in names if r.signals[n]]  # type: ignore[index]  # signals is set on every row by then
                    print(f"    {c:.2f} {r.request!r} -> {r.name!r} {fired}")
    model = fit_model(matrix(rows, names), np.array([not r.right for r in rows], dtype=float))
    print("\nmodel fitted on all wordings and dev items (signals out-of-group), for treatment_doubt:")
    print(f"INTERCEPT = {model.intercept:.3f}\nSLOPE = {model.slope:.3f}\nWEIGHTS = {{")
    for n, w in zip(names, model.weights, strict=True):
        print(f"    {n!r}: {w:.3f},")
    print("}")
    stored = np.array([td.WEIGHTS.get(n, 0.0) for n in names])
    same = (np.allclose(stored, model.weights, atol=5e-3) and abs(td.INTERCEPT - model.intercept) < 5e-3
            and abs(td.SLOPE - model.slope) < 5e-3)
    verdict = "match this fit" if same else "DIFFER from this fit: paste the above"
    print(f"stored constants in treatment_doubt.py {verdict}")
    refit = model.confidence(matrix(rows, names))
    print(f"in-sample share below {chosen}: {(refit < chosen).mean():.1%} of all names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
