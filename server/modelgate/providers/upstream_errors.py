"""Upstream failures mapped to canonical gRPC statuses: one table for every backend.

Classification uses the HTTP status, the provider's error *type* from the
body and the `x-should-retry` header, never the message text. The upstream
message is passed on (truncated) so callers can act on it; any secret the gateway
holds is cut out of it when the status is built (`modelgate.redactor`).

| upstream                                   | gRPC code           | reason                    | retried |
|--------------------------------------------|---------------------|---------------------------|---------|
| 400, 413, 422 / invalid_request_error      | INVALID_ARGUMENT    | UPSTREAM_BAD_REQUEST      | no      |
| 400 with code context_length_exceeded      | INVALID_ARGUMENT    | CONTEXT_LENGTH_EXCEEDED   | no      |
| 400 with code content_filter (Azure)       | INVALID_ARGUMENT    | CONTENT_FILTERED          | no      |
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
content type, a field of the wrong type, a line over `limits.upstream_max_line_bytes`, an
answer over `limits.upstream_max_answer_bytes`;
see `http.py` and `upstream_json.py`) is not a passing fault: the call falls back to the
next deployment, if any, and breakers do not count it. INTERNAL is never an upstream's
doing: it means a bug in the gateway.

The errors themselves are built by `modelgate.errors.factories` (`upstream_failure`,
`upstream_unavailable`, `upstream_invalid_response`, `upstream_timeout`).

Every failure message names its cause (the HTTP status, "connection refused by
host:port", the deadline), and the router passes it to the caller unchanged after
its retries.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import orjson

from modelgate.errors import GatewayError, Reason, upstream_failure
from modelgate.redactor import redact
from modelgate.v1.errors_pb2 import ErrorReason

MAX_MESSAGE_CHARS = 500

R = ErrorReason
_BY_STATUS: dict[int, tuple[Reason, bool]] = {
    400: (R.ERROR_REASON_UPSTREAM_BAD_REQUEST, False),
    401: (R.ERROR_REASON_UPSTREAM_AUTH_FAILED, False),
    402: (R.ERROR_REASON_UPSTREAM_AUTH_FAILED, False),
    403: (R.ERROR_REASON_UPSTREAM_AUTH_FAILED, False),
    404: (R.ERROR_REASON_UPSTREAM_MODEL_NOT_FOUND, False),
    408: (R.ERROR_REASON_UPSTREAM_UNAVAILABLE, True),
    409: (R.ERROR_REASON_UPSTREAM_UNAVAILABLE, True),
    413: (R.ERROR_REASON_UPSTREAM_BAD_REQUEST, False),
    422: (R.ERROR_REASON_UPSTREAM_BAD_REQUEST, False),
    429: (R.ERROR_REASON_RATE_LIMITED, True),
    503: (R.ERROR_REASON_UPSTREAM_OVERLOADED, True),
    529: (R.ERROR_REASON_UPSTREAM_OVERLOADED, True),
}
"""HTTP status -> (reason, retried); the code of each reason is `UPSTREAM_CODES`."""
_SERVER_ERROR = (R.ERROR_REASON_UPSTREAM_UNAVAILABLE, True)
_CLIENT_ERROR = (R.ERROR_REASON_UPSTREAM_BAD_REQUEST, False)
_BY_CODE = {
    "context_length_exceeded": R.ERROR_REASON_CONTEXT_LENGTH_EXCEEDED,
    "content_filter": R.ERROR_REASON_CONTENT_FILTERED,
}
"""Error `code` strings that name the reason better than the HTTP status (OpenAI's
context_length_exceeded; Azure OpenAI's content_filter, a 400 whose innererror is
ResponsibleAIPolicyViolation)."""

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


def _as_text(value: Any) -> str:
    """A body field as text: structured values (Mistral's 422 `message` is an object with a
    `detail` list) as compact JSON, never a Python repr."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()


def _error_fields(body: Any) -> tuple[str, str, str]:
    """(type, code, message) from OpenAI, Anthropic, Mistral or Ollama error bodies."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return (
                _as_text(error.get("type")),
                _as_text(error.get("code")),
                _as_text(error.get("message")),
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
    reason, retryable = _BY_STATUS.get(
        http_status, _SERVER_ERROR if http_status >= 500 else _CLIENT_ERROR
    )
    reason = _BY_CODE.get(code, reason)
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
    return upstream_failure(
        provider,
        reason,
        f"{provider} returned {http_status}: {summary}",
        metadata=metadata,
        retry_after=retry_after_seconds(headers),
        retryable=retryable,
    )


def classify_body(
    provider: str, raw: bytes, status: int, headers: Mapping[str, str]
) -> GatewayError:
    """Like `classify`, from raw response bytes that may not be JSON."""
    return classify(provider, status, error_body(raw), headers)


def error_body(raw: bytes) -> Any:
    """An upstream error body parsed, or one that is not JSON (an HTML error page) as an
    error whose message is its redacted start."""
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        text = raw[: MAX_MESSAGE_CHARS * 4].decode("utf-8", "replace")
        return {"error": {"message": _summary(text, 200)}}
