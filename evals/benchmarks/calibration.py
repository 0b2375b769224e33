"""How the confidence scores sort right from wrong values on the dev split: the evidence the
review threshold and the per-source scores were set from.

Runs the evaluation on the dev fixtures only (the held-out test split is not read), rules
only or with a prompt × model whose answers are in the cache, and prints per field and
source, and per reason code, how many values were right, the mean score given, then a
risk–coverage table over the item values (treatment, category, drug class).

    python evals/benchmarks/calibration.py [--prompt imr-hybrid --model qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from llm_extract.evaluation import evaluate
from llm_extract.evaluation.calibration import ITEM_VALUES, at_threshold, risk_coverage
from llm_extract.rules.confidence import REVIEW_THRESHOLD

DEV = Path(__file__).resolve().parents[1] / "fixtures" / "dev"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", action="append", default=[])
    parser.add_argument("--model", action="append", default=[])
    args = parser.parse_args()
    ev = evaluate(DEV, prompts=args.prompt, models=args.model, rules_only=not args.prompt)
    for run in ev.runs:
        values = run.score.values
        print(f"== {run.name} (dev, {len(values)} values)")
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for v in values:
            groups[(v.field, v.source)].append(v)
            for r in v.reasons:
                groups[(v.field, "reason:" + r)].append(v)
        print(f"{'field':<12}{'source / reason':<28}{'n':>6}{'right':>8}{'mean score':>12}")
        for (f, src), vs in sorted(groups.items()):
            right = sum(v.ok for v in vs)
            print(f"{f:<12}{src:<28}{len(vs):>6}{right / len(vs):>8.1%}{sum(v.score for v in vs) / len(vs):>12.3f}")
        items = [v for v in values if v.field in ITEM_VALUES]
        print(f"\n{'threshold':>10}{'flagged':>10}{'wrong caught':>16}{'kept right':>12}")
        for fl in risk_coverage(items):
            if fl.flagged_share and fl.flagged_share > 0.3:
                break
            mark = "  <- review threshold" if abs(fl.threshold - REVIEW_THRESHOLD) < 1e-9 else ""
            print(f"{fl.threshold:>10.3f}{fl.flagged_share:>10.1%}{fl.wrong_flagged:>8}/{fl.wrong:<7}"
                  f"{fl.kept_accuracy or 0:>12.2%}{mark}")
        chosen = at_threshold(items, REVIEW_THRESHOLD)
        print(f"at the review threshold {REVIEW_THRESHOLD:g}: {chosen.flagged_share:.1%} flagged, "
              f"{chosen.wrong_flagged}/{chosen.wrong} wrong caught")
        # The rule the shipped thresholds follow: the highest two-decimal threshold within budget.
        for kind, vs, budget in (("item values", items, 0.09),
                                 ("diagnoses", [v for v in values if v.field == "diagnosis"], 0.10)):
            best = max((t / 100 for t in range(50, 100)
                        if (at_threshold(vs, t / 100).flagged_share or 0) <= budget), default=None)
            if best is not None:
                fl = at_threshold(vs, best)
                print(f"highest threshold flagging at most {budget:.0%} of {kind}: {best:.2f} "
                      f"({fl.flagged_share:.1%} flagged, {fl.wrong_flagged}/{fl.wrong} wrong caught)")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
