"""Caller auth around every gateway RPC, outside telemetry: who calls, may they, what they used.

An api-layer concern, so it is its own wrapper rather than a part of the telemetry
middleware: the key is identified and admitted before anything else runs, and the
call runs on with the key id set (`caller_key_id`), so telemetry records it already
knowing the caller. A refused call never reaches the servicer; `on_refused` (the
telemetry middleware's `refused`, wired in app.py) still counts and traces it with
its status, then it ends with that status. A finished call's tokens are charged to
the key's budget. Like the telemetry middleware, it wraps each handler once at
registration instead of running as a per-call `grpc.aio.ServerInterceptor`, and
health and reflection are never wrapped (Kubernetes probes send no metadata). An upload
(client-streaming or bidi) is admitted on its first message, the config naming the model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from modelgate.api.auth import Authenticator, caller_key_id
from modelgate.api.status import abort
from modelgate.errors import GatewayError
from modelgate.records import usage_holder
from modelgate.request_streams import first_of, requested_model

Context = grpc.aio.ServicerContext[Any, Any]
Refused = Callable[[str, Any, Context, GatewayError], None]
"""(rpc, request, context, error): told of a call auth refused, before it ends."""


class AuthGate:
    """Identifies and admits the caller of each RPC before it runs; charges it after."""

    def __init__(self, auth: Authenticator, *, on_refused: Refused | None = None) -> None:
        self.auth = auth
        """The keys in force (a reload replaces it)."""
        self.on_refused = on_refused

    def wrap(
        self, service: str, rpc: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        """The handler of `rpc` with auth around it (the gateway service only registers here)."""
        if handler.unary_unary is not None:
            behavior: Any = handler.unary_unary

            async def unary(request: Any, context: Context) -> Any:
                auth = await self._admit(rpc, request, context)
                response = await behavior(request, context)
                self._charge(auth, response)
                return response

            return grpc.unary_unary_rpc_method_handler(
                unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            behavior_stream: Any = handler.unary_stream

            async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
                auth = await self._admit(rpc, request, context)
                last = None
                async for event in behavior_stream(request, context):
                    last = event
                    yield event
                self._charge(auth, last)

            return grpc.unary_stream_rpc_method_handler(
                stream, handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_unary is not None:
            behavior_upload: Any = handler.stream_unary

            async def upload(requests: AsyncIterator[Any], context: Context) -> Any:
                first, whole = await first_of(requests)
                auth = await self._admit(rpc, first, context)
                response = await behavior_upload(whole, context)
                self._charge(auth, response)
                return response

            return grpc.stream_unary_rpc_method_handler(
                upload, handler.request_deserializer, handler.response_serializer
            )
        behavior_bidi: Any = handler.stream_stream

        async def bidi(requests: AsyncIterator[Any], context: Context) -> AsyncIterator[Any]:
            first, whole = await first_of(requests)
            auth = await self._admit(rpc, first, context)
            last = None
            async for event in behavior_bidi(whole, context):
                last = event
                yield event
            self._charge(auth, last)

        return grpc.stream_stream_rpc_method_handler(
            bidi, handler.request_deserializer, handler.response_serializer
        )

    async def _admit(self, rpc: str, request: Any, context: Context) -> Authenticator:
        """The authenticator that admitted the call (fixed for the call, whatever a reload
        does meanwhile), with `caller_key_id` set; else the call ends with auth's status."""
        auth = self.auth
        try:
            key = auth.identify(context.invocation_metadata())
            await auth.admit(key, requested_model(request))
        except GatewayError as error:
            if self.on_refused is not None:
                self.on_refused(rpc, request, context, error)
            await abort(context, error)
        caller_key_id.set(key.id)
        return auth

    @staticmethod
    def _charge(auth: Authenticator, result: Any) -> None:
        done = usage_holder(result) if result is not None else None
        if done is not None:
            auth.charge(caller_key_id.get(), done.usage.input_tokens + done.usage.output_tokens)
