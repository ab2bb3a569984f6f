"""Reasoning and prompt-cache fields of Chat Completions and of the servers that extend it.

OpenAI takes `reasoning_effort` and returns only a count of reasoning tokens.
DeepSeek, vLLM and llama.cpp return the thought text as `reasoning_content`,
OpenRouter (and newer vLLM) as `reasoning`, in messages and in stream deltas:
both become Reasoning parts of format UNSPECIFIED, never text. Whether a plain
reasoning part goes back to the server, and under which key, is the runtime's
`reasoning_input` (DeepSeek's deepseek-reasoner refuses `reasoning_content` in
input; its thinking mode wants it back after tool calls): a part not sent is
named in the answer's `metadata["dropped_reasoning"]`, never dropped unsaid.
"""

from __future__ import annotations

from typing import Any

from modelgate.providers.upstream_json import text
from modelgate.v1 import generation_pb2

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
CACHED_AUTOMATICALLY = "(ignored: the server caches prompt prefixes by itself)"
"""Where a cache breakpoint lands on OpenAI-family APIs (see CacheBreakpoint in the proto)."""
TEXT_KEYS = ("reasoning_content", "reasoning")
"""Where OpenAI-compatible servers put thought text, in the order they are read."""


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
