"""Stage 2, the deterministic pass: regular expressions over the letter's fixed layout.

``layout`` finds the sections and reads the header, credentials and case summary;
``items`` reads each disputed item; ``lexicon`` classifies a request by its own words and ``guideline_topics`` by the
guideline topic its reviewer applied;
``treatment`` names each treatment, ``clauses`` cuts what follows a name and is not
part of it; ``dates`` is the one date parser; ``vocab`` holds the words and patterns the stages share.
"""

from .rules_pass import Alternative, RulesResult, extract_rules, read_rules

__all__ = ["extract_rules", "read_rules", "RulesResult", "Alternative"]
