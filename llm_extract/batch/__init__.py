"""Batch jobs: many letters, resumable output folders, tables, statistics and shards."""

from .runner import BatchResult, aextract_batch, extract_batch

__all__ = ["BatchResult", "aextract_batch", "extract_batch"]
