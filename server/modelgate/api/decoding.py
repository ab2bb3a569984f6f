"""How request bytes become messages: undecodable ones, and the streaming RPCs' twins.

grpcio answers a request whose bytes do not parse (corrupt wire format, bad
UTF-8 in a string field) with UNKNOWN, and that is a client mistake. The
generated registration is reused unchanged; only each handler's deserializer
is wrapped so a parse failure yields an `Undecodable` marker the servicer
rejects with a precise status.

The contract keeps `StreamChatRequest` and `StreamCompleteRequest` beside their
unary twins (docs/design.md, "Why requests are duplicated"), but each is
wire-identical to its twin (tests/unit/test_wire_twins.py), so their bytes are
decoded as the twin: the server sees one request type per operation, at no cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from modelgate.errors import undecodable
from modelgate.v1 import chat_pb2, completion_pb2

HandlerWrapper = Callable[[str, str, Any], Any]
"""(service, method, handler) -> the handler to register."""

DECODED_AS: Mapping[str, Callable[[bytes], Any]] = {
    "modelgate.v1.ModelGateway/StreamChat": chat_pb2.ChatRequest.FromString,
    "modelgate.v1.ModelGateway/StreamComplete": completion_pb2.CompleteRequest.FromString,
}
"""Methods ("service/method") whose request is decoded as its wire-identical unary twin."""


class Undecodable:
    """Stands in for request bytes that are not a valid message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _tolerant(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError as exc:
            return Undecodable(str(exc))

    return decode


def ensure_decoded(request: object) -> None:
    """Raise INVALID_ARGUMENT when the request bytes did not parse."""
    if isinstance(request, Undecodable):
        raise undecodable(request.reason)


class TolerantRegistration:
    """Stands in for the server in a generated `add_*Servicer_to_server` call.

    The generated code registers the same handlers twice (generic, then by
    method); both go through here with tolerant deserializers. `wrap`, when
    given, puts middleware around each handler once, here, instead of a
    per-call server interceptor.
    """

    def __init__(self, server: grpc.aio.Server, wrap: HandlerWrapper | None = None) -> None:
        self.server = server
        self.wrap = wrap

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        """Ignored: the same handlers arrive again through the registered path."""

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, Any]) -> None:
        """Register `handlers` with their deserializers wrapped."""
        wrapped = {
            name: handler._replace(
                request_deserializer=_tolerant(
                    DECODED_AS.get(f"{service}/{name}", handler.request_deserializer)
                )
            )
            for name, handler in handlers.items()
        }
        if self.wrap is not None:
            wrapped = {name: self.wrap(service, name, h) for name, h in wrapped.items()}
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, wrapped),)
        )
        self.server.add_registered_method_handlers(service, wrapped)
