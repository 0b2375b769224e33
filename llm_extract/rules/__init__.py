"""Stage 2, the deterministic pass: regular expressions over the letter's fixed layout.

``layout`` finds the sections and reads the header, credentials and case summary; ``items``
reads each disputed item; ``lexicon`` classifies a request by its own words and
``guideline_topics`` by the guideline topic its reviewer applied (``drugs``: the drug
dictionary); ``treatment`` names each treatment and ``clauses`` cuts what follows a name and
is not part of it; ``diagnoses`` reads the summary's diagnosis statements; ``dates`` is the
one date parser; ``vocab`` holds the words and patterns the stages share, and
``vocabularies`` loads and validates the word lists in ``vocab/*.toml``. ``neighbours``
answers from the nearest labelled request wordings; ``placing`` combines every source of an
item's category and drug class; ``treatment_doubt`` and ``confidence`` score each value and
list the ones that need review; ``rules_pass`` runs them all.
"""

from .rules_pass import Alternative, RulesResult, extract_rules, read_rules

__all__ = ["extract_rules", "read_rules", "RulesResult", "Alternative"]
