"""Gemini failures: `google.rpc.Status` JSON bodies mapped onto the gateway's one error table.

Gemini answers errors as `{"error": {"code", "message", "status", "details": [...]}}`,
over HTTP and, after a 200, as a `data:` event of a stream. The HTTP code (or the body's
`code`, mid-stream) picks the row of `upstream_errors`' table, with two Gemini rules:

- A 400 whose ErrorInfo reason is API_KEY_INVALID (or API_KEY_SERVICE_BLOCKED...) and a
  FAILED_PRECONDITION status (billing or region not enabled) are the operator's key or
  account, not the caller's request: FAILED_PRECONDITION UPSTREAM_AUTH_FAILED.

Google's names (`google.rpc.Code`, `google.api.ErrorReason`) are read from their enums
in googleapis-common-protos: some are spelt like our ErrorReason values (INTERNAL,
API_KEY_INVALID) but mean Google's, so none is typed here as a string.
- The details are carried into our status: RetryInfo `retryDelay` ("3s", "0.5s") as our
  RetryInfo and the router's wait before a retry; QuotaFailure violations (quotaId,
  quotaMetric, quotaValue) as our QuotaFailure; ErrorInfo reason and domain as ErrorInfo
  metadata (`upstream_reason`, `upstream_domain`); the status string as `upstream_status`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from google.api.error_reason_pb2 import ErrorReason as GoogleReason
from google.rpc.code_pb2 import Code

from modelgate.errors import GatewayError, upstream_failure
from modelgate.providers.upstream_errors import classify, error_body
from modelgate.v1.errors_pb2 import ErrorReason

RPC_TYPE_PREFIX = "type.googleapis.com/google.rpc."
_DURATION = re.compile(r"^(\d+(?:\.\d*)?)s$")
_CODE_TO_HTTP = {
    Code.INVALID_ARGUMENT: 400,
    Code.FAILED_PRECONDITION: 400,
    Code.OUT_OF_RANGE: 400,
    Code.UNAUTHENTICATED: 401,
    Code.PERMISSION_DENIED: 403,
    Code.NOT_FOUND: 404,
    Code.ABORTED: 409,
    Code.ALREADY_EXISTS: 409,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.CANCELLED: 499,
    Code.INTERNAL: 500,
    Code.UNKNOWN: 500,
    Code.UNIMPLEMENTED: 501,
    Code.UNAVAILABLE: 503,
    Code.DEADLINE_EXCEEDED: 504,
}
"""google.rpc.Code values as the HTTP statuses Google maps them to (mid-stream errors
carry `code` too; the status name is the fallback)."""
_STATUS_TO_HTTP = {Code.Name(code): http for code, http in _CODE_TO_HTTP.items()}
"""The same by the name Google writes in the body's `status` (Google's names, not our
ErrorReason values, though some are spelt alike: taken from the enum, never typed)."""
_ACCOUNT_STATUS = Code.Name(Code.FAILED_PRECONDITION)
"""Billing or region not enabled for the key's project: the operator's account."""
_KEY_REASONS = frozenset(
    GoogleReason.Name(reason)
    for reason in (
        GoogleReason.API_KEY_INVALID,
        GoogleReason.API_KEY_SERVICE_BLOCKED,
        GoogleReason.API_KEY_HTTP_REFERRER_BLOCKED,
        GoogleReason.API_KEY_IP_ADDRESS_BLOCKED,
        GoogleReason.API_KEY_ANDROID_APP_BLOCKED,
        GoogleReason.API_KEY_IOS_APP_BLOCKED,
    )
)
"""google.api.ErrorReason values (ErrorInfo reasons of domain googleapis.com) that blame
our key, whatever HTTP status carries them (400 today; an expired key is API_KEY_INVALID)."""
MAX_QUOTA_VIOLATIONS = 8


def duration_seconds(value: Any) -> float | None:
    """A google.protobuf.Duration in its JSON form ("3s", "0.250s") as seconds, else None."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value.strip())
    return float(match.group(1)) if match else None


def _details(error: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The error's details by type name ("RetryInfo", "QuotaFailure", ...)."""
    found: dict[str, list[dict[str, Any]]] = {}
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and isinstance(detail.get("@type"), str):
            name = detail["@type"].removeprefix(RPC_TYPE_PREFIX)
            found.setdefault(name, []).append(detail)
    return found


def _quota_violations(details: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """(subject, description) of each QuotaFailure violation: the quota's id and what it is."""
    found: list[tuple[str, str]] = []
    for failure in details.get("QuotaFailure", []):
        violations = failure.get("violations")
        for violation in violations if isinstance(violations, list) else []:
            if not isinstance(violation, dict):
                continue
            subject = str(violation.get("quotaId") or violation.get("subject") or "")
            described = [str(violation.get("quotaMetric") or violation.get("description") or "")]
            if violation.get("quotaValue") is not None:
                described.append(f"limit {violation['quotaValue']}")
            dimensions = violation.get("quotaDimensions")
            if isinstance(dimensions, dict) and dimensions:
                described.append(", ".join(f"{k}={v}" for k, v in sorted(dimensions.items())))
            found.append((subject, "; ".join(d for d in described if d)))
    return found[:MAX_QUOTA_VIOLATIONS]


def classify_status(
    provider: str, http_status: int | None, body: Any, headers: Mapping[str, str] | None = None
) -> GatewayError:
    """The GatewayError for a Gemini error body, with its details carried over."""
    headers = headers or {}
    envelope = body.get("error") if isinstance(body, dict) else None
    error: dict[str, Any] = envelope if isinstance(envelope, dict) else {}
    raw_status = error.get("status")
    status_name = raw_status if isinstance(raw_status, str) else ""
    code = error.get("code")
    if not http_status or http_status < 400:
        http_status = code if isinstance(code, int) and code >= 400 else None
        http_status = http_status or _STATUS_TO_HTTP.get(status_name, 500)
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    details = _details(error)
    info = (details.get("ErrorInfo") or [{}])[0]
    reason = info.get("reason") if isinstance(info.get("reason"), str) else ""
    failure = classify(provider, http_status, {"error": {"message": message}}, headers)
    if reason in _KEY_REASONS or status_name == _ACCOUNT_STATUS:
        failure = upstream_failure(
            provider,
            ErrorReason.ERROR_REASON_UPSTREAM_AUTH_FAILED,
            failure.message,
            metadata=failure.metadata,
            retry_after=None,
            retryable=False,
        )
    if status_name:
        failure.metadata["upstream_status"] = status_name
    if reason:
        failure.metadata["upstream_reason"] = reason
    if isinstance(info.get("domain"), str) and info["domain"]:
        failure.metadata["upstream_domain"] = info["domain"]
    for retry in details.get("RetryInfo", []):
        delay = duration_seconds(retry.get("retryDelay"))
        if delay is not None:
            failure.retry_after = max(delay, failure.retry_after or 0.0)
    failure.quota_violations = tuple(_quota_violations(details))
    return failure


def classify_raw(
    provider: str, raw: bytes, status: int, headers: Mapping[str, str]
) -> GatewayError:
    """Like `classify_status`, from raw bytes that may not be JSON (an HTML error page)."""
    return classify_status(provider, status, error_body(raw), headers)
