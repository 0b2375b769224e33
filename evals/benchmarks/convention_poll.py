"""Where the schema leaves a treatment name open, what do independent readers write?

``evals/conventions/`` holds 82 request wordings chosen for the cases the schema's "Treatment
names" section does not settle ("with" add-ons, parentheses, lead-in labels, setting and
count words), and five readings of them, each by an annotator who had only the schema's item
section: no fixtures, no code, no house conventions, no other reading. This prints, per
wording, how the five readings split and what the rules give, then how often the rules
agree with a majority (three or more alike) and where a house convention (the dev labels'
reading, see ``evals/wordings/README.md``) departs from it on purpose.

    python evals/benchmarks/convention_poll.py [--all]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from llm_extract.rules.lexicon import classify
from llm_extract.rules.treatment import treatment_name

FOLDER = Path(__file__).resolve().parents[1] / "conventions"

# The house conventions that the dev labels follow and a spec-only reader may not.
HOUSE = [
    (re.compile(r"\([A-Za-z ]{2,}\)"), "a parenthesis that spells out an abbreviation goes"),
    (re.compile(r"^(?:associated surgical service:\s*)?(?:pre-?op(?:erative)?\s+)?(?:labs?|testing|medical clearance)"
                r"\s*[:-]", re.I), "a lab list's lead-in label goes"),
    (re.compile(r"^post-?op\s+[A-Z][a-z]+\s+\d", re.I), '"Post-op" before a drug goes'),
    (re.compile(r"^(?:left|right|bilateral)\s+(?:wrist\s+)?(?:brace|hearing)|^knee brace,", re.I),
     "equipment loses its side"),
    (re.compile(r"\bwith\s+(?:supplies|wrap|electrodes)\b", re.I), "equipment loses its accessories"),
    (re.compile(r"^single\s+positional", re.I), 'the dev labels keep "Single"'),
    (re.compile(r"^outpatient\s", re.I), 'the dev labels keep "Outpatient"'),
    (re.compile(r"transportation\s+to", re.I), "transportation keeps its destination (dev labels)"),
    (re.compile(r"acupuncture therapy sessions", re.I), '"therapy sessions" after acupuncture go'),
    (re.compile(r"nursing visits?\b", re.I), '"visits" after nursing go'),
]


def _lenient(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every wording, not only the disagreements")
    args = parser.parse_args()
    wordings = json.loads((FOLDER / "wordings.json").read_text(encoding="utf-8"))
    readers = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FOLDER.glob("reader-*.json"))]
    agree = house = split = 0
    for i, request in enumerate(wordings):
        votes = Counter(_lenient(reader[i]["treatment"]) for reader in readers)
        top, count = votes.most_common(1)[0]
        kind = classify(request)
        got = treatment_name(request, kind.category.value if kind else None)
        convention = next((why for pattern, why in HOUSE if pattern.search(request)), None)
        if count < 3:
            split += 1
            mark = "split"
        elif _lenient(got) == top:
            agree += 1
            mark = "agree"
        elif convention:
            house += 1
            mark = "house"
        else:
            mark = "MISS"
        if args.all or mark != "agree":
            readings = ", ".join(f"{n}x {v!r}" for v, n in votes.most_common())
            note = f"  [{convention}]" if mark == "house" else ""
            print(f"{mark:<6}{request!r}\n      rules {got!r}; readers {readings}{note}")
    majority = len(wordings) - split
    print(f"\n{len(wordings)} wordings, {len(readers)} readers; a majority on {majority}")
    print(f"rules agree with the majority: {agree}/{majority} ({agree / majority:.1%})")
    print(f"rules follow a house convention instead: {house}; other disagreements: {majority - agree - house}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
