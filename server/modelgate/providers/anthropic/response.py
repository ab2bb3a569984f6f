"""Messages API answers to ChatResponse / CompleteResponse.

Usage: Anthropic's `input_tokens` counts only the uncached part of the
prompt, while ours counts the whole prompt (generation.proto: "including
cached ones"), so `input_tokens` here is input + cache reads + cache writes,
with the two cache figures also reported on their own; `reasoning_tokens` is
`output_tokens_details.thinking_tokens` when the API reports it (within
`output_tokens`, as ours). Thinking and redacted thinking blocks become
reasoning parts in place, signature and data byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import orjson

from modelgate.errors import upstream_invalid_response
from modelgate.providers.anthropic.thinking import thought_part
from modelgate.providers.json_fields import tool_call
from modelgate.providers.upstream_json import count, nesting, obj, objects, text
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


def usage(provider: str, raw: Any) -> generation_pb2.Usage:
    """Our Usage from Anthropic's (see the module docstring for input_tokens)."""
    raw = obj(provider, raw, "usage")
    cache_read = count(provider, raw.get("cache_read_input_tokens"), "cache_read_input_tokens")
    cache_write = count(
        provider, raw.get("cache_creation_input_tokens"), "cache_creation_input_tokens"
    )
    input_tokens = count(
        provider,
        count(provider, raw.get("input_tokens"), "usage.input_tokens") + cache_read + cache_write,
        "usage.input_tokens plus cache tokens",
    )
    output_tokens = count(provider, raw.get("output_tokens"), "usage.output_tokens")
    details = raw.get("output_tokens_details")
    thinking = 0
    if details is not None:
        details = obj(provider, details, "usage.output_tokens_details")
        thinking = count(provider, details.get("thinking_tokens"), "thinking_tokens")
    return generation_pb2.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=count(provider, input_tokens + output_tokens, "total tokens"),
        cached_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
        reasoning_tokens=min(thinking, output_tokens),
    )


def json_text(value: Any) -> str:
    """Compact JSON text of a forced tool's input: the structured answer."""
    return orjson.dumps(value).decode()


def _tool_call(provider: str, block: Mapping[str, Any]) -> content_pb2.ContentPart:
    with nesting(provider, "tool_use.input"):
        call = tool_call(
            text(provider, block.get("id"), "tool_use.id"),
            text(provider, block.get("name"), "tool_use.name"),
            obj(provider, block.get("input"), "tool_use.input"),
        )
    return content_pb2.ContentPart(tool_call=call)


def content_parts(
    provider: str, blocks: list[dict[str, Any]], json_tool: str | None
) -> list[content_pb2.ContentPart]:
    """Reasoning, text and tool-call parts in order. In JSON mode the forced tool's input,
    as text, is the answer; a server that answers in text instead (compatible servers that
    ignore `tool_choice`) keeps its text, so the gateway validates it rather than an empty
    answer."""
    parts: list[content_pb2.ContentPart] = []
    thoughts: list[content_pb2.ContentPart] = []
    forced: list[content_pb2.ContentPart] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "tool_use" and json_tool is not None and block.get("name") == json_tool:
            with nesting(provider, "tool_use.input"):
                answer = json_text(obj(provider, block.get("input"), "tool_use.input"))
            forced.append(content_pb2.ContentPart(text=answer))
        elif kind == "tool_use":
            parts.append(_tool_call(provider, block))
        elif kind == "text":
            parts.append(content_pb2.ContentPart(text=text(provider, block.get("text"), "text")))
        elif kind == "thinking":
            thought = text(provider, block.get("thinking"), "thinking.thinking")
            part = thought_part(block, thought, text(provider, block.get("signature"), "signature"))
            parts.append(part)
            thoughts.append(part)
        elif kind == "redacted_thinking":
            part = thought_part(block, "", text(provider, block.get("data"), "redacted.data"))
            parts.append(part)
            thoughts.append(part)
    if json_tool is None or not forced:
        return parts
    return thoughts + forced


def _checked(provider: str, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    message = obj(provider, body, "its answer")
    if message.get("content") is None:
        raise upstream_invalid_response(provider, "answered without a message body")
    return message, objects(provider, message["content"], "content")


def chat_response(provider: str, body: Any, json_tool: str | None) -> chat_pb2.ChatResponse:
    """A ChatResponse from a /v1/messages answer."""
    message, blocks = _checked(provider, body)
    stop_reason = text(provider, message.get("stop_reason"), "stop_reason")
    return chat_pb2.ChatResponse(
        content=content_parts(provider, blocks, json_tool),
        finish_reason=finish_reason(stop_reason, json_tool),
        raw_finish_reason=stop_reason,
        usage=usage(provider, message.get("usage")),
        provider_response_id=text(provider, message.get("id"), "id"),
    )


def complete_response(provider: str, body: Any) -> completion_pb2.CompleteResponse:
    """A CompleteResponse from a /v1/messages answer: its text blocks joined."""
    message, blocks = _checked(provider, body)
    stop_reason = text(provider, message.get("stop_reason"), "stop_reason")
    parts = content_parts(provider, blocks, None)
    return completion_pb2.CompleteResponse(
        text="".join(p.text for p in parts if p.HasField("text")),
        finish_reason=finish_reason(stop_reason, None),
        raw_finish_reason=stop_reason,
        usage=usage(provider, message.get("usage")),
        provider_response_id=text(provider, message.get("id"), "id"),
    )
