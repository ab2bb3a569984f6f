"""Usage totals as a layer: each fresh chat answer's tokens and cost, per model and caller.

Counted from the facts the router stamped (the model that served, its usage and
cost) once the answer is complete: a unary answer when it returns, a stream at its
end event. Cached answers do not reach this layer (the cache sits outside it), so
they are not counted twice. A totals outage never fails a call (`Memory.count`).
"""

from __future__ import annotations

from typing_extensions import override

from modelgate.providers.base import CallContext
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.routing.memory import Memory
from modelgate.v1 import chat_pb2


class UsageTotals(Layer):
    """Adds Chat and StreamChat usage to the state backend's totals."""

    def __init__(self, inner: Calls, memory: Memory) -> None:
        super().__init__(inner)
        self.memory = memory

    @override
    async def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> chat_pb2.ChatResponse:
        response = await self.inner.chat(request, call, plan)
        await self.memory.count(
            response.model, response.usage, response.cost.total_usd, call.caller
        )
        return response

    @override
    async def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        events = self.inner.stream_chat(request, call, plan)
        try:
            async for event in events:
                if event.HasField("end"):
                    end = event.end
                    await self.memory.count(end.model, end.usage, end.cost.total_usd, call.caller)
                yield event
        finally:
            await events.aclose()
