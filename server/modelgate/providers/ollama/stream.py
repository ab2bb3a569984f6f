"""Ollama NDJSON streams to proto stream events.

Every line is one JSON object. Ollama reports a failure after HTTP 200 as a
line `{"error": "..."}` and then ends the body, so every line is checked for
it; the stream is complete only when a `done: true` line arrives, and a body
that ends without one is a failure (RELIABILITY.md), never a short answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from modelgate.errors import GatewayError, upstream_unavailable
from modelgate.providers.ollama.response import (
    PROVIDER,
    arguments_dict,
    call_id,
    done_reason,
    finish_reason,
    function_name,
    message_of,
    usage,
)
from modelgate.providers.upstream_errors import classify
from modelgate.providers.upstream_json import nesting, parse_object, text
from modelgate.v1 import chat_pb2, completion_pb2, stream_pb2


def parse_line(line: bytes) -> dict[str, Any]:
    """One NDJSON object; an error line raises its classified error."""
    data = parse_object(PROVIDER, line, "a stream line")
    if data.get("error"):
        raise classify(PROVIDER, None, data)
    return data


def _end(data: dict[str, Any], called: bool) -> stream_pb2.StreamEnd:
    raw = done_reason(data)
    return stream_pb2.StreamEnd(
        finish_reason=finish_reason(raw, called),
        raw_finish_reason=raw,
        usage=usage(data),
    )


def truncated() -> GatewayError:
    """The error for a body that ended before `done: true`."""
    return upstream_unavailable(PROVIDER, "stream ended without done")


async def chat_events(
    lines: AsyncIterator[bytes],
) -> AsyncIterator[chat_pb2.StreamChatResponse]:
    """Thinking, text and whole tool calls as deltas, then one `end` from the `done` line.

    Tool calls arrive complete, so each becomes one ToolCallDelta carrying its
    id, name and full arguments; `index` counts calls across the whole answer.
    `message.thinking` pieces are one reasoning part (index 0), never text.
    """
    calls = 0
    async for line in lines:
        data = parse_line(line)
        content, tool_calls, thinking = message_of(data)
        if thinking:
            thought = stream_pb2.ReasoningDelta(text=thinking)
            yield chat_pb2.StreamChatResponse(reasoning_delta=thought)
        if content:
            yield chat_pb2.StreamChatResponse(text_delta=stream_pb2.TextDelta(text=content))
        for call in tool_calls:
            with nesting(PROVIDER, "tool-call arguments"):
                arguments = orjson.dumps(arguments_dict(call["function"])).decode()
            delta = stream_pb2.ToolCallDelta(
                index=calls,
                id=call_id(call, calls),
                name=function_name(call),
                arguments_json=arguments,
            )
            calls += 1
            yield chat_pb2.StreamChatResponse(tool_call_delta=delta)
        if data.get("done") is True:
            yield chat_pb2.StreamChatResponse(end=_end(data, calls > 0))
            return
    raise truncated()


async def generate_events(
    lines: AsyncIterator[bytes],
) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
    """/api/generate `response` pieces as text deltas, then one `end` from the `done` line."""
    async for line in lines:
        data = parse_line(line)
        piece = text(PROVIDER, data.get("response"), "response")
        if piece:
            yield completion_pb2.StreamCompleteResponse(text_delta=stream_pb2.TextDelta(text=piece))
        if data.get("done") is True:
            yield completion_pb2.StreamCompleteResponse(end=_end(data, False))
            return
    raise truncated()
