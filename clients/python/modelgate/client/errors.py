"""Typed exceptions decoded from the gateway's rich gRPC statuses.

The gateway ends every failed call with a canonical status code plus
`google.rpc` details in the `grpc-status-details-bin` trailer (ErrorInfo
always; BadRequest, RetryInfo and QuotaFailure where they apply). Callers
should branch on the exception class (the status code) and on `reason`
(`modelgate.v1.ErrorReason` without its prefix, e.g. "MODEL_NOT_FOUND"),
never on the message text, which is for humans and may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from google.protobuf import message as _message
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "STATUS_DETAILS_KEY",
    "AbortedError",
    "AlreadyExistsError",
    "CallCancelledError",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "ModelGateError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "StructuredOutputError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "decode_status",
    "from_rpc_error",
]

if TYPE_CHECKING:
    from typing_extensions import override
else:  # typing.override is 3.12+; typing_extensions is not a runtime dependency.
    _F = TypeVar("_F")

    def override(func: _F) -> _F:
        return func


STATUS_DETAILS_KEY = "grpc-status-details-bin"
"""Trailer that carries the serialized `google.rpc.Status` (set by grpcio-status)."""

# The standard detail messages we can unpack; others stay packed `Any` messages.
_DETAIL_TYPES: tuple[type[_message.Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RequestInfo,
    error_details_pb2.DebugInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)


class ModelGateError(Exception):
    """A failed gateway call, with the structured details the server attached.

    Attributes:
        code: The gRPC status code; the subclass is chosen from it.
        message: The status message (human-readable; do not parse it).
        reason: `ErrorInfo.reason`, e.g. "RATE_LIMITED"; None without ErrorInfo
            (e.g. errors raised by gRPC itself, like a local deadline).
        domain: `ErrorInfo.domain`: "modelgate" for the gateway's own errors,
            the provider name (e.g. "openai") for upstream ones.
        metadata: `ErrorInfo.metadata`, e.g. {"model": "gpt-4o"}.
        retry_after: Seconds to wait before retrying, from `RetryInfo`; None
            when the server gave no hint (retrying may then be pointless).
        field_violations: `BadRequest` (field path, description) pairs.
        quota_violations: `QuotaFailure` (subject, description) pairs.
        details: Every detail message, unpacked when its type is a standard
            `google.rpc` one, else the packed `google.protobuf.Any`.
        trailing_metadata: The call's raw trailing metadata.
    """

    code: grpc.StatusCode

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str | None = None,
        domain: str | None = None,
        metadata: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        field_violations: Sequence[tuple[str, str]] = (),
        quota_violations: Sequence[tuple[str, str]] = (),
        details: Sequence[Any] = (),
        trailing_metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.retry_after = retry_after
        self.field_violations: list[tuple[str, str]] = list(field_violations)
        self.quota_violations: list[tuple[str, str]] = list(quota_violations)
        self.details: list[Any] = list(details)
        self.trailing_metadata: list[tuple[str, str | bytes]] = list(trailing_metadata)

    @override
    def __str__(self) -> str:
        name = getattr(self.code, "name", str(self.code))
        text = f"{name}: {self.message}" if self.message else name
        return f"{text} [{self.reason}]" if self.reason else text

    @override
    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={getattr(self.code, 'name', self.code)}, "
            f"message={self.message!r}, reason={self.reason!r}, domain={self.domain!r})"
        )

    @override
    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields are restored from __dict__, so errors survive pickling
        # (multiprocessing, task queues).
        return (type(self), (self.code, self.message), self.__dict__)


class CallCancelledError(ModelGateError):
    """CANCELLED sent by the server (distinct from asyncio.CancelledError, which
    is what a locally cancelled grpc.aio call raises and is never wrapped)."""


class UnknownError(ModelGateError):
    """UNKNOWN: the server raised without a status (not a gateway error)."""


class InvalidArgumentError(ModelGateError):
    """INVALID_ARGUMENT: fix the request; `field_violations` lists every bad field."""


class StructuredOutputError(InvalidArgumentError):
    """The answer did not satisfy the response schema (reason STRUCTURED_OUTPUT_INVALID).

    Raised when the gateway gave up after its re-asks (`domain` "modelgate"), and by
    `parse()` when the gateway accepted the JSON but the Pydantic type rejected it (a
    validator the JSON Schema cannot express; `domain` "modelgate.client", `reply` the
    accepted response). `errors` are (path, message) pairs, paths written like the
    gateway's (`output['pets'][0]['age']`); `last_output` is the model's last answer
    (the gateway keeps its first 1,000 characters).
    """

    reply: Any = None
    """The response the client-side validation rejected; None for the gateway's error."""

    @property
    def last_output(self) -> str:
        """The model's last answer, as it wrote it."""
        return self.metadata.get("last_output", "")

    @property
    def errors(self) -> list[tuple[str, str]]:
        """Where and why the answer was invalid: (path, message) pairs."""
        return self.field_violations

    @property
    def attempts(self) -> int | None:
        """How many answers the model gave (1 + re-asks); None when not reported."""
        raw = self.metadata.get("attempts", "")
        return int(raw) if raw.isdigit() else None


class DeadlineExceededError(ModelGateError):
    """DEADLINE_EXCEEDED: the call's deadline passed (locally or in the gateway)."""


