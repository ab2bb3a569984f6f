"""What the gateway remembers between calls: conversations, cached answers, usage totals.

Continuity works on every provider. Models with `conversation: upstream`
(Responses API servers that keep state: OpenAI proper by default) continue
natively, their `resp_...` id being ours; for the rest the gateway stores each
answered conversation under its own response id, per caller key, and replays it
when a request names it in `previous_response_id`, so the upstream never sees
the id.

The cache is exact-match over the canonical request (see state.cache.cache_key)
and only for answers that are reproducible: greedy (temperature 0) or seeded,
unless the caller opts in with `allow_sampled`. Unary answers are stored;
streams can be served from the cache as a replayed stream.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from typing_extensions import override

from modelgate.api.auth import caller_key_id
from modelgate.client.transcript import Transcript as ClientTranscript
from modelgate.config import StateConfig
from modelgate.errors import response_not_found, state_unavailable
from modelgate.providers.json_fields import arguments_text, tool_call
from modelgate.routing.catalog import Deployment
from modelgate.state.cache import cache_key
from modelgate.state.errors import StateUnavailableError
from modelgate.state.factory import State
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, stream_pb2

log = logging.getLogger(__name__)
_USE = generation_pb2.CACHE_MODE_USE
_REFRESH = generation_pb2.CACHE_MODE_REFRESH
_BYPASS = generation_pb2.CACHE_MODE_BYPASS


def _reproducible(request: Any) -> bool:
    generation = request.generation
    greedy = generation.HasField("temperature") and generation.temperature == 0
    return bool(greedy or generation.HasField("seed") or request.cache_control.allow_sampled)


class Memory:
    """Continuity, cache and totals over one State backend."""

    def __init__(self, state: State, config: StateConfig) -> None:
        self.state = state
        self.config = config

    async def continue_conversation(self, request: Any, plan: list[Deployment]) -> list[Deployment]:
        """Prepend the stored history named by `previous_response_id` (in place).

        The plan's first choice decides who holds the history. When its upstream
        does, only deployments continuing on that same runtime stay in the plan:
        elsewhere the id means nothing and the history would be lost.
        """
        previous = request.previous_response_id
        if not previous:
            return plan
        first = plan[0]
        if first.target.conversation == "upstream":
            return [
                d
                for d in plan
                if d.target.conversation == "upstream" and d.record.runtime == first.record.runtime
            ]
        try:
            history = await self.state.conversations.load(previous, caller_key_id.get())
        except StateUnavailableError as exc:
            raise state_unavailable("conversation store", exc) from exc
        if history is None:
            raise response_not_found(previous)
        current = list(request.messages)
        del request.messages[:]
        request.messages.extend(history)
        request.messages.extend(current)
        request.previous_response_id = ""
        return plan

    async def remember(
        self, request: Any, response_id: str, content: Any, deployment: Deployment
    ) -> None:
        """Store the conversation including the answer under `response_id`."""
        if deployment.target.conversation == "upstream":
            return
        answer = content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=content)
        try:
            await self.state.conversations.save(
                response_id, caller_key_id.get(), [*request.messages, answer], deployment.record.id
            )
        except StateUnavailableError as exc:
            # The answer exists and was paid for: deliver it; only its continuation is lost.
            log.warning("conversation %s not stored: %s", response_id, exc)

    def cache_mode(self, request: Any, deployment: Deployment) -> int:
        """USE, REFRESH or BYPASS for this request on this deployment."""
        mode: int = request.cache_control.mode
        if mode == generation_pb2.CACHE_MODE_UNSPECIFIED:
            mode = _USE if deployment.target.cache else _BYPASS
        if mode != _BYPASS and not _reproducible(request):
            return _BYPASS
        return mode

    async def cached(self, request: Any, deployment: Deployment) -> chat_pb2.ChatResponse | None:
        """A cached answer for the request, or None."""
        if self.cache_mode(request, deployment) != _USE:
            return None
        try:
            raw = await self.state.cache.get(cache_key(deployment.record.id, request))
        except StateUnavailableError:
            return None  # a cache outage is a miss, never a failed call
        if raw is None:
            return None
        response = chat_pb2.ChatResponse.FromString(raw)
        response.metadata["cache"] = "hit"
        return response

    async def store(
        self, request: Any, deployment: Deployment, response: chat_pb2.ChatResponse
    ) -> None:
        """Cache a fresh unary answer when the request's mode allows it."""
        if self.cache_mode(request, deployment) == _BYPASS:
            return
        key = cache_key(deployment.record.id, request)
        try:
            await self.state.cache.set(
                key, response.SerializeToString(), self.config.cache_ttl_seconds
            )
        except StateUnavailableError as exc:
            log.warning("response not cached: %s", exc)

    async def count(self, model: str, usage: generation_pb2.Usage, cost_usd: float) -> None:
        """Add a call's usage to the per-model, per-key totals."""
        with contextlib.suppress(StateUnavailableError):  # reporting must not fail calls
            await self.state.totals.add(
                model,
                caller_key_id.get() or "anonymous",
                usage.input_tokens,
                usage.output_tokens,
                cost_usd,
            )


