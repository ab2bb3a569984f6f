"""The response cache as a layer: exact-match answers replayed for Chat and StreamChat.

Looked up and stored under the plan's first choice (so an identical request finds
an answer a fallback gave), only when the request's cache mode allows it
(`Memory.cache_mode`); with the mode BYPASS (the default for most models) the call
goes straight to the next layer. Unary answers are stored; a stream is served from
the cache as a replayed stream and is never stored. A cached answer gets a fresh id
and skips the layers inside this one (usage totals, answer hooks): it was counted
and seen when it was made. Entries are per caller key (`CallContext.caller`) unless
`state.cache_scope` is `shared`.
"""

from __future__ import annotations

from collections.abc import Awaitable

from typing_extensions import override

from modelgate.providers.base import CallContext
from modelgate.routing.catalog import Deployment
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.routing.memory import BYPASS, USE, Memory
from modelgate.routing.router import CHAT, STREAM_CHAT, Router
from modelgate.routing.stamps import new_response_id
from modelgate.routing.transcript import replay
from modelgate.v1 import chat_pb2


class ResponseCache(Layer):
    """Serves cached answers and caches fresh unary ones (Chat, StreamChat)."""

    def __init__(self, inner: Calls, memory: Memory, router: Router) -> None:
        super().__init__(inner)
        self.memory = memory
        self.router = router

    @override
    def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[chat_pb2.ChatResponse]:
        plan = self.router.route_chat(request, *CHAT) if plan is None else plan
        if self.memory.cache_mode(request, plan[0]) == BYPASS:
            return self.inner.chat(request, call, plan)
        return self._chat(request, call, plan)

    async def _chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan
    ) -> chat_pb2.ChatResponse:
        use = self.memory.cache_mode(request, plan[0]) == USE  # REFRESH stores, never looks up
        hit = await self._hit(request, plan[0], call.caller) if use else None
        if hit is not None:
            return hit
        response = await self.inner.chat(request, call, plan)
        await self.memory.store(request, plan[0], response, call.caller)
        return response

    @override
    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        plan = self.router.route_chat(request, *STREAM_CHAT) if plan is None else plan
        if self.memory.cache_mode(request, plan[0]) != USE:
            return self.inner.stream_chat(request, call, plan)
        return self._stream_chat(request, call, plan)

    async def _stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan
    ) -> Stream[chat_pb2.StreamChatResponse]:
        hit = await self._hit(request, plan[0], call.caller)
        if hit is not None:
            for event in replay(hit):
                yield event
            return
        events = self.inner.stream_chat(request, call, plan)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    async def _hit(
        self, request: chat_pb2.ChatRequest, first: Deployment, caller: str
    ) -> chat_pb2.ChatResponse | None:
        stats = self.router.catalog.stats.get(first.record.id)
        stats.cache_lookups += 1  # counted here, read at scrape time (collector.py)
        hit = await self.memory.cached(request, first, caller)
        if hit is not None:
            stats.cache_hits += 1
            hit.id = new_response_id()
        return hit
