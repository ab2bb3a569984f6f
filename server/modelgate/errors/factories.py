"""Every error the gateway returns is built here, one factory per kind of failure.

One module, so a caller-visible reason, its status code and its message are
decided in one place, and `tests/unit/test_error_reasons.py` can check that
every `ErrorReason` value has a producer and that nothing else builds errors.
Callers' values pass through `quoted`/`bounded`; nothing here echoes exception
text of our own (it may hold secrets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import grpc

from modelgate.errors.gateway_error import GatewayError, Reason, bounded, quoted
from modelgate.v1.errors_pb2 import ErrorReason

if TYPE_CHECKING:
    from modelgate.state.errors import StateUnavailableError

R = ErrorReason
_STATUS = grpc.StatusCode

# -- the request ----------------------------------------------------------------------


def invalid_argument(violations: Sequence[tuple[str, str]]) -> GatewayError:
    """INVALID_ARGUMENT listing every offending field, so callers fix all at once."""
    summary = "; ".join(f"{field}: {why}" for field, why in violations[:5])
    if len(violations) > 5:
        summary += f"; and {len(violations) - 5} more"
    return GatewayError(
        _STATUS.INVALID_ARGUMENT,
        R.ERROR_REASON_INVALID_REQUEST,
        f"invalid request: {summary}",
        violations=violations,
    )


def undecodable(why: str) -> GatewayError:
    """INVALID_ARGUMENT for request bytes that are not a valid message (grpcio says UNKNOWN)."""
    return GatewayError(
        _STATUS.INVALID_ARGUMENT,
        R.ERROR_REASON_INVALID_REQUEST,
        f"request is not a valid protobuf message: {why}",
        violations=[("", why)],
    )


def request_rejected(message: str, metadata: Mapping[str, str]) -> GatewayError:
    """INVALID_ARGUMENT from a hook's veto (`modelgate.hooks.base.veto`)."""
    return GatewayError(
        _STATUS.INVALID_ARGUMENT, R.ERROR_REASON_REQUEST_REJECTED, message, metadata=metadata
    )


def stream_too_long(seconds: float) -> GatewayError:
    """RESOURCE_EXHAUSTED for a stream that outlived `limits.stream_max_seconds`."""
    return GatewayError(
        _STATUS.RESOURCE_EXHAUSTED,
        R.ERROR_REASON_LIMIT_EXCEEDED,
        f"stream exceeded the gateway's maximum duration of {seconds:g}s",
        metadata={"limit": "stream_max_seconds"},
    )


def media_too_large(limit: str, maximum: float, unit: str) -> GatewayError:
    """OUT_OF_RANGE for a media upload or input over the gateway's cap `limits.<limit>`."""
    return GatewayError(
        _STATUS.OUT_OF_RANGE,
        R.ERROR_REASON_MEDIA_TOO_LARGE,
        f"media over the gateway's cap: at most {maximum:g} {unit} (limits.{limit})",
        metadata={"limit": limit, "max": f"{maximum:g}"},
    )


# -- models and runtimes --------------------------------------------------------------


def model_not_found(model: str, known: Sequence[str]) -> GatewayError:
    """NOT_FOUND naming a few models that do exist, to make typos obvious."""
    hint = ", ".join(sorted(known)[:10])
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_MODEL_NOT_FOUND,
        f"model {quoted(model)} is not known to this gateway; available: {hint}",
        metadata={"model": bounded(model)},
    )


def model_ambiguous(name: str, candidates: Sequence[str]) -> GatewayError:
    """NOT_FOUND for a short name several runtimes serve, naming the full ids."""
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_MODEL_NOT_FOUND,
        f"model name {quoted(name)} is ambiguous; use one of: {', '.join(sorted(candidates))}",
        metadata={"model": bounded(name)},
    )


def runtime_not_found(runtime: str, known: Sequence[str]) -> GatewayError:
    """NOT_FOUND for a model-management call naming a runtime that is not configured."""
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_MODEL_NOT_FOUND,
        f"runtime {quoted(runtime)} is not configured; runtimes: {', '.join(sorted(known))}",
        metadata={"runtime": bounded(runtime)},
    )


