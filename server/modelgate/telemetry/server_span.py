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

SERVICE = "modelgate.v1.ModelGateway"
_CODE_NUMBER = {code: code.value[0] for code in grpc.StatusCode}
"""The wire number of each status (an enum's `.value` is a slow lookup)."""

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


@functools.lru_cache(maxsize=4096)
def server_span_shape(rpc: str, model: str) -> tuple[str, Mapping[str, Any]]:
    """A SERVER span's name and the attributes every call of `rpc` for `model` shares:
    one read-only block, framed once by the encoder (`model` is a catalog id or
    "unknown", so the cache stays small)."""
    shared = {RPC_SYSTEM: "grpc", RPC_SERVICE: SERVICE, RPC_METHOD: rpc}
    shared["modelgate.requested_model"] = model
    return f"{SERVICE}/{rpc}", MappingProxyType(shared)


def end_server_span(span: Any, code: grpc.StatusCode, reason: str) -> None:
    """The status code always; on a failure `error.type` (`reason`), and ERROR status only
    for the server's own failures."""
    span.set_attribute(RPC_GRPC_STATUS_CODE, _CODE_NUMBER[code])
    if code != grpc.StatusCode.OK:
        span.set_attribute(ERROR_TYPE, reason)
        if code in SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
    span.end()
