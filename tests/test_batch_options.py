"""The batch's one options object and the one suffix table."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import llm_extract
from llm_extract.batch.inputs import Shard
from llm_extract.batch.options import Backoff, BatchOptions
from llm_extract.errors import ConfigError
from llm_extract.reading import SUFFIXES
from llm_extract.serve.jobs import LETTER_SUFFIXES
from llm_extract.serve.view import render_page


def test_async_batch_takes_the_same_keywords_as_the_batch() -> None:
    sync, aio = inspect.signature(llm_extract.extract_batch), inspect.signature(llm_extract.aextract_batch)
    assert list(aio.parameters) == list(sync.parameters)
    assert [p.default for p in aio.parameters.values()] == [p.default for p in sync.parameters.values()]
    assert {"out_dir", "concurrency", "shard", "backoff", "stop_after_failures"} <= set(sync.parameters)


def test_options_are_checked_and_normalised_once() -> None:
    opts = BatchOptions(shard="2/3", backoff=(0.5, 4.0), formats=["jsonl"])
    assert isinstance(opts.shard, Shard) and isinstance(opts.backoff, Backoff)
    assert (opts.backoff.low, opts.backoff.high, opts.formats) == (0.5, 4.0, ("jsonl",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.concurrency = 4  # type: ignore[misc]  # frozen on purpose: the test checks it refuses
    with pytest.raises(ConfigError, match="concurrency"):
        BatchOptions(concurrency=0)
    with pytest.raises(ConfigError, match="extract_fn replaces extract"):
        BatchOptions(extract_fn=lambda letter: None, extract_kwargs={"model": "x"})  # type: ignore[arg-type,return-value]  # never called
    with pytest.raises(ConfigError):
        BatchOptions(formats=["xlsx"])


def test_extract_batch_still_rejects_what_it_rejected() -> None:
    with pytest.raises(ConfigError, match="concurrency"):
        llm_extract.extract_batch([], concurrency=0)
    with pytest.raises(ConfigError, match="does not take"):
        llm_extract.extract_batch([], no_such_option=1)


def test_every_suffix_list_is_the_reading_table() -> None:
    assert set(LETTER_SUFFIXES) == set(SUFFIXES)
    assert f'accept="{",".join(SUFFIXES)}"' in render_page(mode="server")
