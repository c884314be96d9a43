"""Schemathesis fuzzing of the OpenAPI schema: whatever a caller sends, no 5xx and every
error a problem+json (SEC-2, SEC-3), on SQLite and PostgreSQL.

The examples are derandomised so a run is reproducible; set CLEARSIGHT_FUZZ_EXAMPLES
(default 12 per operation) higher for a deeper search.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.api.conftest import PURPOSE, Api


def test_no_request_makes_the_server_fail(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    headers = api.headers("secret", PURPOSE)

    for operation in operations:

        @given(case=operation.as_strategy(), keep_purpose=st.booleans())
        @settings(max_examples=int(os.environ.get("CLEARSIGHT_FUZZ_EXAMPLES", "12")), deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def run(case: schemathesis.Case, keep_purpose: bool) -> None:
            # half the cases keep the generated purpose header, to fuzz its parsing too
            sent = {k: v for k, v in headers.items() if not (keep_purpose and k.startswith("X-"))}
            response = case.call_and_validate(headers=sent, checks=[not_a_server_error])
            if response.status_code >= 400:
                (content_type,) = response.headers["content-type"]
                assert content_type.startswith("application/problem+json"), (case.path, response.status_code)

        run()