def model_not_on_runtime(model: str, runtime: str) -> GatewayError:
    """NOT_FOUND when a local runtime does not have the model a management call names."""
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_MODEL_NOT_FOUND,
        f"model {quoted(model)} is not on runtime {runtime!r}",
        metadata={"model": bounded(model), "runtime": runtime},
    )


def not_supported(model: str, operation: str, capable: Sequence[str]) -> GatewayError:
    """UNIMPLEMENTED naming models that can serve the operation instead."""
    alternatives = ", ".join(sorted(capable)[:10]) or "none configured"
    return GatewayError(
        _STATUS.UNIMPLEMENTED,
        R.ERROR_REASON_OPERATION_NOT_SUPPORTED,
        f"model {quoted(model)} does not support {operation}; models that do: {alternatives}",
        metadata={"model": bounded(model), "operation": operation},
    )


def alias_not_supported(alias: str) -> GatewayError:
    """UNIMPLEMENTED when no deployment of an alias has the capabilities a request needs."""
    return GatewayError(
        _STATUS.UNIMPLEMENTED,
        R.ERROR_REASON_OPERATION_NOT_SUPPORTED,
        f"no deployment of alias {quoted(alias)} supports this operation",
        metadata={"model": bounded(alias)},
    )


def runtime_cannot_manage(runtime: str, capable: Sequence[str]) -> GatewayError:
    """UNIMPLEMENTED for pull/load/delete on a runtime without model management."""
    return GatewayError(
        _STATUS.UNIMPLEMENTED,
        R.ERROR_REASON_OPERATION_NOT_SUPPORTED,
        f"runtime {quoted(runtime)} cannot manage models; runtimes that can: "
        f"{', '.join(sorted(capable)) or 'none configured'}",
        metadata={"runtime": bounded(runtime)},
    )


def management_not_offered(runtime: str, operation: str, why: str) -> GatewayError:
    """UNIMPLEMENTED for one management RPC a runtime's API lacks (the others work)."""
    return GatewayError(
        _STATUS.UNIMPLEMENTED,
        R.ERROR_REASON_OPERATION_NOT_SUPPORTED,
        f"runtime {runtime!r} cannot {why}",
        metadata={"runtime": runtime, "operation": operation},
    )


def provider_unavailable(model: str, runtime: str, why: str) -> GatewayError:
    """FAILED_PRECONDITION for a deployment whose provider is not configured (no key)."""
    return GatewayError(
        _STATUS.FAILED_PRECONDITION,
        R.ERROR_REASON_PROVIDER_UNAVAILABLE,
        f"model {model!r} is not available: {why}",
        metadata={"model": model, "runtime": runtime},
    )


def circuit_open(model: str, last_failure: str, retry_after: float | None) -> GatewayError:
    """UNAVAILABLE while a deployment's breaker is open, naming its last failure."""
    return GatewayError(
        _STATUS.UNAVAILABLE,
        R.ERROR_REASON_CIRCUIT_OPEN,
        f"model {model!r} is cooling down: most of its recent calls failed"
        + (f" (last: {last_failure})" if last_failure else ""),
        metadata={"model": model},
        retry_after=retry_after,
        retryable=True,
    )


def context_window_exceeded(model: str, tokens: int, output: int, window: int) -> GatewayError:
    """OUT_OF_RANGE before any upstream call: input plus output do not fit the window."""
    return GatewayError(
        _STATUS.OUT_OF_RANGE,
        R.ERROR_REASON_CONTEXT_LENGTH_EXCEEDED,
        f"input of {tokens} tokens plus max_output_tokens {output} exceeds the "
        f"{window}-token context window of {model!r}",
        metadata={
            "model": model,
            "input_tokens": str(tokens),
            "max_output_tokens": str(output),
            "context_window": str(window),
        },
    )


