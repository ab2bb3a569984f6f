"""Messages API answers to ChatResponse / CompleteResponse.

Usage: Anthropic's `input_tokens` counts only the uncached part of the
prompt, while ours counts the whole prompt (generation.proto: "including
cached ones"), so `input_tokens` here is input + cache reads + cache writes,
with the two cache figures also reported on their own. Thinking blocks have
no place in the contract yet and are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import orjson

from modelgate.providers.base import Target
from modelgate.providers.json_fields import tool_call
from modelgate.providers.upstream_errors import invalid_response
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2

Finish: TypeAlias = generation_pb2.FinishReason.ValueType

_FINISH: dict[str, Finish] = {
    "end_turn": generation_pb2.FINISH_REASON_STOP,
    "stop_sequence": generation_pb2.FINISH_REASON_STOP,
    "max_tokens": generation_pb2.FINISH_REASON_LENGTH,
    # The output ran into the context window: a length limit all the same.
    "model_context_window_exceeded": generation_pb2.FINISH_REASON_LENGTH,
    "tool_use": generation_pb2.FINISH_REASON_TOOL_CALLS,
    "refusal": generation_pb2.FINISH_REASON_CONTENT_FILTER,
}


def finish_reason(stop_reason: str | None, json_tool: str | None) -> Finish:
    """Our finish reason; in forced-tool JSON mode the tool call *is* the answer (STOP)."""
    if not stop_reason:
        return generation_pb2.FINISH_REASON_UNSPECIFIED
    if json_tool is not None and stop_reason == "tool_use":
        return generation_pb2.FINISH_REASON_STOP
    return _FINISH.get(stop_reason, generation_pb2.FINISH_REASON_OTHER)


def count(raw: Mapping[str, Any], key: str) -> int:
    """A non-negative token count from a usage object (absent or null: 0)."""
    value = raw.get(key)
    return value if isinstance(value, int) and value > 0 else 0


def usage(raw: Mapping[str, Any]) -> generation_pb2.Usage:
    """Our Usage from Anthropic's (see the module docstring for input_tokens)."""
    cache_read = count(raw, "cache_read_input_tokens")
    cache_write = count(raw, "cache_creation_input_tokens")
    input_tokens = count(raw, "input_tokens") + cache_read + cache_write
    output_tokens = count(raw, "output_tokens")
    return generation_pb2.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cached_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
    )


def json_text(value: Any) -> str:
    """Compact JSON text of a forced tool's input: the structured answer."""
    return orjson.dumps(value).decode()


def _tool_call(block: Mapping[str, Any]) -> content_pb2.ContentPart:
    raw = block.get("input")
    call = tool_call(
        str(block.get("id", "")), str(block.get("name", "")), raw if isinstance(raw, dict) else {}
    )
    return content_pb2.ContentPart(tool_call=call)


def content_parts(blocks: list[Any], json_tool: str | None) -> list[content_pb2.ContentPart]:
    """Text and tool-call parts in order; in JSON mode only the forced tool's input, as text."""
    parts: list[content_pb2.ContentPart] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "tool_use" and json_tool is not None and block.get("name") == json_tool:
            parts.append(content_pb2.ContentPart(text=json_text(block.get("input", {}))))
        elif kind == "tool_use":
            parts.append(_tool_call(block))
        elif kind == "text" and json_tool is None and isinstance(block.get("text"), str):
            parts.append(content_pb2.ContentPart(text=block["text"]))
    return parts


def _checked(provider: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise invalid_response(provider, "answered without a message body")
    return body


def chat_response(
    provider: str, target: Target, runtime: str, body: Any, json_tool: str | None
) -> chat_pb2.ChatResponse:
    """A ChatResponse from a /v1/messages answer."""
    message = _checked(provider, body)
    stop_reason = message.get("stop_reason")
    raw_usage = message.get("usage")
    return chat_pb2.ChatResponse(
        model=target.id,
        provider=target.record.provider,
        runtime=runtime,
        content=content_parts(message["content"], json_tool),
        finish_reason=finish_reason(stop_reason, json_tool),
        raw_finish_reason=str(stop_reason or ""),
        usage=usage(raw_usage if isinstance(raw_usage, dict) else {}),
        provider_response_id=str(message.get("id", "")),
    )


def complete_response(
    provider: str, target: Target, runtime: str, body: Any
) -> completion_pb2.CompleteResponse:
    """A CompleteResponse from a /v1/messages answer: its text blocks joined."""
    message = _checked(provider, body)
    stop_reason = message.get("stop_reason")
    raw_usage = message.get("usage")
    text = "".join(p.text for p in content_parts(message["content"], None) if p.HasField("text"))
    return completion_pb2.CompleteResponse(
        model=target.id,
        provider=target.record.provider,
        runtime=runtime,
        text=text,
        finish_reason=finish_reason(stop_reason, None),
        raw_finish_reason=str(stop_reason or ""),
        usage=usage(raw_usage if isinstance(raw_usage, dict) else {}),
        provider_response_id=str(message.get("id", "")),
    )
