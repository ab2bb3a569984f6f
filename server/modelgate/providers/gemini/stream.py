"""Gemini `streamGenerateContent?alt=sse` events to our stream events.

Each `data:` event is a whole GenerateContentResponse holding the next parts. Text
parts become TextDelta; thought parts ReasoningDelta (consecutive ones extend one
reasoning part; a `thoughtSignature` closes it); a signature on a text or functionCall
part is a signature-only ReasoningDelta right before that part's own delta, so the
caller's assembled answer matches the unary one (response.py). A functionCall arrives
whole, so its one ToolCallDelta carries id, name and all arguments; the index counts
calls only. `usageMetadata` is cumulative: the last one is the answer's usage.

Gemini sends no terminator: the stream is complete at the event with a `finishReason`
(or a blocked prompt's `promptFeedback`), and a body that ends before it was cut
short. An `{"error": ...}` event, sent after HTTP 200, is classified like an HTTP
error body (errors.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from modelgate.errors import upstream_unavailable
from modelgate.providers.gemini.errors import classify_status
from modelgate.providers.gemini.response import (
    GEMINI,
    blocked,
    finish_reason,
    function_call,
    signature_of,
    usage,
)
from modelgate.providers.upstream_json import obj, objects, parse_object, text
from modelgate.v1 import stream_pb2

Delta: TypeAlias = stream_pb2.TextDelta | stream_pb2.ToolCallDelta | stream_pb2.ReasoningDelta
Event: TypeAlias = Delta | stream_pb2.StreamEnd


@dataclass(slots=True)
class StreamTranslator:
    """Stateful translation of one stream's events; `done` once a finish reason came."""

    provider: str
    headers: Mapping[str, str] = field(default_factory=dict)
    """The stream's HTTP response headers, for in-stream errors."""
    done: bool = False
    _reasoning: int = 0
    """Reasoning parts started so far: the next one's index."""
    _thinking: bool = False
    """The last event extended an unsigned thought: the next thought text joins it."""
    _calls: int = 0
    _usage: Any = None
    _response_id: str = ""
    _raw_finish: str = ""

    def feed(self, data: bytes) -> list[Event]:
        """Our events for one SSE event; raises GatewayError for an error event."""
        provider = self.provider
        chunk = parse_object(provider, data, "a stream event")
        if "error" in chunk:
            raise classify_status(provider, None, chunk, self.headers)
        self._response_id = text(provider, chunk.get("responseId"), "responseId") or (
            self._response_id
        )
        if chunk.get("usageMetadata") is not None:
            self._usage = chunk["usageMetadata"]
        candidates = objects(provider, chunk.get("candidates"), "candidates")
        if not candidates:
            failure = blocked(provider, chunk.get("promptFeedback"))
            if failure is not None:
                raise failure
            return []
        candidate = candidates[0]
        content = obj(provider, candidate.get("content"), "candidates[0].content")
        events: list[Event] = []
        for part in objects(provider, content.get("parts"), "content.parts"):
            events += self._part(part)
        raw = text(provider, candidate.get("finishReason"), "finishReason")
        if raw:
            self._raw_finish = raw
            self.done = True
            events.append(self.end())
        return events

    def _reasoning_delta(self, *, text: str = "", signature: str = "") -> stream_pb2.ReasoningDelta:
        if not self._thinking:
            self._reasoning += 1
        delta = stream_pb2.ReasoningDelta(
            index=self._reasoning - 1, text=text, signature=signature, format=GEMINI
        )
        self._thinking = bool(text) and not signature
        return delta

    def _part(self, part: dict[str, Any]) -> list[Event]:
        provider = self.provider
        signature = signature_of(provider, part)
        if part.get("thought") is True:
            thought = text(provider, part.get("text"), "parts[].text")
            if not thought and not signature:
                return []
            return [self._reasoning_delta(text=thought, signature=signature)]
        self._thinking = False
        events: list[Event] = []
        if signature:
            events.append(self._reasoning_delta(signature=signature))
            self._thinking = False
        if "functionCall" in part:
            call = function_call(provider, part["functionCall"])
            delta = stream_pb2.ToolCallDelta(index=self._calls, id=call.id, name=call.name)
            delta.arguments_json = call.arguments_json
            events.append(delta)
            self._calls += 1
        elif "text" in part:
            piece = text(provider, part.get("text"), "parts[].text")
            if piece:
                events.append(stream_pb2.TextDelta(text=piece))
        return events

    def end(self) -> stream_pb2.StreamEnd:
        """The end event: finish reason, last usage and the response id."""
        return stream_pb2.StreamEnd(
            finish_reason=finish_reason(self._raw_finish, self._calls > 0),
            raw_finish_reason=self._raw_finish,
            usage=usage(self.provider, self._usage),
            provider_response_id=self._response_id,
        )


async def translate(
    translator: StreamTranslator, events: AsyncIterator[tuple[str, bytes]]
) -> AsyncIterator[Event]:
    """Our events for a whole SSE stream; ends with exactly one StreamEnd or raises."""
    async for _name, data in events:
        for event in translator.feed(data):
            yield event
        if translator.done:
            return
    raise upstream_unavailable(translator.provider, "stream ended without a finish reason")
