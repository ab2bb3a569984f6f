"""Async client for the modelgate gateway (grpc.aio)."""

# `timeout` parameters are gRPC deadlines, which the server sees and honours;
# asyncio.timeout() would only stop waiting locally.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, cast

import grpc

from modelgate.client import _requests as rq
from modelgate.client._common import (
    AsyncGatewayStub,
    AsyncStreamCall,
    AsyncUnary,
    Metadata,
    MetadataLike,
    base_metadata,
    call_metadata,
)
from modelgate.client.errors import from_rpc_error
from modelgate.client.messages import JsonObjectLike, MessagesLike
from modelgate.client.service_config import (
    DEFAULT_SERVICE_CONFIG,
    channel_options,
    method_timeouts,
)
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    generation_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

__all__ = ["AsyncResponseStream", "AsyncTextStream", "ModelGateClient"]

T = TypeVar("T")
_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


class AsyncResponseStream(Generic[T]):
    """The messages of one server-streaming call, as an async iterator.

    Errors, including ones that end the stream after some events, are raised
    as `ModelGateError` subclasses. Leaving early cancels the call, so the
    gateway stops generating (and paying for) tokens nobody reads: use
    `async with` (or `aclose()`/`cancel()`) for deterministic cancellation; a
    stream dropped after `break` is also cancelled once it is garbage
    collected (immediately in CPython when nothing else references it).
    """

    def __init__(self, call: AsyncStreamCall[T]) -> None:
        self._call = call
        self._iterator: AsyncIterator[T] | None = None
        self._finished = False
        self._cancelled = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if self._finished:
            raise StopAsyncIteration
        if self._iterator is None:
            self._iterator = self._call.__aiter__()
        try:
            return await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finished = True
            raise
        except grpc.RpcError as exc:
            self._finished = True
            raise from_rpc_error(exc) from exc
        except asyncio.CancelledError:
            self._finished = True
            task = asyncio.current_task()
            if self._cancelled and not (task is not None and task.cancelling()):
                # cancel() from elsewhere ended the call: that is a normal end here.
                raise StopAsyncIteration from None
            self._call.cancel()
            raise
        except BaseException:
            self._finished = True
            self._call.cancel()
            raise

    def cancel(self) -> bool:
        """Cancel the call; iteration then stops. False if it had already finished."""
        self._cancelled = True
        self._finished = True
        return self._call.cancel()

    async def aclose(self) -> None:
        """Cancel the call if it is still running."""
        self.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_finished", True):
            with contextlib.suppress(Exception):
                self._call.cancel()


