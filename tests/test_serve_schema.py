"""Property-based run of the service against its own OpenAPI document (rules-only, no model).

Schemathesis generates valid and invalid requests for every operation; every answer must
be a documented status with a documented content type and a body matching its schema, and
never a server error.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402 - only once the serve extra and schemathesis are known
from schemathesis.checks import (  # noqa: E402 - only once the serve extra and schemathesis are known
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from llm_extract.serve import ServeConfig, create_app  # noqa: E402 - only once the serve extra and schemathesis are known

_tmp = Path(tempfile.mkdtemp(prefix="llm-extract-schema-"))
(_tmp / "root").mkdir()
app = create_app(ServeConfig(rules_only=True, data_dir=_tmp / "data", fixtures_dir=_tmp / "fixtures",
                             batch_root=_tmp / "root", max_upload_bytes=256 * 1024))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)