class Transcript(ClientTranscript):
    """The client's stream folding (one source: `modelgate.client.transcript`), with tool
    calls normalized as unary answers carry them: arguments that are not a JSON object
    kept verbatim under `_raw_arguments`, and the deprecated Struct copy filled."""

    @override
    def tool_call(self, call_id: str, name: str, arguments_json: str) -> content_pb2.ToolCall:
        return tool_call(call_id, name, arguments_json)


def content_events(parts: Iterable[content_pb2.ContentPart]) -> list[chat_pb2.StreamChatResponse]:
    """Content parts as stream events in content order: each text part one delta, each
    tool call and reasoning part whole (what `Transcript` folds back into the same parts)."""
    Event = chat_pb2.StreamChatResponse
    events: list[chat_pb2.StreamChatResponse] = []
    calls = thoughts = 0
    for part in parts:
        kind = part.WhichOneof("data")
        if kind == "text" and part.text:
            events.append(Event(text_delta=stream_pb2.TextDelta(text=part.text)))
        elif kind == "tool_call":
            call = part.tool_call
            delta = stream_pb2.ToolCallDelta(
                index=calls, id=call.id, name=call.name, arguments_json=arguments_text(call)
            )
            events.append(Event(tool_call_delta=delta))
            calls += 1
        elif kind == "reasoning":
            events.append(Event(reasoning_delta=reasoning_delta(thoughts, part.reasoning)))
            thoughts += 1
    return events


def reasoning_delta(index: int, thought: content_pb2.Reasoning) -> stream_pb2.ReasoningDelta:
    """A whole reasoning part as one delta."""
    return stream_pb2.ReasoningDelta(
        index=index,
        text=thought.text,
        signature=thought.signature,
        encrypted=thought.encrypted,
        format=thought.format,
        id=thought.id,
        summary=thought.summary,
    )


def replay(response: chat_pb2.ChatResponse) -> list[chat_pb2.StreamChatResponse]:
    """A cached unary answer as stream events (see `content_events`)."""
    Event = chat_pb2.StreamChatResponse
    # The contract promises an attempt event first; a replay is the cache's "attempt".
    events = [
        Event(
            attempt=stream_pb2.AttemptStarted(
                attempt=1,
                kind=stream_pb2.ATTEMPT_KIND_FIRST,
                model=response.model,
                provider=response.provider,
                runtime=response.runtime,
            )
        )
    ]
    events += content_events(response.content)
    end = stream_pb2.StreamEnd(
        id=response.id,
        model=response.model,
        provider=response.provider,
        runtime=response.runtime,
        finish_reason=response.finish_reason,
        raw_finish_reason=response.raw_finish_reason,
        usage=response.usage,
        cost=response.cost,
        metadata=response.metadata,
        provider_response_id=response.provider_response_id,
    )
    if response.HasField("structured_output"):
        end.structured_output.CopyFrom(response.structured_output)
    end.structured_output_json = response.structured_output_json
    events.append(Event(end=end))
    return events
