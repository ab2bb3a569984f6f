"""Proto messages to Messages API `system` and `messages` (plain dicts for orjson).

System messages anywhere in the conversation become the top-level `system`
string (joined by blank lines): the API has no system role in `messages`.
With cache breakpoints on it, it becomes text blocks that end at the
breakpoints. Same-role turns are merged to keep the alternation the API
requires; tool messages become user turns of `tool_result` blocks, placed
first in their turn as the API requires after an assistant's `tool_use`.
Reasoning parts go back as the blocks they came from, in place (thinking.py);
those of other providers' formats are left out and their paths reported.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson

from modelgate.providers.anthropic.caching import mark
from modelgate.providers.anthropic.thinking import FORMAT, reasoning_block
from modelgate.providers.json_fields import arguments_text, tool_result_text
from modelgate.v1 import content_pb2

Violations = list[tuple[str, str]]
System = str | list[dict[str, Any]] | None


def _image(image: content_pb2.Image) -> dict[str, Any]:
    if image.WhichOneof("source") == "data":
        source: dict[str, Any] = {
            "type": "base64",
            "media_type": image.mime_type,
            "data": base64.b64encode(image.data).decode(),
        }
    else:
        source = {"type": "url", "url": image.url}
    return {"type": "image", "source": source}


def _tool_result(result: content_pb2.ToolResult) -> dict[str, Any]:
    content = tool_result_text(result)
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": result.tool_call_id,
        "content": content,
    }
    if result.is_error:
        block["is_error"] = True
    return block


@dataclass(slots=True)
class _Converter:
    """Collects violations and left-out reasoning parts while converting."""

    out: Violations
    dropped: list[str] = field(default_factory=list)

    def block(self, part: content_pb2.ContentPart, path: str) -> dict[str, Any] | None:
        kind = part.WhichOneof("data")
        block: dict[str, Any] | None = None
        if kind == "text":
            # The API rejects empty text blocks; an empty part carries nothing anyway.
            block = {"type": "text", "text": part.text} if part.text else None
        elif kind == "image":
            block = _image(part.image)
        elif kind == "tool_call":
            call = part.tool_call
            block = {
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": orjson.Fragment(arguments_text(call)),
            }
        elif kind == "tool_result":
            block = _tool_result(part.tool_result)
        elif kind == "reasoning":
            if part.reasoning.format != FORMAT:
                self.dropped.append(path)
                return None
            block = reasoning_block(path, part.reasoning, self.out)
        if block is not None:
            mark(block, path, part, self.out)
        return block

    def system(self, message: content_pb2.Message, i: int, texts: list[dict[str, Any]]) -> None:
        """Add the message's text to the system blocks (a new block after each breakpoint)."""
        for j, part in enumerate(message.parts):
            path = f"messages[{i}].parts[{j}]"
            if part.WhichOneof("data") != "text":
                self.out.append((path, "Anthropic system prompts are text only"))
                continue
            if part.text:
                if texts and "cache_control" not in texts[-1]:
                    texts[-1]["text"] += "\n\n" + part.text
                else:
                    texts.append({"type": "text", "text": part.text})
            if texts:
                mark(texts[-1], path, part, self.out)
        if texts:
            mark(texts[-1], f"messages[{i}]", message, self.out)

    def convert(self, messages: Any) -> tuple[System, list[dict[str, Any]]]:
        texts: list[dict[str, Any]] = []
        turns: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            if message.role == content_pb2.ROLE_SYSTEM:
                self.system(message, i, texts)
                continue
            role = "assistant" if message.role == content_pb2.ROLE_ASSISTANT else "user"
            blocks = []
            for j, part in enumerate(message.parts):
                block = self.block(part, f"messages[{i}].parts[{j}]")
                if block is not None:
                    blocks.append(block)
            if not blocks:
                continue
            mark(blocks[-1], f"messages[{i}]", message, self.out)
            if turns and turns[-1]["role"] == role:
                turns[-1]["content"].extend(blocks)
            else:
                turns.append({"role": role, "content": blocks})
        for turn in turns:
            if turn["role"] == "user":
                turn["content"].sort(key=lambda b: b["type"] != "tool_result")  # stable
        if not texts:
            return None, turns
        if any("cache_control" in block for block in texts):
            return texts, turns
        return "\n\n".join(block["text"] for block in texts), turns


def convert_messages(
    messages: Any, out: Violations, dropped: list[str] | None = None
) -> tuple[System, list[dict[str, Any]]]:
    """(system, turns); paths of left-out reasoning parts are added to `dropped`."""
    converter = _Converter(out)
    converted = converter.convert(messages)
    if dropped is not None:
        dropped += converter.dropped
    return converted
