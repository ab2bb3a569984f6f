"""Extended thinking on the Messages API: the `thinking` option and thinking blocks.

Effort becomes a `budget_tokens` (`EFFORT_BUDGETS`; an explicit
`reasoning.budget_tokens` wins). The budget must be at least 1,024 tokens and
below `max_tokens` (thinking counts within it): when the caller set
`max_output_tokens` it must exceed an explicit budget (else INVALID_ARGUMENT),
and an effort's budget shrinks to half of it; when the caller did not,
`max_tokens` grows to the budget plus `ANSWER_ROOM`, within the model's
`max_output_tokens`. Thinking does not combine with `temperature`, `top_k`, a
`top_p` below 0.95 or a forced tool (JSON response formats, tool_choice
REQUIRED or a tool name): such requests are refused naming the field rather
than sent to fail upstream.

Reasoning parts in the caller's history go back as the blocks they came from,
byte for byte (a `thinking` block with its `signature`, or `redacted_thinking`
with its `data`), in place; parts of another provider's format cannot be used
by Claude and are left out, named in the answer's `metadata["dropped_reasoning"]`.
"""

from __future__ import annotations

from typing import Any

from modelgate.providers.base import Target
from modelgate.v1 import content_pb2, generation_pb2

MIN_BUDGET = 1024
"""Anthropic's smallest `budget_tokens`."""
ANSWER_ROOM = 4096
"""Tokens left for the answer above the thinking budget when the caller set no limit."""
EFFORT_BUDGETS: dict[int, int] = {
    generation_pb2.REASONING_EFFORT_MINIMAL: 1024,
    generation_pb2.REASONING_EFFORT_LOW: 4096,
    generation_pb2.REASONING_EFFORT_MEDIUM: 10240,
    generation_pb2.REASONING_EFFORT_HIGH: 32768,
}
"""`budget_tokens` per effort (docs/reasoning.md has the table)."""
FORMAT = content_pb2.REASONING_FORMAT_ANTHROPIC

Violations = list[tuple[str, str]]


def reasoning_block(path: str, thought: content_pb2.Reasoning, out: Violations) -> dict[str, Any]:
    """The block an Anthropic reasoning part came from, unchanged."""
    if thought.encrypted:
        return {"type": "redacted_thinking", "data": thought.encrypted}
    if not thought.signature:
        out.append((f"{path}.reasoning.signature", "Anthropic needs thinking blocks signed"))
    return {"type": "thinking", "thinking": thought.text, "signature": thought.signature}


def thought_part(block: dict[str, Any], text: str, secret: str) -> content_pb2.ContentPart:
    """A reasoning part from a `thinking` (text, signature) or `redacted_thinking` block."""
    if block.get("type") == "redacted_thinking":
        return content_pb2.ContentPart(
            reasoning=content_pb2.Reasoning(encrypted=secret, format=FORMAT)
        )
    return content_pb2.ContentPart(
        reasoning=content_pb2.Reasoning(text=text, signature=secret, format=FORMAT)
    )


def _budget(
    reasoning: generation_pb2.ReasoningConfig, limit: int | None, out: Violations
) -> int | None:
    """The thinking budget; `limit` is the caller's max_output_tokens when set."""
    if reasoning.HasField("budget_tokens"):
        budget = reasoning.budget_tokens
        if budget < MIN_BUDGET:
            out.append(
                ("reasoning.budget_tokens", f"must be at least {MIN_BUDGET} for Anthropic models")
            )
        elif limit is not None and limit <= budget:
            out.append(
                (
                    "generation.max_output_tokens",
                    f"must exceed reasoning.budget_tokens ({budget}): Anthropic counts "
                    "thinking within max_tokens",
                )
            )
        return budget
    budget = EFFORT_BUDGETS[reasoning.effort]
    if limit is not None:
        budget = min(budget, limit // 2)
        if budget < MIN_BUDGET:
            out.append(
                (
                    "generation.max_output_tokens",
                    f"must be at least {2 * MIN_BUDGET} to leave room for thinking "
                    f"(reasoning.effort) on Anthropic models",
                )
            )
    return budget


def _incompatible(request: Any, out: Violations) -> None:
    g = request.generation
    if g.HasField("temperature"):
        out.append(("generation.temperature", "Anthropic extended thinking takes no temperature"))
    if g.HasField("top_k"):
        out.append(("generation.top_k", "Anthropic extended thinking takes no top_k"))
    if g.HasField("top_p") and g.top_p < 0.95:
        out.append(("generation.top_p", "must be at least 0.95 with Anthropic extended thinking"))
    if request.response_format.type in (
        generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
        generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
    ):
        out.append(
            (
                "response_format.type",
                "Anthropic answers JSON through a forced tool, which extended thinking forbids",
            )
        )
    choice = request.tool_choice
    if choice.WhichOneof("choice") == "tool_name" or (
        choice.WhichOneof("choice") == "mode"
        and choice.mode == content_pb2.TOOL_CHOICE_MODE_REQUIRED
    ):
        out.append(("tool_choice", "Anthropic extended thinking allows only AUTO or NONE"))


def apply_thinking(body: dict[str, Any], target: Target, request: Any, out: Violations) -> None:
    """Set `thinking` (and grow `max_tokens`) for a request that asks for reasoning."""
    if not request.HasField("reasoning"):
        return
    reasoning = request.reasoning
    if not reasoning.effort and not reasoning.HasField("budget_tokens"):
        if reasoning.include_thoughts:
            out.append(
                (
                    "reasoning.include_thoughts",
                    "Anthropic models think only when asked: set reasoning.effort or "
                    "reasoning.budget_tokens too",
                )
            )
        return
    g = request.generation
    limit = g.max_output_tokens if g.HasField("max_output_tokens") else None
    budget = _budget(reasoning, limit, out)
    _incompatible(request, out)
    if budget is None:
        return
    cap = target.record.max_output_tokens
    if limit is None and cap and cap <= budget:
        field = "budget_tokens" if reasoning.HasField("budget_tokens") else "effort"
        out.append(
            (
                f"reasoning.{field}",
                f"asks for {budget} thinking tokens, more than the model's "
                f"max_output_tokens ({cap}) leaves room for",
            )
        )
    elif limit is None and body["max_tokens"] <= budget:
        body["max_tokens"] = min(budget + ANSWER_ROOM, cap) if cap else budget + ANSWER_ROOM
    thinking: dict[str, Any] = {"type": "enabled", "budget_tokens": budget}
    if reasoning.include_thoughts:
        thinking["display"] = "summarized"
    body["thinking"] = thinking
