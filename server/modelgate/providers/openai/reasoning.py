"""Reasoning and prompt-cache fields of Chat Completions and of the servers that extend it.

OpenAI takes `reasoning_effort` and returns only a count of reasoning tokens.
DeepSeek, vLLM and llama.cpp return the thought text as `reasoning_content`,
OpenRouter (and newer vLLM) as `reasoning`, in messages and in stream deltas:
both become Reasoning parts of format UNSPECIFIED, never text. Whether a plain
reasoning part goes back to the server, and under which key, is the runtime's
`reasoning_input` (DeepSeek's deepseek-reasoner refuses `reasoning_content` in
input; its thinking mode wants it back after tool calls): a part not sent is
counted in the answer's `metadata["reasoning_stripped"]`, never dropped unsaid.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from modelgate.providers.upstream_json import text
from modelgate.v1 import content_pb2, generation_pb2

EFFORTS = {
    generation_pb2.REASONING_EFFORT_MINIMAL: "minimal",
    generation_pb2.REASONING_EFFORT_LOW: "low",
    generation_pb2.REASONING_EFFORT_MEDIUM: "medium",
    generation_pb2.REASONING_EFFORT_HIGH: "high",
}
"""ReasoningEffort to OpenAI's `reasoning_effort` / Responses `reasoning.effort`."""
RETENTIONS = {
    generation_pb2.PROMPT_CACHE_RETENTION_IN_MEMORY: "in_memory",
    generation_pb2.PROMPT_CACHE_RETENTION_EXTENDED: "24h",
}
"""PromptCacheRetention to OpenAI's `prompt_cache_retention`."""
TEXT_KEYS = ("reasoning_content", "reasoning")
"""Where OpenAI-compatible servers put thought text, in the order they are read."""
STRIPPED_KEY = "reasoning_stripped"
"""Answer metadata key: how many reasoning parts of the request were not sent upstream."""


def prompt_cache_fields(config: generation_pb2.PromptCacheConfig) -> dict[str, Any]:
    """`prompt_cache_key` and `prompt_cache_retention` (Chat Completions and Responses alike)."""
    fields: dict[str, Any] = {}
    if config.key:
        fields["prompt_cache_key"] = config.key
    if config.retention in RETENTIONS:
        fields["prompt_cache_retention"] = RETENTIONS[config.retention]
    return fields


def thought_text(provider: str, message: dict[str, Any], where: str) -> str:
    """The thought text of a message or delta, from whichever key the server uses."""
    for key in TEXT_KEYS:
        value = text(provider, message.get(key), f"{where}.{key}")
        if value:
            return value
    return ""


def reasoning_part(thought: str) -> content_pb2.ContentPart:
    """A plain (format UNSPECIFIED) reasoning part."""
    return content_pb2.ContentPart(reasoning=content_pb2.Reasoning(text=thought))


def plain_reasoning(message: content_pb2.Message) -> str:
    """The text of a message's plain reasoning parts, the form OpenAI-compatible servers take."""
    return "".join(
        part.reasoning.text
        for part in message.parts
        if part.WhichOneof("data") == "reasoning"
        and part.reasoning.format == content_pb2.REASONING_FORMAT_UNSPECIFIED
    )


def unsent_reasoning(
    messages: Iterable[content_pb2.Message], sent: content_pb2.ReasoningFormat.ValueType | None
) -> int:
    """How many reasoning parts are not sent when only format `sent` goes upstream (None: none)."""
    return sum(
        1
        for message in messages
        for part in message.parts
        if part.WhichOneof("data") == "reasoning" and part.reasoning.format != sent
    )


def note_unsent(metadata: MutableMapping[str, str], unsent: int) -> None:
    """Say in the answer's metadata that reasoning parts were not sent (when any were not)."""
    if unsent:
        metadata[STRIPPED_KEY] = str(unsent)
