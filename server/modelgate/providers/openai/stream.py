"""OpenAI SSE chunks to our stream events, with the failure rules of RELIABILITY.md.

Every `data:` line is checked for an `error` object (OpenAI can send one after
HTTP 200); the stream must end with `[DONE]`, otherwise it is a failure; usage
comes from the final usage chunk (`stream_options.include_usage`), never from
counting deltas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import aiohttp

from modelgate.providers.base import CallContext
from modelgate.providers.http import sse_events
from modelgate.providers.openai.reasoning import thought_text
from modelgate.providers.openai.response import fill_usage, finish_reason
from modelgate.providers.upstream_errors import classify, unavailable
from modelgate.providers.upstream_json import count, items, obj, objects, parse_object, text
from modelgate.v1 import generation_pb2, stream_pb2

DONE = b"[DONE]"


class ChunkState:
    """What the stream has said so far that the end event needs."""

    __slots__ = ("finish", "provider", "response_id", "tool_ids", "usage")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.finish = ""
        self.response_id = ""
        self.usage = generation_pb2.Usage()
        self.tool_ids: dict[int, str] = {}

    def end(self) -> stream_pb2.StreamEnd:
        """The end event (model/provider/runtime are stamped by the caller)."""
        return stream_pb2.StreamEnd(
            finish_reason=finish_reason(self.finish),
            raw_finish_reason=self.finish,
            usage=self.usage,
            provider_response_id=self.response_id,
        )

    def common(self, chunk: dict[str, Any]) -> list[Any]:
        """Read what every chunk may carry (id, usage); returns its choices."""
        provider = self.provider
        if not self.response_id:
            self.response_id = text(provider, chunk.get("id"), "id")
        usage = chunk.get("usage")
        if usage is not None:  # null on every chunk but the last; [] is no usage object
            fill_usage(provider, self.usage, usage)
        return items(provider, chunk.get("choices"), "choices")

    def first_choice(self, raw: Any) -> dict[str, Any] | None:
        """The choice as an object when it is choice 0 (the only one we ask for), else None;
        its finish reason goes to the state."""
        provider = self.provider
        choice = obj(provider, raw, "choices[]")
        if count(provider, choice.get("index"), "choices[].index") != 0:
            return None
        reason = text(provider, choice.get("finish_reason"), "choices[].finish_reason")
        if reason:
            self.finish = reason
        return choice


async def chunks(
    provider: str, response: aiohttp.ClientResponse, call: CallContext
) -> AsyncIterator[dict[str, Any]]:
    """Parsed JSON chunks until `[DONE]`; raises on error chunks and on truncation."""
    async for _event, data in sse_events(response, call.max_line_bytes):
        if data == DONE:
            return
        chunk = parse_object(provider, data, "a stream chunk")
        if chunk.get("error") is not None:
            raise classify(provider, None, chunk, response.headers)
        yield chunk
    raise unavailable(provider, "stream ended without [DONE]")


ChatDelta: TypeAlias = stream_pb2.TextDelta | stream_pb2.ToolCallDelta | stream_pb2.ReasoningDelta


def chat_deltas(chunk: dict[str, Any], state: ChunkState) -> list[ChatDelta]:
    """The deltas of one chat chunk; updates `state` with finish reason and usage.

    Thought text (`reasoning_content` / `reasoning`) is one reasoning part, index 0.
    """
    provider = state.provider
    out: list[ChatDelta] = []
    for raw in state.common(chunk):
        choice = state.first_choice(raw)
        if choice is None:
            continue
        delta = obj(provider, choice.get("delta"), "choices[].delta")
        thought = thought_text(provider, delta, "delta")
        if thought:
            out.append(stream_pb2.ReasoningDelta(text=thought))
        content = text(provider, delta.get("content"), "delta.content")
        if content:
            out.append(stream_pb2.TextDelta(text=content))
        for call in objects(provider, delta.get("tool_calls"), "delta.tool_calls"):
            index = count(provider, call.get("index"), "delta.tool_calls[].index")
            call_id = text(provider, call.get("id"), "delta.tool_calls[].id")
            call_id = call_id or state.tool_ids.get(index, "")
            state.tool_ids[index] = call_id
            function = obj(provider, call.get("function"), "delta.tool_calls[].function")
            out.append(
                stream_pb2.ToolCallDelta(
                    index=index,
                    id=call_id,
                    name=text(provider, function.get("name"), "function.name"),
                    arguments_json=text(provider, function.get("arguments"), "function.arguments"),
                )
            )
    return out


def completion_text(chunk: dict[str, Any], state: ChunkState) -> str:
    """The text of one legacy-completions chunk; updates `state`."""
    out = ""
    for raw in state.common(chunk):
        choice = state.first_choice(raw)
        if choice is not None:
            out = text(state.provider, choice.get("text"), "choices[].text")
    return out
