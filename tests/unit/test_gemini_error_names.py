"""Gemini error bodies speak Google's names (`google.rpc.Code`, `google.api.ErrorReason`).

Some are spelt like our ErrorReason values (INTERNAL, API_KEY_INVALID) and mean something
else, so the Gemini backend reads them from Google's enums; these tests pin what each of
Google's names it acts on turns into.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from modelgate.providers.gemini.errors import classify_status
from modelgate.v1.errors_pb2 import ErrorReason

R = ErrorReason


def _body(status: str, code: int | None = None, reason: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"status": status, "message": "from Google"}
    if code is not None:
        error["code"] = code
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "http_status", "reason"),
    [
        ("UNAVAILABLE", "503", R.ERROR_REASON_UPSTREAM_OVERLOADED),
        ("INTERNAL", "500", R.ERROR_REASON_UPSTREAM_UNAVAILABLE),
        ("RESOURCE_EXHAUSTED", "429", R.ERROR_REASON_RATE_LIMITED),
        ("INVALID_ARGUMENT", "400", R.ERROR_REASON_UPSTREAM_BAD_REQUEST),
    ],
)
def test_a_mid_stream_error_without_a_code_is_classified_by_its_status_name(
    status: str, http_status: str, reason: int
) -> None:
    failure = classify_status("gemini", None, _body(status))
    assert (failure.metadata["http_status"], failure.reason) == (http_status, reason)
    assert failure.metadata["upstream_status"] == status


@pytest.mark.parametrize(
    "key_reason",
    ["API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED"],
)
def test_googles_key_reasons_blame_the_operators_key(key_reason: str) -> None:
    failure = classify_status("gemini", 400, _body("INVALID_ARGUMENT", 400, key_reason))
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        R.ERROR_REASON_UPSTREAM_AUTH_FAILED,
    )
    assert failure.metadata["upstream_reason"] == key_reason


def test_a_failed_precondition_status_is_the_operators_account() -> None:
    failure = classify_status("gemini", 400, _body("FAILED_PRECONDITION", 400))
    assert failure.reason == R.ERROR_REASON_UPSTREAM_AUTH_FAILED


def test_another_reason_on_a_400_stays_the_callers_bad_request() -> None:
    failure = classify_status("gemini", 400, _body("INVALID_ARGUMENT", 400, "RATE_LIMIT_EXCEEDED"))
    assert failure.reason == R.ERROR_REASON_UPSTREAM_BAD_REQUEST
