"""OpenAI SSE chunks to our stream events, with the failure rules of RELIABILITY.md.

Every `data:` line is checked for an `error` object (OpenAI can send one after
HTTP 200); the stream must end with `[DONE]`, otherwise it is a failure; usage
comes from the final usage chunk (`stream_options.include_usage`), never from
counting deltas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson

from modelgate.providers.http import sse_events
from modelgate.providers.openai.response import fill_usage, finish_reason
from modelgate.providers.upstream_errors import classify, invalid_response, unavailable
from modelgate.v1 import generation_pb2, stream_pb2

DONE = b"[DONE]"


class ChunkState:
    """What the stream has said so far that the end event needs."""

    __slots__ = ("finish", "response_id", "tool_ids", "usage")

    def __init__(self) -> None:
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


async def chunks(provider: str, response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """Parsed JSON chunks until `[DONE]`; raises on error chunks and on truncation."""
    async for _event, data in sse_events(response):
        if data == DONE:
            return
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise invalid_response(provider, "sent a malformed stream chunk") from exc
        if not isinstance(chunk, dict):
            raise invalid_response(provider, "sent a stream chunk that is not an object")
        if "error" in chunk:
            raise classify(provider, None, chunk, response.headers)
        yield chunk
    raise unavailable(provider, "stream ended without [DONE]")


def chat_deltas(
    chunk: dict[str, Any], state: ChunkState
) -> list[stream_pb2.TextDelta | stream_pb2.ToolCallDelta]:
    """The deltas of one chat chunk; updates `state` with finish reason and usage."""
    if not state.response_id:
        state.response_id = chunk.get("id") or ""
    usage = chunk.get("usage")
    if usage:
        fill_usage(state.usage, usage)
    out: list[stream_pb2.TextDelta | stream_pb2.ToolCallDelta] = []
    for choice in chunk.get("choices") or ():
        if choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta") or {}
        text = delta.get("content")
        if text:
            out.append(stream_pb2.TextDelta(text=text))
        for call in delta.get("tool_calls") or ():
            index = call.get("index", 0)
            call_id = call.get("id") or state.tool_ids.get(index, "")
            state.tool_ids[index] = call_id
            function = call.get("function") or {}
            out.append(
                stream_pb2.ToolCallDelta(
                    index=index,
                    id=call_id,
                    name=function.get("name") or "",
                    arguments_json=function.get("arguments") or "",
                )
            )
        if choice.get("finish_reason"):
            state.finish = choice["finish_reason"]
    return out


def completion_text(chunk: dict[str, Any], state: ChunkState) -> str:
    """The text of one legacy-completions chunk; updates `state`."""
    if not state.response_id:
        state.response_id = chunk.get("id") or ""
    usage = chunk.get("usage")
    if usage:
        fill_usage(state.usage, usage)
    text = ""
    for choice in chunk.get("choices") or ():
        if choice.get("index", 0) == 0:
            text = choice.get("text") or ""
            if choice.get("finish_reason"):
                state.finish = choice["finish_reason"]
    return text
