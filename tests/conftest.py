"""Shared test configuration.

Model traffic: tests replay vcrpy cassettes (pytest-recording) from
``tests/cassettes/<module>/<test>.yaml``; ``record_mode`` is ``none`` by default, so a
request that no cassette holds fails the test instead of reaching a model, and tests marked
``block_network`` cannot open sockets at all. Cassettes were recorded against the embedded
Qwen2.5-Coder-1.5B server; to re-record one, start the server on the recording URL and run
``pytest --record-mode=once tests/test_model_pass.py -k NAME`` after deleting its yaml.

Live tests (``@pytest.mark.live``) run the real embedded model and are skipped unless
``--live`` is given or ``LLM_EXTRACT_LIVE=1`` is set.
"""

from __future__ import annotations

import os

import pytest

#: Where cassettes were recorded; requests are matched on method, path and body, not host.
RECORD_URL = os.environ.get("LLM_EXTRACT_RECORD_URL", "http://127.0.0.1:8765/v1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", default=False,
                     help="run tests marked live against the real embedded model")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live") or os.environ.get("LLM_EXTRACT_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="live model test: pass --live or set LLM_EXTRACT_LIVE=1")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization"):
            headers.pop(name)
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return {
        # Keys never reach a cassette.
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization", "cookie"],
        "before_record_response": _scrub_response,
        # The recording server's port is not part of a request's identity.
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }
