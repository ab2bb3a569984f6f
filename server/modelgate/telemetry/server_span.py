"""The SERVER span of a gateway RPC: its name and shared attributes, and how it ends (the
gRPC semantic conventions' status rules)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import grpc
from opentelemetry.semconv._incubating.attributes.rpc_attributes import (
    RPC_GRPC_STATUS_CODE,
    RPC_METHOD,
    RPC_SERVICE,
    RPC_SYSTEM,
)
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Status, StatusCode

from modelgate.telemetry.span_recorder import RecordingSpan

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


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def server_span_shape(rpc: str, model: str) -> tuple[str, Mapping[str, Any]]:
    """A SERVER span's name and the attributes every call of `rpc` for `model` shares:
    one read-only block, framed once by the encoder (`model` is a catalog id or
    "unknown", so the cache stays small)."""
    shared = {RPC_SYSTEM: "grpc", RPC_SERVICE: SERVICE, RPC_METHOD: rpc}
    shared["modelgate.requested_model"] = model
    return f"{SERVICE}/{rpc}", MappingProxyType(shared)


_OK = grpc.StatusCode.OK


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def _ended_ok(rpc: str, model: str) -> Mapping[str, Any]:
    """`server_span_shape`'s block with the OK status code after it: what a SERVER span
    that nothing else was set on ends with (one read-only block, framed once)."""
    shared = server_span_shape(rpc, model)[1]
    return MappingProxyType({**shared, RPC_GRPC_STATUS_CODE: _OK._value_[0]})


def end_server_span(span: Any, rpc: str, model: str, code: grpc.StatusCode, reason: str) -> None:
    """The status code always; on a failure `error.type` (`reason`), and ERROR status only
    for the server's own failures. The usual end (OK, nothing set on the span since it
    started under the shape of `rpc` and `model`) swaps in that shape's block with the
    status code: the same attributes in the same order, framed once by the encoder."""
    # `_value_`, the member's own attribute: `.value` is a Python property, and a dict
    # keyed by the member would call the enum's Python `__hash__`.
    number = code._value_[0]
    if code is not _OK:
        span.set_attribute(RPC_GRPC_STATUS_CODE, number)
        span.set_attribute(ERROR_TYPE, reason)
        if code in SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
    elif (
        type(span) is RecordingSpan
        and span.base is server_span_shape(rpc, model)[1]
        and not span.attributes
        and not span.ended
    ):
        span.base = _ended_ok(rpc, model)
    else:
        span.set_attribute(RPC_GRPC_STATUS_CODE, number)
    span.end()
