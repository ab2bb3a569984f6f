"""Turn a request plus its scripted behaviour into a concrete answer plan.

Every provider needs the same decisions (echo or canned text, tool-call ids,
max-token truncation, deterministic usage); making them once keeps the fakes
consistent with each other and with the usage numbers tests assert.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from .scenario import Behaviour, Fault, Reply, Timing, ToolCall
from .text import count_words, neutral_finish, split_fragments, split_words, tool_args_json

BASE62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rid(prefix: str, length: int, alphabet: str = BASE62) -> str:
    """A provider-style random id such as `chatcmpl-...` or `toolu_01...`."""
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Plan:
    """What one request will answer, already resolved and counted."""

    text: str
    pieces: list[str]
    calls: list[ToolCall]
    finish: str
    input_tokens: int
    output_tokens: int
    timing: Timing
    reply: Reply = field(default_factory=Reply)
    fault: Fault | None = None
    model: str = ""
    reasoning: str = ""
    """The thought text (`Reply.reasoning`), streamed as `split_words` pieces."""

    @property
    def reasoning_tokens(self) -> int:
        """The scripted count, else the thought's words."""
        return self.reply.reasoning_tokens or count_words(self.reasoning)

    def fragments(self, call: ToolCall, size: int = 8) -> list[str]:
        """Argument JSON of a call, split the way it is streamed."""
        return split_fragments(tool_args_json(call), size)


def make_plan(
    behaviour: Behaviour | None,
    *,
    echo: str,
    prompt_tokens: int,
    model: str,
    timing: Timing,
    call_id: str,
    call_id_len: int,
    max_tokens: Any = None,
    call_id_alphabet: str = BASE62,
) -> Plan:
    """Resolve echo vs script, assign call ids, apply max_tokens and count usage."""
    fault = behaviour if isinstance(behaviour, Fault) else None
    reply = behaviour if isinstance(behaviour, Reply) else Reply()
    calls = [
        c if c.id else ToolCall(c.name, c.arguments, rid(call_id, call_id_len, call_id_alphabet))
        for c in reply.tool_calls
    ]
    if reply.chunks is not None:
        text = "".join(reply.chunks)
        pieces = list(reply.chunks)
    else:
        text = reply.text if reply.text is not None else ("" if calls else echo)
        pieces = split_words(text)
    finish = neutral_finish(reply if reply.finish_reason else None, bool(calls))
    if (
        isinstance(max_tokens, int)
        and not isinstance(max_tokens, bool)
        and reply.finish_reason is None
        and 0 < max_tokens < len(pieces)
    ):
        pieces = pieces[:max_tokens]
        text = "".join(pieces)
        finish = "length"
    if reply.output_tokens is not None:
        output = reply.output_tokens
    else:
        arg_tokens = sum(len(split_fragments(tool_args_json(c))) for c in calls)
        output = count_words(text) + arg_tokens
        output += reply.reasoning_tokens or count_words(reply.reasoning or "")
    return Plan(
        text=text,
        pieces=pieces,
        calls=calls,
        finish=finish,
        input_tokens=prompt_tokens if reply.input_tokens is None else reply.input_tokens,
        output_tokens=output,
        timing=reply.timing(timing),
        reply=reply,
        fault=fault,
        model=reply.model or model,
        reasoning=reply.reasoning or "",
    )
