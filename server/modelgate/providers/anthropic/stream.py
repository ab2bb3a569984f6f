"""Messages API server-sent events to our stream events (TextDelta, ToolCallDelta, StreamEnd).

Anthropic numbers content blocks (text and tool_use alike); our ToolCallDelta
index counts tool calls only, so the caller's index is stable and 0-based
however much text surrounds the calls. Usage is taken from the stream itself:
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

import orjson

from modelgate.errors import GatewayError
from modelgate.providers.anthropic.response import finish_reason, usage
from modelgate.providers.base import Target
from modelgate.providers.upstream_errors import classify, invalid_response, unavailable
from modelgate.v1 import stream_pb2

Event: TypeAlias = stream_pb2.TextDelta | stream_pb2.ToolCallDelta | stream_pb2.StreamEnd


def _index(payload: dict[str, Any]) -> int:
    """The Anthropic content block index of an event (-1 when missing or not an int)."""
    index = payload.get("index")
    return index if isinstance(index, int) else -1


@dataclass(slots=True)
class _Block:
    """What one Anthropic content block turns into on our side."""

    kind: str  # "text", "tool" (ToolCallDelta), "json" (forced tool as text), "skip"
    index: int = -1
    id: str = ""
    sent: bool = False


@dataclass(slots=True)
class StreamTranslator:
    """Stateful translation of one stream's events; `done` once message_stop arrived."""

    provider: str
    target: Target
    runtime: str
    json_tool: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """The stream's HTTP response headers: give in-stream errors their request-id."""
    done: bool = False
    _blocks: dict[int, _Block] = field(default_factory=dict)
    _tool_calls: int = 0
    _message_id: str = ""
    _usage: dict[str, Any] = field(default_factory=dict)
    _stop_reason: str | None = None

    def parse(self, data: bytes) -> dict[str, Any]:
        """One event's JSON object; anything else means the stream is corrupt."""
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise invalid_response(self.provider, "sent malformed JSON in the stream") from None
        if not isinstance(payload, dict):
            raise invalid_response(self.provider, "sent a stream event that is not a JSON object")
        return payload

    def feed(self, name: str, data: bytes) -> list[Event]:
        """Our events for one SSE event (often none); raises GatewayError on `error`."""
        payload = self.parse(data)
        kind = name or str(payload.get("type", ""))
        if kind == "content_block_delta":
            return self._delta(payload)
        if kind == "content_block_start":
            return self._start(payload)
        if kind == "content_block_stop":
            return self._stop(payload)
        if kind == "message_start":
            message = payload.get("message")
            if isinstance(message, dict):
                self._message_id = str(message.get("id", ""))
                self._merge_usage(message.get("usage"))
        elif kind == "message_delta":
            delta = payload.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason"):
                self._stop_reason = str(delta["stop_reason"])
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
        if isinstance(raw, dict):
            self._usage.update({k: v for k, v in raw.items() if v is not None})

    def _start(self, payload: dict[str, Any]) -> list[Event]:
        block = payload.get("content_block")
        if not isinstance(block, dict):
            return []
        index = _index(payload)
        kind = block.get("type")
        if (
            kind == "tool_use"
            and self.json_tool is not None
            and block.get("name") == self.json_tool
        ):
            self._blocks[index] = _Block("json")
        elif kind == "tool_use":
            tool = _Block("tool", self._tool_calls, str(block.get("id", "")))
            self._tool_calls += 1
            self._blocks[index] = tool
            return [
                stream_pb2.ToolCallDelta(
                    index=tool.index, id=tool.id, name=str(block.get("name", ""))
                )
            ]
        elif kind == "text" and self.json_tool is None:
            self._blocks[index] = _Block("text")
            text = block.get("text")
            if isinstance(text, str) and text:
                return [stream_pb2.TextDelta(text=text)]
        else:
            self._blocks[index] = _Block("skip")  # thinking, redacted_thinking, server tools
        return []

    def _delta(self, payload: dict[str, Any]) -> list[Event]:
        block = self._blocks.get(_index(payload))
        delta = payload.get("delta")
        if block is None or not isinstance(delta, dict):
            return []
        kind = delta.get("type")
        if kind == "text_delta" and block.kind == "text":
            text = delta.get("text")
            return [stream_pb2.TextDelta(text=text)] if isinstance(text, str) and text else []
        if kind == "input_json_delta" and block.kind in ("tool", "json"):
            fragment = delta.get("partial_json")
            if not isinstance(fragment, str) or not fragment:
                return []
            block.sent = True
            if block.kind == "json":
                return [stream_pb2.TextDelta(text=fragment)]
            return [
                stream_pb2.ToolCallDelta(index=block.index, id=block.id, arguments_json=fragment)
            ]
        return []  # thinking_delta, signature_delta, citations_delta

    def _stop(self, payload: dict[str, Any]) -> list[Event]:
        """A tool with no arguments streams no fragments; send "{}" so the JSON is whole."""
        block = self._blocks.get(_index(payload))
        if block is None or block.sent:
            return []
        if block.kind == "tool":
            return [stream_pb2.ToolCallDelta(index=block.index, id=block.id, arguments_json="{}")]
        if block.kind == "json":
            return [stream_pb2.TextDelta(text="{}")]
        return []

    def _end(self) -> stream_pb2.StreamEnd:
        return stream_pb2.StreamEnd(
            model=self.target.id,
            provider=self.target.record.provider,
            runtime=self.runtime,
            finish_reason=finish_reason(self._stop_reason, self.json_tool),
            raw_finish_reason=self._stop_reason or "",
            usage=usage(self._usage),
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
    raise unavailable(translator.provider, "stream ended without message_stop")
