"""The SERVER span of a gateway RPC: its name and shared attributes, and how it ends (the
gRPC semantic conventions' status rules)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import grpc
from opentelemetry.semconv._incubating.attributes.rpc_attributes import (
    RPC_GRPC_STATUS_CODE,
    RPC_METHOD,
    RPC_SERVICE,
    RPC_SYSTEM,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Status, StatusCode

from modelgate.telemetry.recording_span import RecordingSpan

SERVICE = "modelgate.v1.ModelGateway"

SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
"""The codes that mark a SERVER span as ERROR (the gRPC semantic conventions): the rest,
NOT_FOUND or INVALID_ARGUMENT among them, are the caller's mistakes, not the server's."""


_SHAPES_KEPT = 4096


class ServerShape(NamedTuple):
    """What every SERVER span of one RPC for one model shares."""

    name: str
    shared: Mapping[str, Any]
    """The attributes it starts with: one read-only block, framed once by the encoder."""
    ended_ok: Mapping[str, Any]
    """`shared` with the OK status code after it: what such a span that nothing else was
    set on ends with (one read-only block, framed once)."""


_OK = grpc.StatusCode.OK


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def server_span_shape(rpc: str, model: str) -> ServerShape:
    """A SERVER span's name and blocks for `rpc` and `model` (a catalog id or "unknown",
    so the cache stays small)."""
    shared = {RPC_SYSTEM: "grpc", RPC_SERVICE: SERVICE, RPC_METHOD: rpc}
    shared["modelgate.requested_model"] = model
    ended_ok = {**shared, RPC_GRPC_STATUS_CODE: _OK._value_[0]}
    return ServerShape(f"{SERVICE}/{rpc}", MappingProxyType(shared), MappingProxyType(ended_ok))


def end_server_span(span: Any, shape: ServerShape, code: grpc.StatusCode, reason: str) -> None:
    """The status code always; on a failure `error.type` (`reason`), and ERROR status only
    for the server's own failures. The usual end (OK, nothing set on the span since it
    started under `shape`) swaps in the shape's ended block: the same attributes in the
    same order, framed once by the encoder."""
    # `_value_`, the member's own attribute: `.value` is a Python property, and a dict
    # keyed by the member would call the enum's Python `__hash__`.
    number = code._value_[0]
    if code is not _OK:
        span.set_attribute(RPC_GRPC_STATUS_CODE, number)
        span.set_attribute(ERROR_TYPE, reason)
        if code in SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
    elif not (type(span) is RecordingSpan and span.extend_block(shape.shared, shape.ended_ok)):
        span.set_attribute(RPC_GRPC_STATUS_CODE, number)
    span.end()
