"""OpenAI JSON answers to proto responses (unary and stream chunks share the helpers)."""

from __future__ import annotations

from typing import Any

from modelgate.providers.json_fields import tool_call
from modelgate.v1 import content_pb2, generation_pb2

FINISH_REASONS = {
    "stop": generation_pb2.FINISH_REASON_STOP,
    "length": generation_pb2.FINISH_REASON_LENGTH,
    "tool_calls": generation_pb2.FINISH_REASON_TOOL_CALLS,
    "function_call": generation_pb2.FINISH_REASON_TOOL_CALLS,
    "content_filter": generation_pb2.FINISH_REASON_CONTENT_FILTER,
}


def finish_reason(raw: str | None) -> generation_pb2.FinishReason.ValueType:
    """Our normalized finish reason for an OpenAI one."""
    if not raw:
        return generation_pb2.FINISH_REASON_UNSPECIFIED
    return FINISH_REASONS.get(raw, generation_pb2.FINISH_REASON_OTHER)


def fill_usage(usage: generation_pb2.Usage, data: dict[str, Any] | None) -> None:
    """Copy OpenAI's `usage` (chat, completions or embeddings shape) into ours."""
    if not data:
        return
    usage.input_tokens = data.get("prompt_tokens") or 0
    usage.output_tokens = data.get("completion_tokens") or 0
    usage.total_tokens = data.get("total_tokens") or usage.input_tokens + usage.output_tokens
    prompt_details = data.get("prompt_tokens_details") or {}
    usage.cached_input_tokens = prompt_details.get("cached_tokens") or 0
    completion_details = data.get("completion_tokens_details") or {}
    usage.reasoning_tokens = completion_details.get("reasoning_tokens") or 0


def message_parts(message: dict[str, Any]) -> list[content_pb2.ContentPart]:
    """Text, then tool calls, of an assistant message."""
    parts: list[content_pb2.ContentPart] = []
    content = message.get("content")
    if content:
        parts.append(content_pb2.ContentPart(text=content))
    refusal = message.get("refusal")
    if refusal and not content:
        parts.append(content_pb2.ContentPart(text=refusal))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        parts.append(
            content_pb2.ContentPart(
                tool_call=tool_call(
                    call.get("id") or "",
                    function.get("name") or "",
                    function.get("arguments") or "",
                )
            )
        )
    return parts
