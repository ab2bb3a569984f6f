"""Messages API server-sent events to our stream events (text, tool-call and reasoning
deltas, StreamEnd).

Anthropic numbers content blocks (text, tool_use and thinking alike); our
ToolCallDelta index counts tool calls only and our ReasoningDelta index
thinking blocks only, so the caller's indices are stable and 0-based however
much else surrounds them. A `thinking` block streams as `thinking_delta`
pieces, then its whole signature in a `signature_delta`; a `redacted_thinking`
block arrives whole in its `content_block_start`. Usage is taken from the stream itself:
`message_start` gives the prompt side, `message_delta` the final (cumulative)
counts, never estimated. The stream is only complete at `message_stop`; an
`error` event (sent after HTTP 200, e.g. overloaded_error) is classified by
its error type like an HTTP error body, and a body that ends early is a
failure (RELIABILITY.md, Streams).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from modelgate.errors import GatewayError, upstream_unavailable
from modelgate.providers.anthropic.response import finish_reason, usage
from modelgate.providers.upstream_errors import classify
from modelgate.providers.upstream_json import count, obj, parse_object, text
from modelgate.v1 import content_pb2, stream_pb2

Event: TypeAlias = (
    stream_pb2.TextDelta
    | stream_pb2.ToolCallDelta
    | stream_pb2.ReasoningDelta
    | stream_pb2.StreamEnd
)
_FORMAT = content_pb2.REASONING_FORMAT_ANTHROPIC


@dataclass(slots=True)
class _Block:
    """What one Anthropic content block turns into on our side."""

    kind: str  # "text", "tool" (ToolCallDelta), "json" (forced tool as text), "thinking", "skip"
    index: int = -1
    id: str = ""
    sent: bool = False


@dataclass(slots=True)
class StreamTranslator:
    """Stateful translation of one stream's events; `done` once message_stop arrived."""

    provider: str
    json_tool: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """The stream's HTTP response headers: give in-stream errors their request-id."""
    done: bool = False
    _blocks: dict[int, _Block] = field(default_factory=dict)
    _tool_calls: int = 0
    _thoughts: int = 0
    _message_id: str = ""
    _usage: dict[str, Any] = field(default_factory=dict)
    _stop_reason: str | None = None

    def feed(self, name: str, data: bytes) -> list[Event]:
        """Our events for one SSE event (often none); raises GatewayError on `error`."""
        payload = parse_object(self.provider, data, "a stream event")
        kind = name or payload.get("type")
        if kind == "content_block_delta":
            return self._delta(payload)
        if kind == "content_block_start":
            return self._start(payload)
        if kind == "content_block_stop":
            return self._stop(payload)
        provider = self.provider
        if kind == "message_start":
            message = obj(provider, payload.get("message"), "message_start.message")
            self._message_id = text(provider, message.get("id"), "message.id")
            self._merge_usage(message.get("usage"))
        elif kind == "message_delta":
            delta = obj(provider, payload.get("delta"), "message_delta.delta")
            reason = text(provider, delta.get("stop_reason"), "delta.stop_reason")
            self._stop_reason = reason or self._stop_reason
            self._merge_usage(payload.get("usage"))
        elif kind == "message_stop":
            self.done = True
            return [self._end()]
        elif kind == "error":
            raise self.error(payload)
        # ping and event types added later are ignored, as the API asks of clients
        return []

    def error(self, payload: dict[str, Any]) -> GatewayError:
        """The classified failure of an in-stream `error` event."""
        return classify(self.provider, None, payload, self.headers)

    def _merge_usage(self, raw: Any) -> None:
        usage = obj(self.provider, raw, "usage")
        self._usage.update({k: v for k, v in usage.items() if v is not None})

    def _index(self, payload: dict[str, Any]) -> int:
        """The Anthropic content block index of an event (-1, no block, when missing)."""
        index = payload.get("index")
        return -1 if index is None else count(self.provider, index, "index")

    def _start(self, payload: dict[str, Any]) -> list[Event]:
        provider = self.provider
        block = obj(provider, payload.get("content_block"), "content_block")
        index = self._index(payload)
        kind = block.get("type")
        if (
            kind == "tool_use"
            and self.json_tool is not None
            and block.get("name") == self.json_tool
        ):
            self._blocks[index] = _Block("json")
        elif kind == "tool_use":
            tool = _Block("tool", self._tool_calls, text(provider, block.get("id"), "tool_use.id"))
            name = text(provider, block.get("name"), "tool_use.name")
            self._tool_calls += 1
            self._blocks[index] = tool
            return [stream_pb2.ToolCallDelta(index=tool.index, id=tool.id, name=name)]
        elif kind == "text":  # in JSON mode too: a server that answers in text is validated
            self._blocks[index] = _Block("text")
            first = text(provider, block.get("text"), "content_block.text")
            if first:
                return [stream_pb2.TextDelta(text=first)]
        elif kind in ("thinking", "redacted_thinking"):
            thought = self._blocks[index] = _Block("thinking", self._thoughts, sent=True)
            self._thoughts += 1
            delta = stream_pb2.ReasoningDelta(index=thought.index, format=_FORMAT)
            if kind == "redacted_thinking":
                delta.encrypted = text(provider, block.get("data"), "redacted_thinking.data")
            else:
                delta.text = text(provider, block.get("thinking"), "thinking.thinking")
                delta.signature = text(provider, block.get("signature"), "thinking.signature")
            return [delta]  # the part's place in the answer is here, even while empty
        else:
            self._blocks[index] = _Block("skip")  # server tools and later block types
        return []

    def _delta(self, payload: dict[str, Any]) -> list[Event]:
        provider = self.provider
        delta = obj(provider, payload.get("delta"), "content_block_delta.delta")
        block = self._blocks.get(self._index(payload))
        if block is None:
            return []
        kind = delta.get("type")
        if kind == "text_delta" and block.kind == "text":
            piece = text(provider, delta.get("text"), "text_delta.text")
            return [stream_pb2.TextDelta(text=piece)] if piece else []
        if kind == "input_json_delta" and block.kind in ("tool", "json"):
            fragment = text(provider, delta.get("partial_json"), "input_json_delta.partial_json")
            if not fragment:
                return []
            block.sent = True
            if block.kind == "json":
                return [stream_pb2.TextDelta(text=fragment)]
            return [
                stream_pb2.ToolCallDelta(index=block.index, id=block.id, arguments_json=fragment)
            ]
        if block.kind == "thinking" and kind in ("thinking_delta", "signature_delta"):
            delta_of = stream_pb2.ReasoningDelta(index=block.index, format=_FORMAT)
            if kind == "thinking_delta":
                delta_of.text = text(provider, delta.get("thinking"), "thinking_delta.thinking")
            else:
                delta_of.signature = text(
                    provider, delta.get("signature"), "signature_delta.signature"
                )
            return [delta_of] if delta_of.text or delta_of.signature else []
        return []  # citations_delta and later delta types

    def _stop(self, payload: dict[str, Any]) -> list[Event]:
        """A tool with no arguments streams no fragments; send "{}" so the JSON is whole."""
        block = self._blocks.get(self._index(payload))
        if block is None or block.sent:
            return []
        if block.kind == "tool":
            return [stream_pb2.ToolCallDelta(index=block.index, id=block.id, arguments_json="{}")]
        if block.kind == "json":
            return [stream_pb2.TextDelta(text="{}")]
        return []

    def _end(self) -> stream_pb2.StreamEnd:
        return stream_pb2.StreamEnd(
            finish_reason=finish_reason(self._stop_reason, self.json_tool),
            raw_finish_reason=self._stop_reason or "",
            usage=usage(self.provider, self._usage),
            provider_response_id=self._message_id,
        )


async def translate(
    translator: StreamTranslator, events: AsyncIterator[tuple[str, bytes]]
) -> AsyncIterator[Event]:
    """Our events for a whole SSE stream; ends with exactly one StreamEnd or raises."""
    async for name, data in events:
        for event in translator.feed(name, data):
            yield event
        if translator.done:
            return
    raise upstream_unavailable(translator.provider, "stream ended without message_stop")
