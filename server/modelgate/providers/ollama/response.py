"""Ollama JSON answers to proto responses (the stream converter shares these helpers).

Ollama reports exact token counts (`prompt_eval_count`, `eval_count`) on the
final object only, and sends tool calls whole with their arguments as a JSON
object. It gives tool calls no ids on older versions, so ids are synthesized
from the call's position in the answer (`call_0`, `call_1`, ...): stable for
one answer, which is all a caller needs to pair results with calls.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import orjson

from modelgate.errors import upstream_invalid_response
from modelgate.providers.json_fields import (
    RAW_ARGUMENTS_KEY,
    arguments_text,
    json_text,
    tool_call,
    tool_result_text,
)
from modelgate.providers.reasoning_parts import reasoning_part
from modelgate.providers.upstream_json import count, nesting, obj, objects, text, wrong_type
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    tokens_pb2,
)

PROVIDER = "ollama"

_FINISH = {
    "stop": generation_pb2.FINISH_REASON_STOP,
    "length": generation_pb2.FINISH_REASON_LENGTH,
}


def finish_reason(
    done_reason: str | None, has_tool_calls: bool
) -> generation_pb2.FinishReason.ValueType:
    """Ours for Ollama's `done_reason`; a turn that called tools ends with TOOL_CALLS.

    Ollama says "stop" even when the model called tools, so the calls decide.
    """
    if has_tool_calls and done_reason in (None, "", "stop"):
        return generation_pb2.FINISH_REASON_TOOL_CALLS
    if not done_reason:
        return generation_pb2.FINISH_REASON_STOP
    return _FINISH.get(done_reason, generation_pb2.FINISH_REASON_OTHER)


def usage(data: dict[str, Any]) -> generation_pb2.Usage:
    """Exact usage from a final (`done: true`) object."""
    input_tokens = count(PROVIDER, data.get("prompt_eval_count"), "prompt_eval_count")
    output_tokens = count(PROVIDER, data.get("eval_count"), "eval_count")
    return generation_pb2.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=count(PROVIDER, input_tokens + output_tokens, "total tokens"),
    )


def call_id(call: dict[str, Any], index: int) -> str:
    """The upstream id when Ollama sends one (newer versions), else `call_<index>`."""
    return text(PROVIDER, call.get("id"), "tool_calls[].id") or f"call_{index}"


def arguments_dict(function: dict[str, Any]) -> dict[str, Any]:
    """Arguments as a dict: Ollama sends an object; a string is parsed, anything else kept raw."""
    raw = function.get("arguments")
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        return {RAW_ARGUMENTS_KEY: raw}
    return {} if raw is None else {RAW_ARGUMENTS_KEY: orjson.dumps(raw).decode()}


def message_of(data: dict[str, Any]) -> tuple[str, list[dict[str, Any]], str]:
    """The text, the tool calls (each with a `function` object) and the thinking of an
    answer's message."""
    message = obj(PROVIDER, data.get("message"), "message")
    calls = objects(PROVIDER, message.get("tool_calls"), "message.tool_calls")
    for call in calls:
        if not isinstance(call.get("function"), dict):
            raise wrong_type(PROVIDER, "tool_calls[].function", call.get("function"), "an object")
    thinking = text(PROVIDER, message.get("thinking"), "message.thinking")
    return text(PROVIDER, message.get("content"), "message.content"), calls, thinking


def function_name(call: dict[str, Any]) -> str:
    """The name of a tool call checked by `message_of`."""
    return text(PROVIDER, call["function"].get("name"), "function.name")


def tool_call_part(call: dict[str, Any], index: int) -> content_pb2.ContentPart:
    """One tool call (checked by `message_of`) as a content part."""
    with nesting(PROVIDER, "tool-call arguments"):
        return content_pb2.ContentPart(
            tool_call=tool_call(
                call_id(call, index), function_name(call), arguments_dict(call["function"])
            )
        )


def done_reason(data: dict[str, Any]) -> str:
    """The final object's `done_reason` ("" when absent)."""
    return text(PROVIDER, data.get("done_reason"), "done_reason")


def chat_response(data: Any) -> chat_pb2.ChatResponse:
    """A ChatResponse from a non-streamed /api/chat answer."""
    data = obj(PROVIDER, data, "its answer")
    if data.get("message") is None:
        raise upstream_invalid_response(PROVIDER, "answered /api/chat without a message")
    content, calls, thinking = message_of(data)
    parts: list[content_pb2.ContentPart] = []
    if thinking:
        parts.append(reasoning_part(thinking))
    if content:
        parts.append(content_pb2.ContentPart(text=content))
    parts.extend(tool_call_part(call, index) for index, call in enumerate(calls))
    raw = done_reason(data)
    return chat_pb2.ChatResponse(
        content=parts,
        finish_reason=finish_reason(raw, bool(calls)),
        raw_finish_reason=raw,
        usage=usage(data),
    )


def complete_response(data: Any) -> completion_pb2.CompleteResponse:
    """A CompleteResponse from a non-streamed /api/generate answer."""
    if not isinstance(data, dict):
        raise upstream_invalid_response(PROVIDER, "answered /api/generate with no object")
    raw = done_reason(data)
    return completion_pb2.CompleteResponse(
        text=text(PROVIDER, data.get("response"), "response"),
        finish_reason=finish_reason(raw, False),
        raw_finish_reason=raw,
        usage=usage(data),
    )


def embed_response(data: Any, expected: int) -> embedding_pb2.EmbedResponse:
    """An EmbedResponse from /api/embed; a count mismatch is a broken upstream, not a result."""
    vectors = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or len(vectors) != expected:
        raise upstream_invalid_response(
            PROVIDER, f"answered /api/embed without {expected} embeddings"
        )
    for vector in vectors:
        if not isinstance(vector, list) or not all(type(v) in (float, int) for v in vector):
            raise upstream_invalid_response(
                PROVIDER, "sent an embedding that is not a list of numbers"
            )
    input_tokens = count(PROVIDER, data.get("prompt_eval_count"), "prompt_eval_count")
    return embedding_pb2.EmbedResponse(
        embeddings=[
            embedding_pb2.Embedding(index=i, values=vector) for i, vector in enumerate(vectors)
        ],
        usage=generation_pb2.Usage(input_tokens=input_tokens, total_tokens=input_tokens),
    )


CHARS_PER_TOKEN = 4
"""The estimate's ratio: about four characters per token for English with BPE tokenizers."""


def estimate_tokens(texts: Iterable[str]) -> int:
    """ceil(characters / 4): Ollama has no tokenize endpoint, so counts are estimates."""
    chars = sum(len(text) for text in texts)
    return math.ceil(chars / CHARS_PER_TOKEN)


def count_texts(request: tokens_pb2.CountTokensRequest) -> list[str]:
    """Every piece of the request that reaches the model as text (tools as their JSON)."""
    texts = [request.text]
    for message in request.messages:
        for part in message.parts:
            kind = part.WhichOneof("data")
            if kind == "text":
                texts.append(part.text)
            elif kind == "tool_call":
                texts.append(part.tool_call.name)
                texts.append(arguments_text(part.tool_call))
            elif kind == "tool_result":
                texts.append(tool_result_text(part.tool_result))
    for tool in request.tools:
        texts.extend((tool.name, tool.description))
        texts.append(json_text(tool, "parameters") or "{}")
    return texts
