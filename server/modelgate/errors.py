"""The gateway's one error type, and its conversion to a rich gRPC status.

Every failure that reaches a caller is a `GatewayError`: a canonical status
code, an AIP-193 reason (see `modelgate.v1.ErrorReason`) and optional details
(field violations, retry delay, upstream facts). Building the
`google.rpc.Status` lives here only, so the message always equals the details
message and no module formats statuses by hand. A caller's value is quoted only
through `quoted`/`bounded`, and a status keeps to a byte budget, so it always
fits a default client's metadata limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from typing_extensions import override

if TYPE_CHECKING:
    from modelgate.state.errors import StateUnavailableError

GATEWAY_DOMAIN = "modelgate"
MAX_ECHO_CHARS = 64
"""Longest caller value an error quotes whole; longer ones are cut and their length given."""
MAX_MESSAGE_BYTES = 768
MAX_METADATA_VALUE_BYTES = 1024
MAX_VIOLATION_BYTES = 1536
"""Status budgets: message and details travel in trailers, which default clients cap at
8 KiB (over it the caller sees RESOURCE_EXHAUSTED instead of our status). With every
budget full a status takes under 5 KiB on the wire, under 7 KiB when all of it is
non-ASCII (percent-encoded in grpc-message, three characters a byte)."""


def bounded(value: str, limit: int = MAX_ECHO_CHARS, *, tail: int = 0) -> str:
    """A caller's value as an error may carry it: cut to `limit` characters (and the last
    `tail`, for library messages that quote the value first), saying its length."""
    if len(value) <= limit + tail:
        return value
    end = f" ...{value[-tail:]}" if tail else ""
    return f"{value[:limit]}... ({len(value)} characters){end}"


def quoted(value: str) -> str:
    """A caller's value quoted in an error message (repr, bounded like `bounded`)."""
    if len(value) <= MAX_ECHO_CHARS:
        return repr(value)
    return f"{value[:MAX_ECHO_CHARS]!r}... ({len(value)} characters)"


def _clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[:limit].decode(errors="ignore") + f"... ({len(raw)} bytes)"


class GatewayError(Exception):
    """A failure with everything needed to tell the caller precisely what went wrong."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        *,
        domain: str = GATEWAY_DOMAIN,
        metadata: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        violations: Sequence[tuple[str, str]] = (),
        quota_violations: Sequence[tuple[str, str]] = (),
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.retry_after = retry_after
        self.violations = tuple(violations)
        self.quota_violations = tuple(quota_violations)
        self.retryable = retryable
        self.final = False
        """Set by the router's retry loop when it gives up: clients must not retry this."""

    def to_status(self) -> grpc.Status:
        """The grpcio status object whose trailers carry the `google.rpc` details."""
        status = status_pb2.Status(
            code=self.code.value[0], message=_clip_bytes(self.message, MAX_MESSAGE_BYTES)
        )
        kept = _within_budget(self.violations)
        metadata = {k: _clip_bytes(v, MAX_METADATA_VALUE_BYTES) for k, v in self.metadata.items()}
        if len(kept) < len(self.violations):
            metadata["violations_omitted"] = str(len(self.violations) - len(kept))
        info = error_details_pb2.ErrorInfo(
            reason=self.reason, domain=self.domain, metadata=metadata
        )
        status.details.add().Pack(info)
        if kept:
            status.details.add().Pack(error_details_pb2.BadRequest(field_violations=kept))
        if self.quota_violations:
            quota = error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(subject=s, description=d)
                    for s, d in self.quota_violations
                ]
            )
            status.details.add().Pack(quota)
        if self.retry_after is not None:
            seconds = max(0.0, self.retry_after)
            whole = math.floor(seconds)
            delay = duration_pb2.Duration(seconds=whole, nanos=int((seconds - whole) * 1e9))
            status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        result: grpc.Status = rpc_status.to_status(status)
        return result

    @override
    def __repr__(self) -> str:
        return f"GatewayError({self.code.name}, {self.reason!r}, {self.message!r})"


def _within_budget(
    violations: Sequence[tuple[str, str]],
) -> list[error_details_pb2.BadRequest.FieldViolation]:
    """The first violations that fit MAX_VIOLATION_BYTES (at least one); the count of the rest
    goes into ErrorInfo metadata `violations_omitted`, so nothing is dropped silently."""
    kept: list[error_details_pb2.BadRequest.FieldViolation] = []
    used = 0
    for field, description in violations:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=_clip_bytes(field, MAX_ECHO_CHARS * 4),
            description=_clip_bytes(description, MAX_ECHO_CHARS * 8),
        )
        used += violation.ByteSize() + 3  # tag and length prefix
        if kept and used > MAX_VIOLATION_BYTES:
            break
        kept.append(violation)
    return kept


def invalid_argument(violations: Sequence[tuple[str, str]]) -> GatewayError:
    """INVALID_ARGUMENT listing every offending field, so callers fix all at once."""
    summary = "; ".join(f"{field}: {why}" for field, why in violations[:5])
    if len(violations) > 5:
        summary += f"; and {len(violations) - 5} more"
    return GatewayError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        f"invalid request: {summary}",
        violations=violations,
    )


def model_not_found(model: str, known: Sequence[str]) -> GatewayError:
    """NOT_FOUND naming a few models that do exist, to make typos obvious."""
    hint = ", ".join(sorted(known)[:10])
    return GatewayError(
        grpc.StatusCode.NOT_FOUND,
        "MODEL_NOT_FOUND",
        f"model {quoted(model)} is not known to this gateway; available: {hint}",
        metadata={"model": bounded(model)},
    )


def not_supported(model: str, operation: str, capable: Sequence[str]) -> GatewayError:
    """UNIMPLEMENTED naming models that can serve the operation instead."""
    alternatives = ", ".join(sorted(capable)[:10]) or "none configured"
    return GatewayError(
        grpc.StatusCode.UNIMPLEMENTED,
        "OPERATION_NOT_SUPPORTED",
        f"model {quoted(model)} does not support {operation}; models that do: {alternatives}",
        metadata={"model": bounded(model), "operation": operation},
    )


def state_unavailable(what: str, cause: StateUnavailableError) -> GatewayError:
    """UNAVAILABLE for a state backend fault; names the backend, never its host or path."""
    backend = cause.backend or "state"
    return GatewayError(
        grpc.StatusCode.UNAVAILABLE,
        "UPSTREAM_UNAVAILABLE",
        f"the gateway's {what} is unavailable: its {backend} state backend {cause.summary}; "
        "retry shortly",
        metadata={"dependency": "state", "backend": backend},
        retry_after=cause.retry_after,
        retryable=True,
    )


def internal(message: str = "internal error in the gateway") -> GatewayError:
    """INTERNAL for our own bugs: never echoes exception text that could hold secrets."""
    return GatewayError(grpc.StatusCode.INTERNAL, "INTERNAL", message)
