"""Upstream failures mapped to canonical gRPC statuses: one table for every backend.

Classification uses the HTTP status, the provider's error *type* from the
body and the `x-should-retry` header, never the message text. The upstream
message is passed on (truncated) so callers can act on it; any secret the gateway
holds is cut out of it when the status is built (`modelgate.redactor`).

| upstream                                   | gRPC code           | reason                    | retried |
|--------------------------------------------|---------------------|---------------------------|---------|
| 400, 413, 422 / invalid_request_error      | INVALID_ARGUMENT    | UPSTREAM_BAD_REQUEST      | no      |
| 400 with code context_length_exceeded      | INVALID_ARGUMENT    | CONTEXT_LENGTH_EXCEEDED   | no      |
| 401, 402, 403 / authentication, billing    | FAILED_PRECONDITION | UPSTREAM_AUTH_FAILED      | no      |
| 404 / not_found_error                      | FAILED_PRECONDITION | UPSTREAM_MODEL_NOT_FOUND  | no      |
| 408, 409                                   | UNAVAILABLE         | UPSTREAM_UNAVAILABLE      | yes     |
| 429 / rate_limit_error                     | RESOURCE_EXHAUSTED  | RATE_LIMITED (+RetryInfo) | yes     |
| 429 with code insufficient_quota           | RESOURCE_EXHAUSTED  | RATE_LIMITED              | no      |
| 503, 529 / overloaded_error                | UNAVAILABLE         | UPSTREAM_OVERLOADED       | yes     |
| other 5xx / api_error, server_error        | UNAVAILABLE         | UPSTREAM_UNAVAILABLE      | yes     |
| refused, reset, closed; body cut short     | UNAVAILABLE         | UPSTREAM_UNAVAILABLE      | yes*    |
| breaks the wire format, fewer items        | UNAVAILABLE         | UPSTREAM_INVALID_RESPONSE | no**    |
| caller's deadline passed                   | DEADLINE_EXCEEDED   | UPSTREAM_TIMEOUT          | no      |

(*) streams only before the first delta reached the caller; a stream that ends without
its terminator ([DONE], message_stop, done) was cut short too.
(**) an answer that breaks the provider's own API (not JSON, invalid UTF-8, a wrong
content type, a field of the wrong type, a line over `limits.upstream_max_line_bytes`;
see `http.py` and `upstream_json.py`) is not a passing fault: the call falls back to the
next deployment, if any, and breakers do not count it. INTERNAL is never an upstream's
doing: it means a bug in the gateway.

Every failure message names its cause (the HTTP status, "connection refused by
host:port", the deadline), and the router passes it to the caller unchanged after
its retries.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import grpc
import orjson

from modelgate.errors import GatewayError
from modelgate.redactor import redact

MAX_MESSAGE_CHARS = 500

_BY_STATUS: dict[int, tuple[grpc.StatusCode, str, bool]] = {
    400: (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", False),
    401: (grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED", False),
    402: (grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED", False),
    403: (grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED", False),
    404: (grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_MODEL_NOT_FOUND", False),
    408: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", True),
    409: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", True),
    413: (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", False),
    422: (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST", False),
    429: (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", True),
    503: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_OVERLOADED", True),
    529: (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_OVERLOADED", True),
}
_SERVER_ERROR = (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", True)

# Error `type` strings of the providers' bodies (also sent mid-stream), as HTTP statuses.
_TYPE_TO_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "permission_denied": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "tokens": 429,
    "requests": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
}


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`retry-after-ms`, else `retry-after` as seconds or an HTTP date; None when absent."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _summary(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` cut to a readable summary, redacted first: a secret cut in half could no
    longer be recognised when the status is built."""
    text = redact(text)
    return text[:limit] + "..." if len(text) > limit else text


def _error_fields(body: Any) -> tuple[str, str, str]:
    """(type, code, message) from OpenAI, Anthropic or Ollama error bodies."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return (
                str(error.get("type") or ""),
                str(error.get("code") or ""),
                str(error.get("message") or ""),
            )
        if isinstance(error, str):
            return "", "", error
    return "", "", ""


def classify(
    provider: str,
    status: int | None,
    body: Any,
    headers: Mapping[str, str] | None = None,
) -> GatewayError:
    """The GatewayError for an upstream failure (HTTP status and/or error body)."""
    headers = headers or {}
    error_type, code, message = _error_fields(body)
    http_status = status if status and status >= 400 else _TYPE_TO_STATUS.get(error_type, 500)
    grpc_code, reason, retryable = _BY_STATUS.get(
        http_status,
        _SERVER_ERROR
        if http_status >= 500
        else (grpc.StatusCode.UNKNOWN, "UPSTREAM_UNAVAILABLE", False),
    )
    if grpc_code == grpc.StatusCode.UNKNOWN:
        grpc_code = grpc.StatusCode.INVALID_ARGUMENT
        reason = "UPSTREAM_BAD_REQUEST"
    if code == "context_length_exceeded":
        grpc_code, reason = grpc.StatusCode.INVALID_ARGUMENT, "CONTEXT_LENGTH_EXCEEDED"
    if code == "insufficient_quota":
        retryable = False
    should_retry = headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        retryable = should_retry == "true"
    metadata = {"http_status": str(http_status)}
    request_id = headers.get("x-request-id") or headers.get("request-id")
    if request_id:
        metadata["request_id"] = request_id
    if error_type:
        metadata["upstream_type"] = error_type
    if code:
        metadata["upstream_code"] = code
    summary = _summary(message) or f"HTTP {http_status}"
    return GatewayError(
        grpc_code,
        reason,
        f"{provider} returned {http_status}: {summary}",
        domain=provider,
        metadata=metadata,
        retry_after=retry_after_seconds(headers)
        if grpc_code == grpc.StatusCode.RESOURCE_EXHAUSTED or retryable
        else None,
        retryable=retryable,
    )


def classify_body(
    provider: str, raw: bytes, status: int, headers: Mapping[str, str]
) -> GatewayError:
    """Like `classify`, from raw response bytes that may not be JSON."""
    try:
        body: Any = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        text = raw[: MAX_MESSAGE_CHARS * 4].decode("utf-8", "replace")
        body = {"error": {"message": _summary(text, 200)}}
    return classify(provider, status, body, headers)


def unavailable(provider: str, what: str) -> GatewayError:
    """UNAVAILABLE for transport failures: refused, reset, closed or truncated answers."""
    return GatewayError(
        grpc.StatusCode.UNAVAILABLE,
        "UPSTREAM_UNAVAILABLE",
        f"{provider}: {what}",
        domain=provider,
        retryable=True,
    )


def invalid_response(provider: str, what: str) -> GatewayError:
    """UNAVAILABLE for an answer that breaks the provider's own API (malformed JSON, fewer
    embeddings than inputs): asking again would likely get the same, so it is not retried."""
    return GatewayError(
        grpc.StatusCode.UNAVAILABLE,
        "UPSTREAM_INVALID_RESPONSE",
        f"{provider}: {what}",
        domain=provider,
    )


def deadline_exceeded(provider: str) -> GatewayError:
    """DEADLINE_EXCEEDED when the caller's deadline passed while waiting for the upstream."""
    return GatewayError(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "UPSTREAM_TIMEOUT",
        f"{provider} did not answer within the caller's deadline",
        domain=provider,
    )