class AsyncTextStream:
    """Only the text deltas of a chat or completion stream.

    After iteration `end` holds the stream's `StreamEnd` (usage, finish
    reason, response id). Closing behaves as for `AsyncResponseStream`.
    """

    def __init__(
        self,
        events: AsyncResponseStream[chat_pb2.StreamChatResponse]
        | AsyncResponseStream[completion_pb2.StreamCompleteResponse],
    ) -> None:
        self.events = events
        self.end: stream_pb2.StreamEnd | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        async for event in self.events:
            kind = event.WhichOneof("event")
            if kind == "text_delta" and event.text_delta.text:
                return event.text_delta.text
            if kind == "end":
                self.end = event.end
        raise StopAsyncIteration

    def cancel(self) -> bool:
        """Cancel the call; iteration then stops."""
        return self.events.cancel()

    async def aclose(self) -> None:
        """Cancel the call if it is still running."""
        await self.events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class ModelGateClient:
    """Async client of `modelgate.v1.ModelGateway`.

    Create it inside a running event loop (grpc.aio binds the channel to the
    loop current at creation) and close it when done:

        async with ModelGateClient("localhost:50051", api_key="...") as client:
            response = await client.chat("gpt-4o", "Hello!")

    Args:
        target: "host:port" (or any gRPC target, e.g. "dns:///gw:443").
        credentials: TLS credentials (e.g. `grpc.ssl_channel_credentials()`);
            None connects in plaintext.
        api_key: Sent on every call as `authorization: Bearer <key>`. Use TLS
            for anything but loopback, or the key travels in clear text.
        metadata: Extra metadata sent on every call.
        timeout: Deadline in seconds for every call that does not pass its
            own; None: each method's timeout from `service_config`.
        service_config: Per-method timeouts and the retry policy (UNAVAILABLE
            only); see `modelgate.client.service_config`. None: no retries and
            no default deadlines.
        options: Extra channel options; they override the defaults by key.
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        api_key: str | None = None,
        metadata: MetadataLike = (),
        timeout: float | None = None,
        service_config: Mapping[str, Any] | None = DEFAULT_SERVICE_CONFIG,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        opts = channel_options(service_config, options)
        if credentials is None:
            channel = grpc.aio.insecure_channel(target, options=opts)
        else:
            channel = grpc.aio.secure_channel(target, credentials, options=opts)
        self._setup(
            channel,
            api_key=api_key,
            metadata=metadata,
            timeout=timeout,
            timeouts=method_timeouts(service_config),
        )

    @classmethod
    def from_channel(
        cls,
        channel: grpc.aio.Channel,
        *,
        api_key: str | None = None,
        metadata: MetadataLike = (),
        timeout: float | None = None,
    ) -> Self:
        """A client over a channel you built (custom interceptors, credentials...).

        The client then owns the channel: `close()` closes it. No per-method
        default deadlines apply (the channel's own service config governs), so
        consider passing `timeout`.
        """
        self = cls.__new__(cls)
        self._setup(channel, api_key=api_key, metadata=metadata, timeout=timeout, timeouts={})
        return self

    def _setup(
        self,
        channel: grpc.aio.Channel,
        *,
        api_key: str | None,
        metadata: MetadataLike,
        timeout: float | None,
        timeouts: dict[str, float],
    ) -> None:
        self._channel = channel
        self._stub = cast(AsyncGatewayStub, gateway_pb2_grpc.ModelGatewayStub(channel))
        self._metadata: Metadata = base_metadata(metadata, api_key)
        self._timeout = timeout
        self._timeouts = timeouts

    @property
    def channel(self) -> grpc.aio.Channel:
        """The underlying channel, e.g. for health checks or raw stubs."""
        return self._channel

    async def close(self, grace: float | None = None) -> None:
        """Close the channel; running calls are cancelled after `grace` seconds."""
        await self._channel.close(grace)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- plumbing --------------------------------------------------------

    def _call_args(
        self, method: str, timeout: float | None, metadata: MetadataLike | None
    ) -> tuple[float | None, Metadata | None]:
        """The call's deadline (per-call, else client-wide, else the method's
        default from the service config) and its metadata."""
        if timeout is None:
            timeout = self._timeout if self._timeout is not None else self._timeouts.get(method)
        return timeout, call_metadata(self._metadata, metadata)

    async def _unary(
        self,
        method: str,
        rpc: AsyncUnary[_Req, _Resp],
        request: _Req,
        timeout: float | None,
        metadata: MetadataLike | None,
    ) -> _Resp:
        deadline, md = self._call_args(method, timeout, metadata)
        try:
            return await rpc(request, timeout=deadline, metadata=md)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    # -- chat --------------------------------------------------------------

    async def chat(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        system: str | None = None,
        tools: Sequence[rq.ToolLike] | None = None,
        tool_choice: rq.ToolChoiceLike | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        extra: JsonObjectLike | None = None,
        generation: generation_pb2.GenerationConfig | None = None,
        response_format: rq.ResponseFormatLike | None = None,
        previous_response_id: str | None = None,
        cache: rq.CacheLike | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> chat_pb2.ChatResponse:
        """Generate the next assistant message.

        `messages` takes protos, plain strings (user turns), (role, text)
        tuples or {"role", "content"} dicts; `system` is prepended as a
        system message. Sampling keywords override `generation`. `tags` is
        the request's `metadata` map (recorded by the gateway), while
        `metadata` is gRPC call metadata. JSON (`extra`, tool parameters,
        schemas) is sent as text in the order given; read JSON answers as
        plain Python with `structured_output_of()` and `arguments_of()`.
        """
        request = rq.build_chat_request(
            chat_pb2.ChatRequest,
            model,
            messages,
            system_prompt=system,
            tools=tools,
            tool_choice=tool_choice,
            generation=rq.generation_config(
                generation,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                max_output_tokens=max_output_tokens,
                stop=stop,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                seed=seed,
                extra=extra,
            ),
            response_format=response_format,
            previous_response_id=previous_response_id,
            cache=cache,
            tags=tags,
            user=user,
        )
        return await self.chat_request(request, timeout=timeout, metadata=metadata)

    async def chat_request(
        self,
        request: chat_pb2.ChatRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> chat_pb2.ChatResponse:
        """Chat with a request you built yourself (full control over every field)."""
        return await self._unary("Chat", self._stub.Chat, request, timeout, metadata)

    def stream_chat(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        system: str | None = None,
        tools: Sequence[rq.ToolLike] | None = None,
        tool_choice: rq.ToolChoiceLike | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        extra: JsonObjectLike | None = None,
        generation: generation_pb2.GenerationConfig | None = None,
        response_format: rq.ResponseFormatLike | None = None,
        previous_response_id: str | None = None,
        cache: rq.CacheLike | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[chat_pb2.StreamChatResponse]:
        """Stream the next assistant message as attempt, delta and end events.

        Arguments as for `chat`. Iterate with `async for`; the call starts
        immediately, before the first event is read.
        """
        request = rq.build_chat_request(
            chat_pb2.StreamChatRequest,
            model,
            messages,
            system_prompt=system,
            tools=tools,
            tool_choice=tool_choice,
            generation=rq.generation_config(
                generation,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                max_output_tokens=max_output_tokens,
                stop=stop,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                seed=seed,
                extra=extra,
            ),
            response_format=response_format,
            previous_response_id=previous_response_id,
            cache=cache,
            tags=tags,
            user=user,
        )
        return self.stream_chat_request(request, timeout=timeout, metadata=metadata)

    def stream_chat_request(
        self,
        request: chat_pb2.StreamChatRequest | chat_pb2.ChatRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[chat_pb2.StreamChatResponse]:
        """StreamChat with a request you built (a ChatRequest is converted)."""
        deadline, md = self._call_args("StreamChat", timeout, metadata)
        call = self._stub.StreamChat(rq.as_stream_chat(request), timeout=deadline, metadata=md)
        return AsyncResponseStream(call)

    def stream_text(
        self,
        model: str,
        messages: MessagesLike = (),
        *,
        system: str | None = None,
        tools: Sequence[rq.ToolLike] | None = None,
        tool_choice: rq.ToolChoiceLike | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        extra: JsonObjectLike | None = None,
        generation: generation_pb2.GenerationConfig | None = None,
        response_format: rq.ResponseFormatLike | None = None,
        previous_response_id: str | None = None,
        cache: rq.CacheLike | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncTextStream:
        """Like `stream_chat`, yielding only the answer's text pieces.

        After the loop, `.end` on the returned stream holds usage and the
        finish reason.
        """
        return AsyncTextStream(
            self.stream_chat(
                model,
                messages,
                system=system,
                tools=tools,
                tool_choice=tool_choice,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                max_output_tokens=max_output_tokens,
                stop=stop,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                seed=seed,
                extra=extra,
                generation=generation,
                response_format=response_format,
                previous_response_id=previous_response_id,
                cache=cache,
                tags=tags,
                user=user,
                timeout=timeout,
                metadata=metadata,
            )
        )

    # -- completion --------------------------------------------------------

    async def complete(
        self,
        model: str,
        prompt: str,
        *,
        suffix: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        extra: JsonObjectLike | None = None,
        generation: generation_pb2.GenerationConfig | None = None,
        cache: rq.CacheLike | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> completion_pb2.CompleteResponse:
        """Continue a plain-text prompt (legacy completion)."""
        request = rq.build_complete_request(
            completion_pb2.CompleteRequest,
            model,
            prompt,
            suffix=suffix,
            generation=rq.generation_config(
                generation,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                max_output_tokens=max_output_tokens,
                stop=stop,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                seed=seed,
                extra=extra,
            ),
            cache=cache,
            tags=tags,
            user=user,
        )
        return await self.complete_request(request, timeout=timeout, metadata=metadata)

    async def complete_request(
        self,
        request: completion_pb2.CompleteRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> completion_pb2.CompleteResponse:
        """Complete with a request you built yourself."""
        return await self._unary("Complete", self._stub.Complete, request, timeout, metadata)

    def stream_complete(
        self,
        model: str,
        prompt: str,
        *,
        suffix: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        stop: str | Sequence[str] | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        extra: JsonObjectLike | None = None,
        generation: generation_pb2.GenerationConfig | None = None,
        cache: rq.CacheLike | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[completion_pb2.StreamCompleteResponse]:
        """Stream a plain-text completion as attempt, delta and end events.

        Wrap the result in `AsyncTextStream(...)` to get only the text.
        """
        request = rq.build_complete_request(
            completion_pb2.StreamCompleteRequest,
            model,
            prompt,
            suffix=suffix,
            generation=rq.generation_config(
                generation,
                temperature=temperature,
                top_p=top_p,
                top_k=top_k,
                max_output_tokens=max_output_tokens,
                stop=stop,
                presence_penalty=presence_penalty,
                frequency_penalty=frequency_penalty,
                seed=seed,
                extra=extra,
            ),
            cache=cache,
            tags=tags,
            user=user,
        )
        return self.stream_complete_request(request, timeout=timeout, metadata=metadata)

    def stream_complete_request(
        self,
        request: completion_pb2.StreamCompleteRequest | completion_pb2.CompleteRequest,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[completion_pb2.StreamCompleteResponse]:
        """StreamComplete with a request you built (a CompleteRequest is converted)."""
        deadline, md = self._call_args("StreamComplete", timeout, metadata)
        call = self._stub.StreamComplete(
            rq.as_stream_complete(request), timeout=deadline, metadata=md
        )
        return AsyncResponseStream(call)

    # -- embeddings and tokens ---------------------------------------------

    async def embed(
        self,
        model: str,
        inputs: str | Sequence[str],
        *,
        dimensions: int | None = None,
        tags: Mapping[str, str] | None = None,
        user: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> embedding_pb2.EmbedResponse:
        """Embed one text or a batch (1 to 2048); embeddings come back in input order."""
        request = embedding_pb2.EmbedRequest(
            model=model,
            inputs=[inputs] if isinstance(inputs, str) else list(inputs),
            metadata=dict(tags or {}),
            user=user or "",
        )
        if dimensions is not None:
            request.dimensions = dimensions
        return await self._unary("Embed", self._stub.Embed, request, timeout, metadata)

    async def count_tokens(
        self,
        model: str,
        *,
        text: str | None = None,
        messages: MessagesLike | None = None,
        system: str | None = None,
        tools: Sequence[rq.ToolLike] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> tokens_pb2.CountTokensResponse:
        """Count input tokens of plain `text`, or of `messages` (+ `tools`) as a prompt."""
        request = rq.build_count_tokens_request(
            model, text=text, messages=messages, system_prompt=system, tools=tools
        )
        return await self._unary("CountTokens", self._stub.CountTokens, request, timeout, metadata)

    # -- models ------------------------------------------------------------

    async def list_models_page(
        self,
        *,
        provider: str | None = None,
        runtime: str | None = None,
        capability: rq.CapabilityLike | None = None,
        available_only: bool = False,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> model_pb2.ListModelsResponse:
        """One page of models; pass `next_page_token` back as `page_token`."""
        request = rq.build_list_models_request(
            provider=provider,
            runtime=runtime,
            capability=capability,
            available_only=available_only,
            page_size=page_size,
            page_token=page_token,
        )
        return await self._unary("ListModels", self._stub.ListModels, request, timeout, metadata)

    async def list_models(
        self,
        *,
        provider: str | None = None,
        runtime: str | None = None,
        capability: rq.CapabilityLike | None = None,
        available_only: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncIterator[model_pb2.Model]:
        """Every model matching the filters, fetching pages as needed.

        `timeout` applies to each page request.
        """
        token = ""
        while True:
            page = await self.list_models_page(
                provider=provider,
                runtime=runtime,
                capability=capability,
                available_only=available_only,
                page_size=page_size,
                page_token=token,
                timeout=timeout,
                metadata=metadata,
            )
            for model in page.models:
                yield model
            if not page.next_page_token or page.next_page_token == token:
                return
            token = page.next_page_token

    async def get_model(
        self,
        id: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> model_pb2.Model:
        """One model's full record (id, short name or alias)."""
        request = model_pb2.GetModelRequest(id=id)
        response = await self._unary("GetModel", self._stub.GetModel, request, timeout, metadata)
        return response.model

    # -- local runtimes ----------------------------------------------------

    def pull_model(
        self,
        runtime: str,
        name: str,
        *,
        insecure: bool = False,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[model_pb2.PullModelResponse]:
        """Pull a model onto a local runtime, streaming progress.

        The default service config sets no timeout here: downloads can be huge.
        """
        request = model_pb2.PullModelRequest(runtime=runtime, name=name, insecure=insecure)
        deadline, md = self._call_args("PullModel", timeout, metadata)
        return AsyncResponseStream(self._stub.PullModel(request, timeout=deadline, metadata=md))

    async def delete_model(
        self,
        runtime: str,
        name: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Delete a model from a local runtime."""
        request = model_pb2.DeleteModelRequest(runtime=runtime, name=name)
        await self._unary("DeleteModel", self._stub.DeleteModel, request, timeout, metadata)

    async def list_running_models(
        self,
        runtime: str | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> list[model_pb2.RunningModel]:
        """Models loaded in local runtimes' memory (all runtimes unless `runtime`)."""
        request = model_pb2.ListRunningModelsRequest(runtime=runtime or "")
        response = await self._unary(
            "ListRunningModels", self._stub.ListRunningModels, request, timeout, metadata
        )
        return list(response.models)

    async def load_model(
        self,
        runtime: str,
        name: str,
        *,
        keep_alive: float | timedelta | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Load a model into memory; `keep_alive` seconds (negative: forever)."""
        request = model_pb2.LoadModelRequest(runtime=runtime, name=name)
        if keep_alive is not None:
            request.keep_alive.CopyFrom(rq.duration_proto(keep_alive))
        await self._unary("LoadModel", self._stub.LoadModel, request, timeout, metadata)

    async def unload_model(
        self,
        runtime: str,
        name: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Unload a model from a local runtime's memory."""
        request = model_pb2.UnloadModelRequest(runtime=runtime, name=name)
        await self._unary("UnloadModel", self._stub.UnloadModel, request, timeout, metadata)
