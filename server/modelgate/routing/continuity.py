"""Conversation continuity as a layer: `previous_response_id` on every provider.

Before the call: the plan is made (a conversation its upstream holds keeps only
deployments that can continue it, `Router.continuing`), and when the gateway holds
the conversation the request passed on is a copy with the stored history first
(the caller's request is left as it came); the plan is fitted to the request
after that, the history counting too. After the call: the conversation with its
answer is stored under the answer's id, per caller (`CallContext.caller`), for
the next request to name, with the conversation's id (its first answer's, which every
turn keeps: `CallContext.conversation_id`, the spans' `gen_ai.conversation.id`); a
stream's answer is rebuilt from its deltas.
"""

from __future__ import annotations

from typing_extensions import override

from modelgate.providers.base import CallContext
from modelgate.routing.catalog import Deployment
from modelgate.routing.context_window import fit_plan
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.routing.memory import Memory, R
from modelgate.routing.router import CHAT, STREAM_CHAT, Capability, Router
from modelgate.routing.transcript import Transcript
from modelgate.v1 import chat_pb2


class Continuity(Layer):
    """Continues stored conversations and stores each answered one (Chat, StreamChat)."""

    def __init__(self, inner: Calls, memory: Memory, router: Router) -> None:
        super().__init__(inner)
        self.memory = memory
        self.router = router

    async def _continued(
        self, request: R, call: CallContext, plan: Plan | None, capabilities: tuple[Capability, ...]
    ) -> tuple[R, Plan]:
        router = self.router
        plan = router.continuing(
            request, router.plan(request.model, *capabilities) if plan is None else plan
        )
        if request.previous_response_id and plan[0].target.conversation != "upstream":
            request, call.conversation_id = await self.memory.with_history(request, call.caller)
        return request, fit_plan(plan, request)

    @override
    async def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> chat_pb2.ChatResponse:
        request, plan = await self._continued(request, call, plan, CHAT)
        response = await self.inner.chat(request, call, plan)
        served = _served(plan, response.model)
        await self.memory.remember(
            request,
            response.id,
            response.content,
            served,
            call.caller,
            conversation_id=call.conversation_id,
        )
        return response

    @override
    async def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        request, plan = await self._continued(request, call, plan, STREAM_CHAT)
        transcript = Transcript()
        events = self.inner.stream_chat(request, call, plan)
        try:
            async for event in events:
                if event.HasField("end"):
                    end, content = event.end, transcript.content()
                    served = _served(plan, end.model)
                    await self.memory.remember(
                        request,
                        end.id,
                        content,
                        served,
                        call.caller,
                        conversation_id=call.conversation_id,
                    )
                else:
                    transcript.add(event)
                yield event
        finally:
            await events.aclose()


def _served(plan: Plan, model: str) -> Deployment:
    """The deployment of `plan` that answered as `model` (a fallback's, not the plan's
    first; the first for a cached answer from a deployment no longer in it)."""
    for deployment in plan:
        if deployment.record.id == model:
            return deployment
    return plan[0]
