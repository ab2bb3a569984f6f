"""Extended thinking and prompt caching as the Anthropic fake plays them.

Answers: a reply's `Thought`s become `thinking` blocks (with a signature the
fake issues) or `redacted_thinking` blocks, before the answer or after a given
number of tool calls (interleaved thinking). Requests are checked the way the
API checks them, so a gateway that mangles a replay fails here as it would
upstream: `budget_tokens` of at least 1,024 and below `max_tokens`; every
thinking block sent back signed by this fake over exactly its text, every
redacted block's data issued by it; with thinking on, an assistant turn that
ends in `tool_use` answered by tool results must start with a thinking block;
`cache_control` only `{type: ephemeral, ttl: 5m|1h}`, never on thinking blocks,
at most four.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .plan import Plan
from .scenario import Thought

THINKING_TYPES = ("thinking", "redacted_thinking")
MIN_BUDGET = 1024
MAX_CACHE_MARKS = 4


class Signer:
    """Issues signatures over thinking text and data for redacted blocks, and checks them."""

    def __init__(self) -> None:
        self.signed: dict[str, str] = {}
        self.redacted: set[str] = set()

    def block(self, thought: Thought) -> dict[str, Any]:
        """The answer block of one thought."""
        if thought.redacted is not None:
            self.redacted.add(thought.redacted)
            return {"type": "redacted_thinking", "data": thought.redacted}
        signature = thought.signature
        if signature is None:
            digest = hashlib.sha256(thought.text.encode()).digest()
            signature = "Eq" + base64.b64encode(b"\x0a\x48" + digest * 3).decode()
        self.signed[signature] = thought.text
        return {"type": "thinking", "thinking": thought.text, "signature": signature}

    def problem(self, block: dict[str, Any]) -> str | None:
        """Why a thinking block sent back is refused, or None."""
        if block["type"] == "redacted_thinking":
            return None if block.get("data") in self.redacted else "Invalid `data`"
        if self.signed.get(block.get("signature", "")) != block.get("thinking"):
            return "Invalid `signature` in `thinking` block"
        return None


def answer_blocks(plan: Plan, signer: Signer) -> list[dict[str, Any]]:
    """Thinking, text and tool_use blocks in the order the reply's thoughts ask for."""
    thoughts = plan.reply.thoughts
    blocks = [signer.block(t) for t in thoughts if t.after_calls is None]
    if plan.text or not plan.calls:
        blocks.append({"type": "text", "text": plan.text})
    for number, call in enumerate(plan.calls, 1):
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
        blocks += [signer.block(t) for t in thoughts if t.after_calls == number]
    return blocks


def stream_deltas(block: dict[str, Any], pieces: int = 3) -> tuple[dict[str, Any], list[Any]]:
    """(content_block_start block, deltas) of a thinking block: text pieces, then the signature."""
    if block["type"] == "redacted_thinking":
        return block, []
    text = block["thinking"]
    size = max(1, -(-len(text) // pieces))
    deltas: list[Any] = [
        {"type": "thinking_delta", "thinking": text[i : i + size]}
        for i in range(0, len(text), size)
    ]
    deltas.append({"type": "signature_delta", "signature": block["signature"]})
    return {"type": "thinking", "thinking": "", "signature": ""}, deltas


def _cache_problem(marked: list[Any]) -> str | None:
    if len(marked) > MAX_CACHE_MARKS:
        return f"A maximum of {MAX_CACHE_MARKS} blocks with cache_control may be provided."
    for control in marked:
        if not isinstance(control, dict) or control.get("type") != "ephemeral":
            return "cache_control.type: Input should be 'ephemeral'"
        if control.get("ttl", "5m") not in ("5m", "1h"):
            return "cache_control.ttl: Input should be '5m' or '1h'"
    return None


def request_problem(body: dict[str, Any], signer: Signer) -> str | None:
    """Why the API would answer 400 to this body's thinking or caching, or None."""
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < MIN_BUDGET:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if budget >= body.get("max_tokens", 0):
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
    marked: list[Any] = [t["cache_control"] for t in body.get("tools", ()) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        marked += [b["cache_control"] for b in system if "cache_control" in b]
    turns = body.get("messages", [])
    for i, turn in enumerate(turns):
        content = turn.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if "cache_control" in block:
                if block["type"] in THINKING_TYPES:
                    return "Thinking blocks cannot be marked with cache_control"
                marked.append(block["cache_control"])
            if block["type"] in THINKING_TYPES and (problem := signer.problem(block)):
                return f"messages.{i}.content: {problem}"
        enabled = isinstance(thinking, dict) and thinking.get("type") == "enabled"
        last = content[-1]["type"] if content else ""
        first = content[0]["type"] if content else ""
        if (
            enabled
            and turn["role"] == "assistant"
            and last == "tool_use"
            and (first not in THINKING_TYPES)
        ):
            return (
                f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, "
                f"but found `{first}`. When `thinking` is enabled, a final `assistant` "
                "message must start with a thinking block."
            )
    return _cache_problem(marked)