def structured_output_invalid(
    last_output: str, found: Sequence[tuple[str, str]], attempts: int
) -> GatewayError:
    """INVALID_ARGUMENT when the output stayed invalid: last output and violations."""
    return GatewayError(
        _STATUS.INVALID_ARGUMENT,
        R.ERROR_REASON_STRUCTURED_OUTPUT_INVALID,
        f"the model's output did not satisfy the response schema after {attempts} attempt(s): "
        + "; ".join(f"{path}: {why}" for path, why in found[:5]),
        metadata={"last_output": last_output, "attempts": str(attempts)},
        violations=found,
    )


def response_not_found(response_id: str) -> GatewayError:
    """NOT_FOUND for a `previous_response_id` the caller may not continue."""
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_RESPONSE_NOT_FOUND,
        f"previous_response_id {quoted(response_id)} is unknown, expired or not yours",
        metadata={"previous_response_id": bounded(response_id)},
    )


def prompt_not_found(prompt_id: str, version: int, known: Sequence[str]) -> GatewayError:
    """NOT_FOUND for a prompt template id or version the catalog does not have."""
    which = f"version {version} of prompt" if version else "prompt"
    hint = ", ".join(sorted(known)[:10]) or "none"
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_PROMPT_NOT_FOUND,
        f"{which} {quoted(prompt_id)} is not in the catalog; prompts: {hint}",
        metadata={"prompt": bounded(prompt_id), "version": str(version)},
    )


def prompt_render_failed(prompt_id: str, version: int, why: str) -> GatewayError:
    """FAILED_PRECONDITION for an operator's template the sandbox refused to render."""
    return GatewayError(
        _STATUS.FAILED_PRECONDITION,
        R.ERROR_REASON_PROMPT_RENDER_FAILED,
        f"prompt {quoted(prompt_id)} version {version} could not be rendered: {bounded(why)}",
        metadata={"prompt": bounded(prompt_id), "version": str(version)},
    )


# -- the caller's key -----------------------------------------------------------------


def api_key_missing() -> GatewayError:
    """UNAUTHENTICATED when the call carries no bearer key."""
    return GatewayError(
        _STATUS.UNAUTHENTICATED,
        R.ERROR_REASON_API_KEY_INVALID,
        "missing API key: send metadata `authorization: Bearer <key>`",
    )


def api_key_unknown() -> GatewayError:
    """UNAUTHENTICATED for a key no `auth.keys` entry hashes to."""
    return GatewayError(_STATUS.UNAUTHENTICATED, R.ERROR_REASON_API_KEY_INVALID, "unknown API key")


def api_key_too_short(key_id: str, min_chars: int) -> GatewayError:
    """UNAUTHENTICATED for a configured key too short to be redacted safely."""
    return GatewayError(
        _STATUS.UNAUTHENTICATED,
        R.ERROR_REASON_API_KEY_INVALID,
        f"API key {key_id!r} is shorter than {min_chars} characters, "
        "too short to keep out of logs: ask for a longer one",
    )


def model_not_allowed(key_id: str, model: str) -> GatewayError:
    """PERMISSION_DENIED for a model outside the key's `models` list."""
    return GatewayError(
        _STATUS.PERMISSION_DENIED,
        R.ERROR_REASON_MODEL_NOT_ALLOWED,
        f"API key {key_id!r} may not use model {quoted(model)}",
        metadata={"api_key": key_id, "model": bounded(model)},
    )


def quota_exceeded(key_id: str, what: str, wait: float) -> GatewayError:
    """RESOURCE_EXHAUSTED with RetryInfo and QuotaFailure for the caller's own quota."""
    return GatewayError(
        _STATUS.RESOURCE_EXHAUSTED,
        R.ERROR_REASON_QUOTA_EXCEEDED,
        f"API key {key_id!r} exceeded its {what}; retry in {wait:.1f}s",
        metadata={"api_key": key_id, "quota": what},
        retry_after=wait,
        quota_violations=[(f"api_key:{key_id}", f"{what} exceeded")],
    )


