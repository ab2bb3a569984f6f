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
_ENDED_OK: dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
"""A shared block (by identity, kept beside) -> the same block with the OK status code
after it: what a SERVER span that nothing else was set on ends with."""


def end_server_span(span: Any, code: grpc.StatusCode, reason: str) -> None:
    """The status code always; on a failure `error.type` (`reason`), and ERROR status only
    for the server's own failures. The usual end (OK, and nothing set on the span since
    it started under its shared block) swaps in the shared block that has the status
    code too: the same attributes in the same order, framed once by the encoder."""
    # `_value_`, the member's own attribute: `.value` is a Python property, and a dict
    # keyed by the member would call the enum's Python `__hash__`.
    number = code._value_[0]
    if code is _OK:
        base = span.base if type(span) is RecordingSpan else None
        if base is not None and not span.attributes and not span.ended:
            kept = _ENDED_OK.get(id(base))
            if kept is None or kept[0] is not base:
                kept = _ENDED_OK[id(base)] = (base, _with_code(base, number))
            span.base = kept[1]
        else:
            span.set_attribute(RPC_GRPC_STATUS_CODE, number)
    else:
        span.set_attribute(RPC_GRPC_STATUS_CODE, number)
        span.set_attribute(ERROR_TYPE, reason)
        if code in SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
    span.end()


def _with_code(base: Mapping[str, Any], number: int) -> Mapping[str, Any]:
    if len(_ENDED_OK) >= _SHAPES_KEPT:  # reloads left too many shapes behind
        _ENDED_OK.clear()
    return MappingProxyType({**base, RPC_GRPC_STATUS_CODE: number})
