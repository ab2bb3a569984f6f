"""Reasoning in OpenAI-compatible chat completions, the way the servers that return it speak.

OpenAI itself never returns thought text from chat completions, only the count in
`usage.completion_tokens_details.reasoning_tokens`. DeepSeek, vLLM and llama.cpp
put the text in `reasoning_content` beside `content`; OpenRouter in `reasoning`.
Streamed, the same key carries pieces in the deltas before any content.
DeepSeek reports cache reads as `prompt_cache_hit_tokens` and
`prompt_cache_miss_tokens` (its API reference has no `prompt_tokens_details`),
and deepseek-reasoner answered a `reasoning_content` in input messages with the
400 below (its newer thinking mode wants it back after tool calls instead).
"""

from __future__ import annotations

from typing import Any, Literal

from .plan import Plan
from .scenario import Fault
from .text import split_words

ReasoningField = Literal["reasoning_content", "reasoning"]
"""Where a server puts thought text: DeepSeek/vLLM/llama.cpp, or OpenRouter."""
UsageDialect = Literal["openai", "deepseek"]

REJECTED_INPUT = (
    "The reasoning_content is an intermediate result for display purposes only and will not "
    "be included in the context for inference. Please remove the reasoning_content from your "
    "message to reduce network traffic."
)
"""deepseek-reasoner's 400 message for `reasoning_content` in an input message."""


def message_fields(field: ReasoningField | None, plan: Plan) -> dict[str, Any]:
    """The thought-text key of a unary answer's message (none from OpenAI itself)."""
    if field is None or not plan.reasoning:
        return {}
    return {field: plan.reasoning}


def delta_pieces(field: ReasoningField | None, plan: Plan) -> list[dict[str, Any]]:
    """The deltas that stream the thought text, before any content."""
    if field is None:
        return []
    return [{field: piece} for piece in split_words(plan.reasoning)]


def dialect_usage(dialect: UsageDialect, usage: dict[str, Any]) -> dict[str, Any]:
    """`usage` as the dialect reports it: DeepSeek splits prompt tokens into cache hits and
    misses instead of `prompt_tokens_details.cached_tokens`."""
    if dialect == "openai":
        return usage
    cached = usage["prompt_tokens_details"]["cached_tokens"]
    return {
        "completion_tokens": usage["completion_tokens"],
        "prompt_tokens": usage["prompt_tokens"],
        "prompt_cache_hit_tokens": cached,
        "prompt_cache_miss_tokens": usage["prompt_tokens"] - cached,
        "total_tokens": usage["total_tokens"],
        "completion_tokens_details": {
            "reasoning_tokens": usage["completion_tokens_details"]["reasoning_tokens"]
        },
    }


def rejected_input(messages: Any) -> Fault | None:
    """deepseek-reasoner's 400 when any input message carries `reasoning_content`."""
    if not isinstance(messages, list):
        return None
    if any(isinstance(m, dict) and "reasoning_content" in m for m in messages):
        return Fault.http(400, REJECTED_INPUT, type="invalid_request_error")
    return None
