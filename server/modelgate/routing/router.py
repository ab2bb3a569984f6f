"""Planning and the one attempts loop: the innermost layer of the call path.

Resolves the model or alias into a plan (deployments in strategy order, then
fallbacks), runs the attempts of `Attempts` over it, and stamps the facts of
the answer once, from the deployment that served (`routing.stamps`). Streams
retry or fall back only before their first output reached the caller. Whatever
else a call goes through (hooks, continuity, cache, structured output, usage
totals) is a layer in front of the router (`routing.layers`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeAlias, TypeVar

from modelgate.config import RoutingConfig
from modelgate.errors import GatewayError, alias_not_supported, not_supported, response_not_found
from modelgate.providers.base import CallContext
from modelgate.records import has_capability
from modelgate.routing.admission import Admission, admit
from modelgate.routing.attempts import Attempts
from modelgate.routing.balancer import order
from modelgate.routing.catalog import Catalog, Deployment
from modelgate.routing.context_window import fit_plan
from modelgate.routing.layers import Plan, Stream
from modelgate.routing.stamps import new_response_id, stamp_answer, stamp_served
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

Capability: TypeAlias = model_pb2.Capability.ValueType
T = TypeVar("T")
_OPERATION_NAMES: dict[int, str] = {
    model_pb2.CAPABILITY_CHAT: "Chat",
    model_pb2.CAPABILITY_COMPLETION: "Complete",
    model_pb2.CAPABILITY_EMBEDDING: "Embed",
    model_pb2.CAPABILITY_STREAMING: "streaming",
    model_pb2.CAPABILITY_IMAGE_GENERATION: "GenerateImage",
    model_pb2.CAPABILITY_TRANSCRIPTION: "Transcribe",
    model_pb2.CAPABILITY_SPEECH: "Speak",
}
CHAT = (model_pb2.CAPABILITY_CHAT,)
STREAM_CHAT = (model_pb2.CAPABILITY_CHAT, model_pb2.CAPABILITY_STREAMING)
COMPLETE = (model_pb2.CAPABILITY_COMPLETION,)
STREAM_COMPLETE = (model_pb2.CAPABILITY_COMPLETION, model_pb2.CAPABILITY_STREAMING)
EMBED = (model_pb2.CAPABILITY_EMBEDDING,)


class Router:
    """Plans calls over the catalog's deployments and runs their attempts."""

    def __init__(self, catalog: Catalog, config: RoutingConfig | None = None) -> None:
        self.catalog = catalog
        self.config = config or RoutingConfig()

    def plan(self, model: str, *capabilities: Capability) -> Plan:
        """Deployments to try for `model`, in order; errors when nothing can serve."""
        alias = self.catalog.aliases.get(model)
        if alias is None:
            primary = self.catalog.resolve(model)
            for capability in capabilities:
                if not has_capability(primary.record, capability):
                    raise not_supported(
                        primary.record.id,
                        _OPERATION_NAMES.get(capability, "this operation"),
                        self.catalog.ids_with(capability),
                    )
            ids = [primary.record.id, *self.catalog.fallbacks.get(primary.record.id, ())]
        else:
            weighted = [(d.model, d.weight) for d in alias.deployments]
            ids = [*order(alias.strategy, weighted, self.catalog.stats), *alias.fallbacks]
        plan: Plan = []
        for model_id in ids:
            deployment = self.catalog.resolve(model_id)
            capable = all(has_capability(deployment.record, c) for c in capabilities)
            if capable and deployment not in plan:
                plan.append(deployment)
        if not plan:
            raise alias_not_supported(model)
        return plan

    def continuing(self, request: chat_pb2.ChatRequest, plan: Plan) -> Plan:
        """`plan` for a request continuing a conversation that its upstream may hold.

        The plan's first choice decides who holds the history. When its upstream
        does (`conversation: upstream`), only deployments continuing on that same
        runtime stay in the plan: elsewhere the id means nothing and the history
        would be lost.
        """
        first = plan[0]
        if not request.previous_response_id or first.target.conversation != "upstream":
            return plan
        return [
            d
            for d in plan
            if d.target.conversation == "upstream" and d.record.runtime == first.record.runtime
        ]

    def route_chat(self, request: chat_pb2.ChatRequest, *capabilities: Capability) -> Plan:
        """The plan for a chat request no layer planned, fitted to its length.

        A `previous_response_id` still set here is one only the upstream can continue
        (the gateway's own store is the continuity layer's), else it is unknown.
        """
        plan = self.continuing(request, self.plan(request.model, *capabilities))
        _check_continuation(request, plan[0])
        return fit_plan(plan, request)

    async def _unary(
        self,
        plan: Plan,
        call: CallContext,
        invoke: Callable[[Deployment], Awaitable[T]],
        refusals: Mapping[str, GatewayError] | None = None,
    ) -> tuple[T, Deployment, int]:
        attempts = Attempts(plan, self.catalog.stats, self.config, call, refusals)
        while True:
            deployment = attempts.next()
            try:
                result = await invoke(deployment)
            except GatewayError as error:
                await attempts.failed(error)
                continue
            except BaseException:
                attempts.ended_without_verdict()
                raise
            attempts.succeeded()
            return result, deployment, attempts.count

    async def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> chat_pb2.ChatResponse:
        """One chat answer over `plan` (planned here when no layer did), with retries and
        fallbacks."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        planned = self.route_chat(request, *CHAT) if plan is None else plan
        admitted = admit(planned, request, "chat")
        response, deployment, count = await self._unary(
            admitted.plan,
            call,
            lambda d: d.backend.chat(d.target, admitted.request_for(d), call),
            admitted.refusals,
        )
        admitted.note(deployment, response.metadata)
        stamp_answer(response, deployment, started, count, call.response_id)
        return response

    async def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> completion_pb2.CompleteResponse:
        """One completion, retried and falling back per the routing rules."""
        started = time.perf_counter()
        call.response_id = new_response_id()
        planned = self.plan(request.model, *COMPLETE) if plan is None else plan
        admitted = admit(planned, request, "complete")
        response, deployment, count = await self._unary(
            admitted.plan,
            call,
            lambda d: d.backend.complete(d.target, admitted.request_for(d), call),
            admitted.refusals,
        )
        admitted.note(deployment, response.metadata)
        stamp_answer(response, deployment, started, count, call.response_id)
        return response

    async def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext, plan: Plan | None = None
    ) -> embedding_pb2.EmbedResponse:
        """Embeddings, retried and falling back per the routing rules."""
        started = time.perf_counter()
        planned = self.plan(request.model, *EMBED) if plan is None else plan
        response, deployment, _count = await self._unary(
            planned, call, lambda d: d.backend.embed(d.target, request, call)
        )
        stamp_served(response, deployment, started)
        return response

    async def count_tokens(
        self, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """Token count from the backend that knows the model's tokenizer."""
        deployment = self.plan(request.model)[0]
        response = await deployment.backend.count_tokens(deployment.target, request, call)
        if not response.context_window:
            response.context_window = deployment.record.context_window
        return response

    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        """Attempt markers, deltas of the attempt that produced output, then the end."""
        planned = self.route_chat(request, *STREAM_CHAT) if plan is None else plan
        admitted = admit(planned, request, "chat")
        Event = chat_pb2.StreamChatResponse
        return self._stream(
            admitted,
            call,
            lambda d: d.backend.stream_chat(d.target, admitted.request_for(d), call),
            lambda attempt: Event(attempt=attempt),
        )

    def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[completion_pb2.StreamCompleteResponse]:
        """Attempt markers, text deltas of the attempt that produced output, then the end."""
        planned = self.plan(request.model, *STREAM_COMPLETE) if plan is None else plan
        admitted = admit(planned, request, "complete")
        Event = completion_pb2.StreamCompleteResponse
        return self._stream(
            admitted,
            call,
            lambda d: d.backend.stream_complete(d.target, admitted.request_for(d), call),
            lambda attempt: Event(attempt=attempt),
        )

    async def _stream(
        self,
        admitted: Admission[Any],
        call: CallContext,
        open_stream: Callable[[Deployment], AsyncIterator[T]],
        marker: Callable[[stream_pb2.AttemptStarted], T],
    ) -> Stream[T]:
        started = time.perf_counter()
        call.response_id = new_response_id()
        attempts = Attempts(
            admitted.plan,
            self.catalog.stats,
            self.config,
            call,
            admitted.refusals,
            streaming=True,
        )
        while True:
            deployment = attempts.next()
            events = open_stream(deployment)
            # The upstream request goes out before the marker is sent: grpc.aio
            # completes every sent message through its poller thread, so sending
            # first would hold the upstream call back by a thread round trip
            # (~0.2 ms of TTFT, `python -m bench.ttft_breakdown`). The marker still
            # reaches the caller before any delta of this attempt.
            first = asyncio.ensure_future(_first_event(events))
            delivered = False
            try:
                yield marker(_attempt(deployment, attempts))
                event: Any = await first  # StreamChat or StreamComplete response
                if event is None:
                    return
                delivered = True
                attempts.succeeded()
                if event.HasField("end"):
                    _stamp_end(admitted, deployment, event.end, started, attempts)
                yield event
                async for event in events:
                    if event.HasField("end"):
                        _stamp_end(admitted, deployment, event.end, started, attempts)
                    yield event
                return
            except GatewayError as error:
                if delivered:
                    raise  # output reached the caller: never retry, never send text twice
                await attempts.failed(error)
            except BaseException:
                if not delivered:
                    attempts.ended_without_verdict()
                raise
            finally:
                if not first.done():  # the caller left before the upstream answered
                    first.cancel()
                    first.add_done_callback(_retrieve)


async def _first_event(events: AsyncIterator[T]) -> T | None:
    """The first event of `events`, or None when it has none (events are never None)."""
    return await anext(events, None)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Consume an abandoned attempt's outcome so asyncio does not log it as unhandled."""
    if not task.cancelled():
        task.exception()


def _attempt(deployment: Deployment, attempts: Attempts) -> stream_pb2.AttemptStarted:
    record = deployment.record
    previous = attempts.last_error.reason_name if attempts.last_error is not None else ""
    return stream_pb2.AttemptStarted(
        attempt=attempts.count,
        kind=attempts.kind,
        model=record.id,
        provider=record.provider,
        runtime=record.runtime,
        previous_error_reason=previous,
    )


def _stamp_end(
    admitted: Admission[Any], deployment: Deployment, end: Any, started: float, attempts: Attempts
) -> None:
    admitted.note(deployment, end.metadata)
    stamp_answer(end, deployment, started, attempts.count, attempts.call.response_id)


def _check_continuation(request: chat_pb2.ChatRequest, deployment: Deployment) -> None:
    """Continuation is native with `conversation: upstream`; the gateway's store serves the rest."""
    if request.previous_response_id and deployment.target.conversation != "upstream":
        raise response_not_found(request.previous_response_id)
