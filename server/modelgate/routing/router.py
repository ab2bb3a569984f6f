"""The call path from a validated request to backends and back.

Resolves the model or alias into a plan (deployments in strategy order, then
fallbacks), runs the attempts of `Attempts` over it, and stamps what every
response carries (gateway id, latency, cost, the model that served). Streams
retry or fall back only before their first output reached the caller.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeAlias, TypeVar

from modelgate.config import RoutingConfig
from modelgate.errors import (
    GatewayError,
    alias_not_supported,
    not_supported,
    response_not_found,
)
from modelgate.hooks.base import HookChain
from modelgate.providers.base import CallContext
from modelgate.records import has_capability
from modelgate.routing.admission import Admission, admit
from modelgate.routing.attempts import Attempts
from modelgate.routing.balancer import order
from modelgate.routing.catalog import Catalog, Deployment
from modelgate.routing.context_window import fit_plan
from modelgate.routing.cost import fill_cost
from modelgate.routing.memory import Memory, Transcript, replay
from modelgate.routing.structured import (
    enforce,
    invalid_output,
    set_structured,
    violations,
    wants_json,
)
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
}


def new_response_id() -> str:
    """A gateway response id: unguessable, so ids cannot be enumerated across callers."""
    return "resp_" + secrets.token_hex(12)


def set_latency(started: float, latency: object) -> None:
    """Write the time since `started` into a Duration field in place."""
    elapsed = time.perf_counter() - started
    seconds = int(elapsed)
    latency.seconds = seconds  # type: ignore[attr-defined]
    latency.nanos = int((elapsed - seconds) * 1e9)  # type: ignore[attr-defined]


class Router:
    """Routes calls to deployments of the catalog."""

    def __init__(
        self, catalog: Catalog, config: RoutingConfig | None = None, hooks: HookChain | None = None
    ) -> None:
        self.catalog = catalog
        self.config = config or RoutingConfig()
        self.hooks = hooks
        self.memory: Memory | None = None
        """Set once the state backend is open (Gateway.start)."""

    def plan(self, model: str, *capabilities: Capability) -> list[Deployment]:
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
        plan: list[Deployment] = []
        for model_id in ids:
            deployment = self.catalog.resolve(model_id)
            capable = all(has_capability(deployment.record, c) for c in capabilities)
            if capable and deployment not in plan:
                plan.append(deployment)
        if not plan:
            raise alias_not_supported(model)
        return plan

    async def _unary(
        self,
        plan: list[Deployment],
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

    async def chat(self, request: chat_pb2.ChatRequest, call: CallContext) -> chat_pb2.ChatResponse:
        """One chat answer: hooks, continuity, cache, retries and fallbacks, JSON validation."""
        admitted, hit = await self._prepare_chat(request, model_pb2.CAPABILITY_CHAT)
        if hit is not None:
            return hit
        memory = self.memory
        response, deployment = await self._chat_once(admitted, call)
        if wants_json(request):
            response = await enforce(
                request, response, lambda again: self._chat_again(again, call, admitted.plan)
            )
        if self.hooks is not None:
            await self.hooks.after(request, response)
        if memory is not None:
            # Keyed like the lookup in `_prepare_chat` (the plan's first choice), so
            # the next identical request finds it even when a fallback answered.
            await memory.store(request, admitted.plan[0], response)
            await memory.remember(request, response.id, response.content, deployment)
            await memory.count(deployment.record.id, response.usage, response.cost.total_usd)
        return response

    async def _prepare_chat(
        self, request: chat_pb2.ChatRequest, *capabilities: Capability
    ) -> tuple[Admission[chat_pb2.ChatRequest], chat_pb2.ChatResponse | None]:
        """Hooks, plan, continuation, parameters and cache lookup shared by Chat and StreamChat."""
        if self.hooks is not None:
            await self.hooks.before(request)
        plan = self.plan(request.model, *capabilities)
        memory = self.memory
        if memory is None:
            _check_continuation(request, plan[0])
            return admit(fit_plan(plan, request), request, "chat"), None
        plan = await memory.continue_conversation(request, plan)
        # After continuation: the replayed history counts too.
        admitted = admit(fit_plan(plan, request), request, "chat")
        hit = await memory.cached(request, admitted.plan[0])
        if hit is not None:
            hit.id = new_response_id()
            await memory.remember(request, hit.id, hit.content, admitted.plan[0])
        return admitted, hit

    async def _chat_again(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: list[Deployment]
    ) -> chat_pb2.ChatResponse:
        """A structured-output re-ask over the call's own plan, continuation rules included."""
        return (await self._chat_once(admit(fit_plan(plan, request), request, "chat"), call))[0]

    async def _chat_once(
        self, admitted: Admission[chat_pb2.ChatRequest], call: CallContext
    ) -> tuple[chat_pb2.ChatResponse, Deployment]:
        started = time.perf_counter()
        response, deployment, count = await self._unary(
            admitted.plan,
            call,
            lambda d: d.backend.chat(d.target, admitted.request_for(d), call),
            admitted.refusals,
        )
        if not response.id:
            response.id = new_response_id()
        admitted.note(deployment, response.metadata)
        _stamp_attempts(response.metadata, count)
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        set_latency(started, response.latency)
        return response, deployment

    async def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        """One completion, through the hooks, retried and falling back per the routing rules."""
        started = time.perf_counter()
        if self.hooks is not None:
            await self.hooks.before(request)
        admitted = admit(
            self.plan(request.model, model_pb2.CAPABILITY_COMPLETION), request, "complete"
        )
        response, deployment, count = await self._unary(
            admitted.plan,
            call,
            lambda d: d.backend.complete(d.target, admitted.request_for(d), call),
            admitted.refusals,
        )
        response.id = response.id or new_response_id()
        admitted.note(deployment, response.metadata)
        _stamp_attempts(response.metadata, count)
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        set_latency(started, response.latency)
        if self.hooks is not None:
            await self.hooks.after(request, response)
        return response

    async def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        """Embeddings, through the hooks, retried and falling back per the routing rules."""
        started = time.perf_counter()
        if self.hooks is not None:
            await self.hooks.before(request)
        plan = self.plan(request.model, model_pb2.CAPABILITY_EMBEDDING)
        response, deployment, _count = await self._unary(
            plan, call, lambda d: d.backend.embed(d.target, request, call)
        )
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        set_latency(started, response.latency)
        if self.hooks is not None:
            await self.hooks.after(request, response)
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

    async def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncGenerator[chat_pb2.StreamChatResponse, None]:
        """Attempt markers, deltas of the attempt that produced output, then the end."""
        hooks = self.hooks
        admitted, hit = await self._prepare_chat(
            request, model_pb2.CAPABILITY_CHAT, model_pb2.CAPABILITY_STREAMING
        )
        if hit is not None:
            for event in replay(hit):
                yield event
            return
        memory = self.memory
        transcript = Transcript() if memory is not None else None
        Event = chat_pb2.StreamChatResponse
        check = wants_json(request)
        pieces: list[str] = []
        async for event in self._stream(
            admitted,
            call,
            lambda d: d.backend.stream_chat(d.target, admitted.request_for(d), call),
            lambda attempt: Event(attempt=attempt),
        ):
            if check:
                if event.HasField("text_delta"):
                    pieces.append(event.text_delta.text)
                elif event.HasField("end"):
                    answer = "".join(pieces)
                    value, found = violations(request, answer)
                    if found:
                        raise invalid_output(answer, found, 1)
                    set_structured(event.end, value, answer)
            if hooks is not None:
                hooks.on_chunk(request, event)
            if transcript is not None and memory is not None:
                if event.HasField("end"):
                    end = event.end
                    await memory.remember(request, end.id, transcript.content(), admitted.plan[0])
                    await memory.count(end.model, end.usage, end.cost.total_usd)
                else:
                    transcript.add(event)
            yield event

    async def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncGenerator[completion_pb2.StreamCompleteResponse, None]:
        """Attempt markers, text deltas and the end (every event through the chunk hooks)."""
        hooks = self.hooks
        if hooks is not None:
            await hooks.before(request)
        plan = self.plan(
            request.model, model_pb2.CAPABILITY_COMPLETION, model_pb2.CAPABILITY_STREAMING
        )
        admitted = admit(plan, request, "complete")
        Event = completion_pb2.StreamCompleteResponse
        async for event in self._stream(
            admitted,
            call,
            lambda d: d.backend.stream_complete(d.target, admitted.request_for(d), call),
            lambda attempt: Event(attempt=attempt),
        ):
            if hooks is not None:
                hooks.on_chunk(request, event)
            yield event

    async def _stream(
        self,
        admitted: Admission[Any],
        call: CallContext,
        open_stream: Callable[[Deployment], AsyncIterator[T]],
        marker: Callable[[stream_pb2.AttemptStarted], T],
    ) -> AsyncIterator[T]:
        started = time.perf_counter()
        attempts = Attempts(admitted.plan, self.catalog.stats, self.config, call, admitted.refusals)
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
                event = await first
                while event is not None:
                    if not delivered:
                        delivered = True
                        attempts.succeeded()
                    stream_event: Any = event  # StreamChat or StreamComplete response
                    if stream_event.HasField("end"):
                        admitted.note(deployment, stream_event.end.metadata)
                        _stamp_end(stream_event.end, deployment, started, attempts.count)
                    yield event
                    event = await anext(events, None)
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


def _stamp_attempts(metadata: object, count: int) -> None:
    if count > 1:
        metadata["attempts"] = str(count)  # type: ignore[index]


def _check_continuation(request: chat_pb2.ChatRequest, deployment: Deployment) -> None:
    """Continuation is native with `conversation: upstream`; the gateway's store serves the rest."""
    if request.previous_response_id and deployment.target.conversation != "upstream":
        raise response_not_found(request.previous_response_id)


def _stamp_end(
    end: stream_pb2.StreamEnd, deployment: Deployment, started: float, count: int
) -> None:
    if not end.id:
        end.id = new_response_id()
    _stamp_attempts(end.metadata, count)
    fill_cost(deployment.record.pricing, end.usage, end.cost)
    set_latency(started, end.latency)