# -- the gateway's own dependencies and bugs ------------------------------------------


def state_unavailable(what: str, cause: StateUnavailableError) -> GatewayError:
    """UNAVAILABLE for a state backend fault; names the backend, never its host or path."""
    backend = cause.backend or "state"
    return GatewayError(
        _STATUS.UNAVAILABLE,
        R.ERROR_REASON_STATE_UNAVAILABLE,
        f"the gateway's {what} is unavailable: its {backend} state backend {cause.summary}; "
        "retry shortly",
        metadata={"dependency": "state", "backend": backend},
        retry_after=cause.retry_after,
        retryable=True,
    )


def internal(message: str = "internal error in the gateway") -> GatewayError:
    """INTERNAL for our own bugs: never echoes exception text that could hold secrets."""
    return GatewayError(_STATUS.INTERNAL, R.ERROR_REASON_INTERNAL, message)


# -- upstreams (classified in modelgate.providers.upstream_errors) --------------------

UPSTREAM_CODES: Mapping[Reason, grpc.StatusCode] = {
    R.ERROR_REASON_UPSTREAM_BAD_REQUEST: _STATUS.INVALID_ARGUMENT,
    R.ERROR_REASON_CONTEXT_LENGTH_EXCEEDED: _STATUS.INVALID_ARGUMENT,
    R.ERROR_REASON_CONTENT_FILTERED: _STATUS.INVALID_ARGUMENT,
    R.ERROR_REASON_UPSTREAM_AUTH_FAILED: _STATUS.FAILED_PRECONDITION,
    R.ERROR_REASON_UPSTREAM_MODEL_NOT_FOUND: _STATUS.FAILED_PRECONDITION,
    R.ERROR_REASON_RATE_LIMITED: _STATUS.RESOURCE_EXHAUSTED,
    R.ERROR_REASON_UPSTREAM_OVERLOADED: _STATUS.UNAVAILABLE,
    R.ERROR_REASON_UPSTREAM_UNAVAILABLE: _STATUS.UNAVAILABLE,
}
"""The status code of each reason an upstream's error answer can be classified as."""


def upstream_failure(
    provider: str,
    reason: Reason,
    message: str,
    *,
    metadata: Mapping[str, str],
    retry_after: float | None,
    retryable: bool,
) -> GatewayError:
    """An upstream's error answer, classified; the wait is kept where waiting helps."""
    code = UPSTREAM_CODES[reason]
    keep_wait = retryable or code == _STATUS.RESOURCE_EXHAUSTED
    return GatewayError(
        code,
        reason,
        message,
        domain=provider,
        metadata=metadata,
        retry_after=retry_after if keep_wait else None,
        retryable=retryable,
    )


def upstream_unavailable(provider: str, what: str) -> GatewayError:
    """UNAVAILABLE for transport failures: refused, reset, closed or truncated answers."""
    return GatewayError(
        _STATUS.UNAVAILABLE,
        R.ERROR_REASON_UPSTREAM_UNAVAILABLE,
        f"{provider}: {what}",
        domain=provider,
        retryable=True,
    )


def upstream_invalid_response(provider: str, what: str) -> GatewayError:
    """UNAVAILABLE for an answer that breaks the provider's own API (malformed JSON, fewer
    embeddings than inputs): asking again would likely get the same, so it is not retried."""
    return GatewayError(
        _STATUS.UNAVAILABLE,
        R.ERROR_REASON_UPSTREAM_INVALID_RESPONSE,
        f"{provider}: {what}",
        domain=provider,
    )


def upstream_timeout(provider: str) -> GatewayError:
    """DEADLINE_EXCEEDED when the caller's deadline passed while waiting for the upstream."""
    return GatewayError(
        _STATUS.DEADLINE_EXCEEDED,
        R.ERROR_REASON_UPSTREAM_TIMEOUT,
        f"{provider} did not answer within the caller's deadline",
        domain=provider,
    )
