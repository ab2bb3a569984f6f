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

import grpc

from modelgate.api.auth import caller_key_id
from modelgate.config import StateConfig
from modelgate.errors import GatewayError, bounded, quoted, state_unavailable
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


def _not_found(response_id: str) -> GatewayError:
    return GatewayError(
        grpc.StatusCode.NOT_FOUND,
        "RESPONSE_NOT_FOUND",
        f"previous_response_id {quoted(response_id)} is unknown, expired or not yours",
        metadata={"previous_response_id": bounded(response_id)},
    )


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
            raise _not_found(previous)
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


class Transcript:
    """Rebuilds a streamed answer's content parts, so a stream can be remembered too.

    Parts keep the order in which their first delta arrived (a reasoning part
    before the text it led to, interleaved thinking between tool calls), with
    reasoning signatures and encrypted data whole; consecutive text deltas are one part.
    """

    def __init__(self) -> None:
        self.parts: list[content_pb2.ContentPart] = []
        self.text: list[str] = []
        """Pieces of the text part being built (the last of `parts`), joined at the end."""
        self.calls: dict[int, tuple[content_pb2.ContentPart, list[str]]] = {}
        self.thoughts: dict[int, content_pb2.Reasoning] = {}

    def _close_text(self) -> None:
        if self.text:
            self.parts[-1].text = "".join(self.text)
            self.text = []

    def add(self, event: chat_pb2.StreamChatResponse) -> None:
        """Fold one stream event in."""
        kind = event.WhichOneof("event")
        if kind == "text_delta":
            if not self.text:
                self.parts.append(content_pb2.ContentPart(text=""))
            self.text.append(event.text_delta.text)
        elif kind == "tool_call_delta":
            delta = event.tool_call_delta
            entry = self.calls.get(delta.index)
            if entry is None:
                self._close_text()
                entry = (content_pb2.ContentPart(), [delta.id, delta.name])
                self.calls[delta.index] = entry
                self.parts.append(entry[0])
            fragments = entry[1]
            fragments[0] = fragments[0] or delta.id
            fragments[1] = fragments[1] or delta.name
            fragments.append(delta.arguments_json)
        elif kind == "reasoning_delta":
            self._reasoning(event.reasoning_delta)

    def _reasoning(self, delta: stream_pb2.ReasoningDelta) -> None:
        thought = self.thoughts.get(delta.index)
        if thought is None:
            self._close_text()
            part = content_pb2.ContentPart(reasoning=content_pb2.Reasoning())
            self.parts.append(part)
            thought = self.thoughts[delta.index] = part.reasoning
        thought.text += delta.text
        thought.signature = delta.signature or thought.signature
        thought.encrypted = delta.encrypted or thought.encrypted
        thought.format = delta.format or thought.format
        thought.id = delta.id or thought.id
        thought.summary = delta.summary or thought.summary

    def content(self) -> list[content_pb2.ContentPart]:
        """The answer as content parts, in the order their first deltas arrived."""
        self._close_text()
        for part, (call_id, name, *fragments) in self.calls.values():
            part.tool_call.CopyFrom(tool_call(call_id, name, "".join(fragments)))
        return self.parts


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
