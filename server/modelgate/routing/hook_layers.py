"""Configured hooks (`modelgate.hooks`) as two layers: the request side and the answer side.

`BeforeHooks` is the outermost layer: a hook sees (and may rewrite or veto) the
caller's request before it is planned, continued or looked up in the cache, so a
veto holds for cached answers too. `AnswerHooks` sits inside continuity, cache and
usage totals: `after` and `on_chunk` see an answer before it is remembered or
cached (a redacted answer is stored redacted), and a cached answer, already seen
when it was stored, is not shown again. Each is assembled only when the chain has
a hook for its side.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import override

from modelgate.hooks.base import HookChain
from modelgate.providers.base import CallContext
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.v1 import chat_pb2, completion_pb2, embedding_pb2


class BeforeHooks(Layer):
    """Runs every `before` hook on the request of each call."""

    def __init__(self, inner: Calls, hooks: HookChain) -> None:
        super().__init__(inner)
        self.hooks = hooks

    @override
    async def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> chat_pb2.ChatResponse:
        await self.hooks.before(request)
        return await self.inner.chat(request, call, plan)

    @override
    async def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        await self.hooks.before(request)
        events = self.inner.stream_chat(request, call, plan)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    @override
    async def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> completion_pb2.CompleteResponse:
        await self.hooks.before(request)
        return await self.inner.complete(request, call, plan)

    @override
    async def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[completion_pb2.StreamCompleteResponse]:
        await self.hooks.before(request)
        events = self.inner.stream_complete(request, call, plan)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    @override
    async def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext, plan: Plan | None = None
    ) -> embedding_pb2.EmbedResponse:
        await self.hooks.before(request)
        return await self.inner.embed(request, call, plan)


class AnswerHooks(Layer):
    """Runs every `after` hook on unary answers and every `on_chunk` hook on stream events."""

    def __init__(self, inner: Calls, hooks: HookChain) -> None:
        super().__init__(inner)
        self.hooks = hooks

    async def _chunks(self, request: Any, events: Stream[Any]) -> Stream[Any]:
        on_chunk = self.hooks.on_chunk
        try:
            async for event in events:
                on_chunk(request, event)
                yield event
        finally:
            await events.aclose()

    @override
    async def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> chat_pb2.ChatResponse:
        answer = await self.inner.chat(request, call, plan)
        await self.hooks.after(request, answer)
        return answer

    @override
    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        events = self.inner.stream_chat(request, call, plan)
        return self._chunks(request, events) if self.hooks.chunk_hooks else events

    @override
    async def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> completion_pb2.CompleteResponse:
        answer = await self.inner.complete(request, call, plan)
        await self.hooks.after(request, answer)
        return answer

    @override
    def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[completion_pb2.StreamCompleteResponse]:
        events = self.inner.stream_complete(request, call, plan)
        return self._chunks(request, events) if self.hooks.chunk_hooks else events

    @override
    async def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext, plan: Plan | None = None
    ) -> embedding_pb2.EmbedResponse:
        answer = await self.inner.embed(request, call, plan)
        await self.hooks.after(request, answer)
        return answer
