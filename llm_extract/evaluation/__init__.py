"""Evaluation runs: score extraction on the hand-labelled fixtures and write the reports."""

from .report import write_report
from .runner import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate", "write_report"]
