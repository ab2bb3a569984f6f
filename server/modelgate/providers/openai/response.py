"""OpenAI JSON answers to proto responses (unary and stream chunks share the helpers)."""

from __future__ import annotations

from typing import Any

from modelgate.providers.json_fields import tool_call
from modelgate.providers.openai.reasoning import reasoning_part, thought_text
from modelgate.providers.upstream_json import count, nesting, obj, objects, text
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


def fill_usage(provider: str, usage: generation_pb2.Usage, data: Any) -> None:
    """Copy OpenAI's `usage` (chat, completions or embeddings shape) into ours."""
    data = obj(provider, data, "usage")
    if not data:
        return
    usage.input_tokens = count(provider, data.get("prompt_tokens"), "usage.prompt_tokens")
    usage.output_tokens = count(provider, data.get("completion_tokens"), "usage.completion_tokens")
    usage.total_tokens = count(
        provider,
        data.get("total_tokens") or usage.input_tokens + usage.output_tokens,
        "usage.total_tokens",
    )
    prompt = obj(provider, data.get("prompt_tokens_details"), "usage.prompt_tokens_details")
    cached = prompt.get("cached_tokens") or data.get("prompt_cache_hit_tokens")  # DeepSeek's
    usage.cached_input_tokens = count(provider, cached, "cached_tokens")
    output = obj(provider, data.get("completion_tokens_details"), "completion_tokens_details")
    usage.reasoning_tokens = count(provider, output.get("reasoning_tokens"), "reasoning_tokens")


def message_parts(provider: str, message: dict[str, Any]) -> list[content_pb2.ContentPart]:
    """Reasoning (`reasoning_content` or `reasoning`), text, then tool calls, of an assistant
    message."""
    parts: list[content_pb2.ContentPart] = []
    thought = thought_text(provider, message, "message")
    if thought:
        parts.append(reasoning_part(thought))
    content = text(provider, message.get("content"), "message.content")
    if content:
        parts.append(content_pb2.ContentPart(text=content))
    refusal = text(provider, message.get("refusal"), "message.refusal")
    if refusal and not content:
        parts.append(content_pb2.ContentPart(text=refusal))
    for call in objects(provider, message.get("tool_calls"), "message.tool_calls"):
        function = obj(provider, call.get("function"), "message.tool_calls[].function")
        raw = text(provider, function.get("arguments"), "function.arguments")
        with nesting(provider, "tool-call arguments"):
            call_part = tool_call(
                text(provider, call.get("id"), "message.tool_calls[].id"),
                text(provider, function.get("name"), "function.name"),
                raw,
            )
        parts.append(
            content_pb2.ContentPart(
                tool_call=call_part,
            )
        )
    return parts