class NotFoundError(ModelGateError):
    """NOT_FOUND: unknown model, runtime or previous response id."""


class AlreadyExistsError(ModelGateError):
    """ALREADY_EXISTS."""


class PermissionDeniedError(ModelGateError):
    """PERMISSION_DENIED: the API key may not use this model."""


class ResourceExhaustedError(ModelGateError):
    """RESOURCE_EXHAUSTED: rate limit, quota or gateway limit; see `retry_after`."""


class FailedPreconditionError(ModelGateError):
    """FAILED_PRECONDITION: the gateway's provider setup is wrong (operator problem)."""


class AbortedError(ModelGateError):
    """ABORTED."""


class OutOfRangeError(ModelGateError):
    """OUT_OF_RANGE: input plus output exceed the model's context window."""


class UnimplementedError(ModelGateError):
    """UNIMPLEMENTED: the model cannot serve this RPC (or the server lacks the RPC)."""


class InternalError(ModelGateError):
    """INTERNAL: a bug in the gateway."""


class UnavailableError(ModelGateError):
    """UNAVAILABLE: gateway unreachable, or upstream down/overloaded; retry later."""


class DataLossError(ModelGateError):
    """DATA_LOSS."""


class UnauthenticatedError(ModelGateError):
    """UNAUTHENTICATED: the API key is missing or wrong."""


_BY_CODE: dict[grpc.StatusCode, type[ModelGateError]] = {
    grpc.StatusCode.CANCELLED: CallCancelledError,
    grpc.StatusCode.UNKNOWN: UnknownError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DATA_LOSS: DataLossError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
}


_BY_REASON: dict[tuple[grpc.StatusCode, str | None], type[ModelGateError]] = {
    (grpc.StatusCode.INVALID_ARGUMENT, "STRUCTURED_OUTPUT_INVALID"): StructuredOutputError,
}
"""Errors that have a class of their own for one reason (a subclass of the code's class)."""


def decode_status(
    trailing_metadata: Iterable[tuple[str, str | bytes]] | None,
) -> status_pb2.Status | None:
    """The `google.rpc.Status` in the details trailer, or None if absent or corrupt.

    Unlike `grpc_status.rpc_status.from_call` this never raises on a code or
    message mismatch (a proxy may rewrite the message): the call's own code
    stays authoritative, and one parser serves both grpc and grpc.aio errors.
    """
    for key, value in trailing_metadata or ():
        if key != STATUS_DETAILS_KEY:
            continue
        raw = value.encode("latin-1") if isinstance(value, str) else value
        try:
            status: status_pb2.Status = status_pb2.Status.FromString(raw)
        except _message.DecodeError:
            return None
        return status
    return None


def _unpack(detail: Any) -> Any:
    """Unpack a standard `google.rpc` detail; keep unknown types packed."""
    for cls in _DETAIL_TYPES:
        if detail.Is(cls.DESCRIPTOR):
            unpacked = cls()
            if detail.Unpack(unpacked):
                return unpacked
    return detail


def from_rpc_error(error: grpc.RpcError) -> ModelGateError:
    """The typed exception for a grpc or grpc.aio RpcError, picked by status code.

    Works for `grpc.aio.AioRpcError` and for sync errors (which are also
    `grpc.Call`s). An RpcError that carries no status (should not happen) is
    reported as UNKNOWN.
    """
    code_fn = getattr(error, "code", None)
    code = code_fn() if callable(code_fn) else grpc.StatusCode.UNKNOWN
    if code is None:
        code = grpc.StatusCode.UNKNOWN
    details_fn = getattr(error, "details", None)
    message = (details_fn() if callable(details_fn) else None) or ""
    trailers_fn = getattr(error, "trailing_metadata", None)
    trailers: list[tuple[str, str | bytes]] = [
        (str(k), v) for k, v in ((trailers_fn() if callable(trailers_fn) else None) or ())
    ]

    reason: str | None = None
    domain: str | None = None
    info_metadata: dict[str, str] = {}
    retry_after: float | None = None
    field_violations: list[tuple[str, str]] = []
    quota_violations: list[tuple[str, str]] = []
    details: list[Any] = []

    status = decode_status(trailers)
    if status is not None:
        if not message:
            message = status.message
        for packed in status.details:
            detail = _unpack(packed)
            details.append(detail)
            if isinstance(detail, error_details_pb2.ErrorInfo):
                if reason is None:  # the first ErrorInfo wins, as AIP-193 has one
                    reason, domain = detail.reason, detail.domain
                    info_metadata = dict(detail.metadata)
            elif isinstance(detail, error_details_pb2.BadRequest):
                field_violations.extend((v.field, v.description) for v in detail.field_violations)
            elif isinstance(detail, error_details_pb2.RetryInfo):
                delay = detail.retry_delay
                retry_after = max(0.0, delay.seconds + delay.nanos / 1e9)
            elif isinstance(detail, error_details_pb2.QuotaFailure):
                quota_violations.extend((v.subject, v.description) for v in detail.violations)

    cls = _BY_REASON.get((code, reason)) or _BY_CODE.get(code, ModelGateError)
    return cls(
        code,
        message,
        reason=reason or None,
        domain=domain or None,
        metadata=info_metadata,
        retry_after=retry_after,
        field_violations=field_violations,
        quota_violations=quota_violations,
        details=details,
        trailing_metadata=trailers,
    )
