"""The fakes' shared text rules: the echo source, word pieces, token counts, embeddings.

Every provider fake answers from the same words and counts them the same way, so one
test idiom and one set of expected usage numbers work against all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelgate.providers.echo import unit_vector

from .scenario import Reply, ToolCall

_WORD = re.compile(r"\s*\S+")


def split_words(text: str) -> list[str]:
    """Word pieces with their leading spaces, so "".join(pieces) == text."""
    pieces = _WORD.findall(text)
    rest = text[sum(len(p) for p in pieces) :]
    if rest:
        if pieces:
            pieces[-1] += rest
        else:
            pieces = [rest]
    return pieces


def count_words(*texts: str) -> int:
    """The fakes' deterministic token count: whitespace-separated words."""
    return sum(len(t.split()) for t in texts)


def split_fragments(text: str, size: int = 8) -> list[str]:
    """Fixed-size pieces for streaming tool-call argument JSON."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def tool_args_json(call: ToolCall) -> str:
    """Compact JSON like the providers emit."""
    return json.dumps(call.arguments, separators=(",", ":"))


def embed(text: str, dim: int) -> list[float]:
    """A deterministic unit vector seeded by the text (equal texts, equal vectors): the echo
    provider's, so fakes and echo agree and the algorithm is written once."""
    return unit_vector(text, dim)


def text_of(content: Any) -> str:
    """Plain text of a message content: a string or a list of typed blocks/parts."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif block.get("type") == "tool_result":
                parts.append(text_of(block.get("content")))
    return " ".join(p for p in parts if p)


def last_user_text(messages: Any) -> str:
    """The echo source: the last user (or tool-result) message's text."""
    if not isinstance(messages, list):
        return ""
    for msg in reversed(messages):
        if isinstance(msg, dict) and msg.get("role") in ("user", "tool"):
            return text_of(msg.get("content"))
    return ""


def all_text(messages: Any) -> str:
    """Every message's text joined, for deterministic input-token counts."""
    if not isinstance(messages, list):
        return ""
    return " ".join(text_of(m.get("content")) for m in messages if isinstance(m, dict))


_FINISH_ALIASES = {
    "end_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def neutral_finish(reply: Reply | None, has_tools: bool) -> str:
    """Normalise a reply's finish reason to the neutral vocabulary."""
    raw = reply.finish_reason if reply else None
    if raw is None:
        return "tool_calls" if has_tools else "stop"
    return _FINISH_ALIASES.get(raw, raw)
