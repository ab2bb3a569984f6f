"""The gateway's one error type, and its conversion to a rich gRPC status.

Every failure that reaches a caller is a `GatewayError`: a canonical status
code, an AIP-193 reason (see `modelgate.v1.ErrorReason`) and optional details
(field violations, retry delay, upstream facts). Building the
`google.rpc.Status` lives here only, so the message always equals the details
message and no module formats statuses by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from typing_extensions import override

from modelgate.redactor import redact

GATEWAY_DOMAIN = "modelgate"


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
        """The grpcio status object whose trailers carry the `google.rpc` details.

        Every text in it is redacted here, the one place statuses are built, so no
        backend or plugin can echo a secret the gateway holds (an upstream that quotes
        our key, a plugin that puts its token in a message).
        """
        status = status_pb2.Status(code=self.code.value[0], message=redact(self.message))
        info = error_details_pb2.ErrorInfo(
            reason=redact(self.reason),
            domain=redact(self.domain),
            metadata={redact(k): redact(v) for k, v in self.metadata.items()},
        )
        status.details.add().Pack(info)
        if self.violations:
            bad_request = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=redact(f), description=redact(d)
                    )
                    for f, d in self.violations
                ]
            )
            status.details.add().Pack(bad_request)
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
        return f"GatewayError({self.code.name}, {self.reason!r}, {self.message!r})"


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
        f"model {model!r} is not known to this gateway; available: {hint}",
        metadata={"model": model},
    )


def not_supported(model: str, operation: str, capable: Sequence[str]) -> GatewayError:
    """UNIMPLEMENTED naming models that can serve the operation instead."""
    alternatives = ", ".join(sorted(capable)[:10]) or "none configured"
    return GatewayError(
        grpc.StatusCode.UNIMPLEMENTED,
        "OPERATION_NOT_SUPPORTED",
        f"model {model!r} does not support {operation}; models that do: {alternatives}",
        metadata={"model": model, "operation": operation},
    )


def internal(message: str = "internal error in the gateway") -> GatewayError:
    """INTERNAL for our own bugs: never echoes exception text that could hold secrets."""
    return GatewayError(grpc.StatusCode.INTERNAL, "INTERNAL", message)
