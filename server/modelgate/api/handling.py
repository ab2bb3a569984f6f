"""The one shape of every RPC, written once: the servicer's methods only say what to call.

Each handler reads `routing` once (a reload swaps it; the call keeps its snapshot),
rejects undecodable bytes, validates, builds the backend's call context, caps
streams and ends any failure with its status (`abort`). The decorated method gets
that snapshot and the call context and returns what the RPC answers: an awaitable
for unary RPCs (no extra coroutine on the hot path), an async generator for streams.
Upload RPCs (client-streaming, bidi) get the caller's `Upload` in place of a request.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeAlias, TypeVar, overload

import grpc

from modelgate.api.decoding import ensure_decoded
from modelgate.api.live import Routing
from modelgate.api.media_upload import Upload
from modelgate.api.status import abort, call_context
from modelgate.api.stream_cap import capped_stream
from modelgate.config import LimitsConfig
from modelgate.providers.base import CallContext

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
Request = TypeVar("Request")
Response = TypeVar("Response")
Event = TypeVar("Event")
Validate: TypeAlias = Callable[[Request, LimitsConfig], None]


class Serving(Protocol):
    """What the wrappers need of the servicer: the routing snapshot of the moment."""

    routing: Routing


Servicer = TypeVar("Servicer", bound=Serving)


class Unary(Protocol[Request]):
    """Turns `serve(self, live, request, call) -> awaitable answer` into the RPC's handler."""

    def __call__(
        self,
        serve: Callable[[Servicer, Routing, Request, CallContext], Awaitable[Response]],
        /,
    ) -> Callable[[Servicer, Request, Context], Coroutine[Any, Any, Response]]: ...


class ServerStreaming(Protocol[Request]):
    """Turns `serve(self, live, request, call) -> async generator` into the RPC's handler."""

    def __call__(
        self,
        serve: Callable[[Servicer, Routing, Request, CallContext], AsyncGenerator[Event, None]],
        /,
    ) -> Callable[[Servicer, Request, Context], AsyncIterator[Event]]: ...


class AnyUnary(Protocol):
    """`Unary` for a request of any type (no validator to fix it)."""

    def __call__(
        self,
        serve: Callable[[Servicer, Routing, Request, CallContext], Awaitable[Response]],
        /,
    ) -> Callable[[Servicer, Request, Context], Coroutine[Any, Any, Response]]: ...


class AnyServerStreaming(Protocol):
    """`ServerStreaming` for a request of any type (no validator to fix it)."""

    def __call__(
        self,
        serve: Callable[[Servicer, Routing, Request, CallContext], AsyncGenerator[Event, None]],
        /,
    ) -> Callable[[Servicer, Request, Context], AsyncIterator[Event]]: ...


@overload
def unary() -> AnyUnary: ...
@overload
def unary(validate: Validate[Request]) -> Unary[Request]: ...
def unary(validate: Validate[Request] | None = None) -> Unary[Request] | AnyUnary:
    """A unary RPC handler: decode check, `validate`, call context, `serve`, abort."""

    def wrap(
        serve: Callable[[Servicer, Routing, Request, CallContext], Awaitable[Response]],
    ) -> Callable[[Servicer, Request, Context], Coroutine[Any, Any, Response]]:
        async def handler(self: Servicer, request: Request, context: Context) -> Response:
            live = self.routing
            try:
                ensure_decoded(request)
                if validate is not None:
                    validate(request, live.limits)
                return await serve(self, live, request, call_context(context, live.limits, request))
            except Exception as exc:
                await abort(context, exc)

        handler.__name__ = handler.__qualname__ = serve.__name__
        return handler

    return wrap


@overload
def server_streaming(*, capped: bool = True) -> AnyServerStreaming: ...
@overload
def server_streaming(
    validate: Validate[Request], *, capped: bool = True
) -> ServerStreaming[Request]: ...
def server_streaming(
    validate: Validate[Request] | None = None, *, capped: bool = True
) -> ServerStreaming[Request] | AnyServerStreaming:
    """A server-streaming RPC handler: as `unary`, and a `capped` stream ends
    RESOURCE_EXHAUSTED after `limits.stream_max_seconds`."""

    def wrap(
        serve: Callable[[Servicer, Routing, Request, CallContext], AsyncGenerator[Event, None]],
    ) -> Callable[[Servicer, Request, Context], AsyncIterator[Event]]:
        async def handler(
            self: Servicer, request: Request, context: Context
        ) -> AsyncIterator[Event]:
            live = self.routing
            try:
                ensure_decoded(request)
                if validate is not None:
                    validate(request, live.limits)
                events = serve(self, live, request, call_context(context, live.limits, request))
                stream: AsyncIterator[Event] = (
                    capped_stream(events, live.limits.stream_max_seconds) if capped else events
                )
                async for event in stream:
                    yield event
            except Exception as exc:
                await abort(context, exc)

        handler.__name__ = handler.__qualname__ = serve.__name__
        return handler

    return wrap


UploadUnary: TypeAlias = Callable[[Any, Routing, Upload, CallContext], Awaitable[Response]]
UploadStream: TypeAlias = Callable[[Any, Routing, Upload, CallContext], AsyncGenerator[Event, None]]


def client_streaming(
    serve: UploadUnary[Response],
) -> Callable[[Any, AsyncIterator[Any], Context], Coroutine[Any, Any, Response]]:
    """A client-streaming (upload) RPC handler: the first message is read and validated as
    the config (`Upload.read_config`), then `serve` reads the audio as the backend asks."""

    async def handler(self: Serving, requests: AsyncIterator[Any], context: Context) -> Response:
        live = self.routing
        try:
            upload = Upload(requests, live.limits)
            await upload.read_config()
            return await serve(self, live, upload, call_context(context, live.limits, None))
        except Exception as exc:
            await abort(context, exc)

    handler.__name__ = handler.__qualname__ = serve.__name__
    return handler


def bidi_streaming(
    serve: UploadStream[Event],
) -> Callable[[Any, AsyncIterator[Any], Context], AsyncIterator[Event]]:
    """A bidi (upload in, events out) RPC handler: as `client_streaming`, with the answer
    streamed under `limits.stream_max_seconds`."""

    async def handler(
        self: Serving, requests: AsyncIterator[Any], context: Context
    ) -> AsyncIterator[Event]:
        live = self.routing
        try:
            upload = Upload(requests, live.limits)
            await upload.read_config()
            events = serve(self, live, upload, call_context(context, live.limits, None))
            async for event in capped_stream(events, live.limits.stream_max_seconds):
                yield event
        except Exception as exc:
            await abort(context, exc)

    handler.__name__ = handler.__qualname__ = serve.__name__
    return handler
