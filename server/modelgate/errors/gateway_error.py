"""The gateway's one error type, and its conversion to a rich gRPC status.

Every failure that reaches a caller is a `GatewayError`: a canonical status
code, an AIP-193 reason (a `modelgate.v1.ErrorReason` value, so a reason the
contract lacks cannot be written) and optional details (field violations, retry
delay, upstream facts). Errors are built by `modelgate.errors.factories` only.
Building the `google.rpc.Status` lives here only, so the message always equals
the details message and no module formats statuses by hand. A caller's value is
quoted only through `quoted`/`bounded`, and a status keeps to a byte budget, so
it always fits a default client's metadata limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from typing_extensions import override

from modelgate.redactor import redact
from modelgate.v1 import errors_pb2

Reason: TypeAlias = errors_pb2.ErrorReason.ValueType
"""A value of the contract's `ErrorReason` enum."""

_PREFIX = "ERROR_REASON_"
_WIRE_NAMES: dict[int, str] = {
    value.number: value.name.removeprefix(_PREFIX)
    for value in errors_pb2.ErrorReason.DESCRIPTOR.values
}


def reason_name(reason: Reason) -> str:
    """The reason as `ErrorInfo.reason` carries it: the value name without its prefix."""
    return _WIRE_NAMES[reason]


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
        reason: Reason,
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
        self.reason_name = reason_name(reason)
        """The reason as the wire, logs and spans spell it, e.g. "RATE_LIMITED"."""
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
        """The grpcio status object whose trailers carry the `google.rpc` details.

        Every text in it is redacted here, the one place statuses are built, so no
        backend or plugin can echo a secret the gateway holds (an upstream that quotes
        our key, a plugin that puts its token in a message); redacted before it is cut
        to the status budgets, so a secret at a cut cannot half-survive.
        """
        status = status_pb2.Status(
            code=self.code.value[0], message=_clip_bytes(redact(self.message), MAX_MESSAGE_BYTES)
        )
        violations = [(redact(f), redact(d)) for f, d in self.violations]
        kept = _within_budget(violations)
        metadata = {
            redact(k): _clip_bytes(redact(v), MAX_METADATA_VALUE_BYTES)
            for k, v in self.metadata.items()
        }
        if len(kept) < len(violations):
            metadata["violations_omitted"] = str(len(violations) - len(kept))
        info = error_details_pb2.ErrorInfo(
            reason=self.reason_name, domain=redact(self.domain), metadata=metadata
        )
        status.details.add().Pack(info)
        if kept:
            status.details.add().Pack(error_details_pb2.BadRequest(field_violations=kept))
        if self.quota_violations:
            quota = error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=redact(s), description=redact(d)
                    )
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
        return f"GatewayError({self.code.name}, {self.reason_name}, {self.message!r})"


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
