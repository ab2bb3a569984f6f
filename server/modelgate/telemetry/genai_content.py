"""Opt-in prompt and answer content as the GenAI conventions' JSON message parts.

`gen_ai.input.messages`, `gen_ai.output.messages` and `gen_ai.system_instructions`
hold JSON text in the shapes the OpenTelemetry GenAI conventions define (`{"role",
"parts": [{"type": "text", "content"}, ...]}`, tool calls, tool call responses, images
as `uri` or `blob` parts, reasoning). System messages go to the system instructions,
not the input messages, so a backend reading either sees the instructions once.

Each attribute's content strings together keep at most `max_chars` characters: a
string that passes the budget is cut and ends with `…`, and the messages after it are
left out, so the JSON always parses and its size is bounded. Every string is redacted
before it is cut (a cut could split a secret the redactor would no longer recognise);
the exporter's redaction then has nothing left to do.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
)

from modelgate.providers.json_fields import arguments_text, tool_result_text
from modelgate.redactor import REDACTOR
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2

ELLIPSIS = "…"
_ROLES = {
    content_pb2.ROLE_USER: "user",
    content_pb2.ROLE_ASSISTANT: "assistant",
    content_pb2.ROLE_TOOL: "tool",
    content_pb2.ROLE_SYSTEM: "system",
}
_FINISH = {
    generation_pb2.FINISH_REASON_STOP: "stop",
    generation_pb2.FINISH_REASON_LENGTH: "length",
    generation_pb2.FINISH_REASON_TOOL_CALLS: "tool_call",
    generation_pb2.FINISH_REASON_CONTENT_FILTER: "content_filter",
}
"""The conventions' finish reasons; any other is the provider's own string."""


class _Budget:
    """The characters of content one attribute may still take."""

    def __init__(self, max_chars: int) -> None:
        self.left = max_chars

    def take(self, text: str) -> str:
        clean = REDACTOR(text)
        if len(clean) <= self.left:
            self.left -= len(clean)
            return clean
        cut = clean[: max(self.left, 0)] + ELLIPSIS
        self.left = -1
        return cut

    @property
    def spent(self) -> bool:
        return self.left < 0


def _image(image: content_pb2.Image, budget: _Budget) -> dict[str, Any]:
    if image.WhichOneof("source") == "url":
        part = {"type": "uri", "modality": "image", "uri": budget.take(image.url)}
    else:
        content = budget.take(base64.b64encode(image.data).decode("ascii"))
        part = {"type": "blob", "modality": "image", "content": content}
    if image.mime_type:
        part["mime_type"] = image.mime_type
    return part


def _part(part: content_pb2.ContentPart, budget: _Budget) -> dict[str, Any] | None:
    kind = part.WhichOneof("data")
    if kind == "text":
        return {"type": "text", "content": budget.take(part.text)}
    if kind == "tool_call":
        call = part.tool_call
        return {
            "type": "tool_call",
            "id": call.id,
            "name": call.name,
            "arguments": budget.take(arguments_text(call)),
        }
    if kind == "tool_result":
        result = part.tool_result
        response = budget.take(tool_result_text(result))
        return {"type": "tool_call_response", "id": result.tool_call_id, "response": response}
    if kind == "reasoning":
        return {"type": "reasoning", "content": budget.take(part.reasoning.text)}
    if kind == "image":
        return _image(part.image, budget)
    return None


def _parts(parts: Iterable[content_pb2.ContentPart], budget: _Budget) -> list[dict[str, Any]]:
    converted = []
    for part in parts:
        if budget.spent:
            break
        one = _part(part, budget)
        if one is not None:
            converted.append(one)
    return converted


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def input_attributes(messages: Sequence[content_pb2.Message], max_chars: int) -> dict[str, str]:
    """`gen_ai.input.messages` and `gen_ai.system_instructions` (when there are any) of
    a chat request's messages, keyed by attribute name."""
    budget, system_budget = _Budget(max_chars), _Budget(max_chars)
    history: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for message in messages:
        if message.role == content_pb2.ROLE_SYSTEM:
            if not system_budget.spent:
                system.extend(_parts(message.parts, system_budget))
        elif not budget.spent:
            entry: dict[str, Any] = {"role": _ROLES.get(message.role, "user")}
            entry["parts"] = _parts(message.parts, budget)
            if message.name:
                entry["name"] = message.name
            history.append(entry)
    attributes = {GEN_AI_INPUT_MESSAGES: _dumps(history)}
    if system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = _dumps(system)
    return attributes


def prompt_messages(prompt: str, max_chars: int) -> str:
    """`gen_ai.input.messages` of a text completion: its prompt as one user message."""
    part = {"type": "text", "content": _Budget(max_chars).take(prompt)}
    return _dumps([{"role": "user", "parts": [part]}])


def input_content(request: Any, max_chars: int) -> dict[str, str]:
    """The input content attributes of a chat or completion request (embeddings: none,
    their inputs are not messages); spans and access lines take the same."""
    if isinstance(request, chat_pb2.ChatRequest):
        return input_attributes(request.messages, max_chars)
    if isinstance(request, completion_pb2.CompleteRequest):
        return {GEN_AI_INPUT_MESSAGES: prompt_messages(request.prompt, max_chars)}
    return {}


def output_messages(parts: Iterable[content_pb2.ContentPart], answer: Any, max_chars: int) -> str:
    """`gen_ai.output.messages`: the answer (a response or a stream's end, for its finish
    reason) as one assistant message."""
    finish = _FINISH.get(answer.finish_reason) or answer.raw_finish_reason or "unknown"
    message = {"role": "assistant", "parts": _parts(parts, _Budget(max_chars))}
    message["finish_reason"] = finish
    return _dumps([message])
