"""Prompt-cache breakpoints as Anthropic `cache_control` markers.

A CacheBreakpoint on a tool, a content part or a message (its last block; for
a system message, the end of its system text) becomes
`cache_control: {type: ephemeral}` on that block, with `ttl: "5m"` or `"1h"`,
the smallest choice at least as long as the breakpoint's TTL (longer than an
hour: INVALID_ARGUMENT). Thinking blocks cannot be marked (Anthropic refuses
it), nor can more than `MAX_BREAKPOINTS` be placed.

`auto_cache_breakpoints` (per model) places breakpoints for callers that set
none: on the last tool and at the end of the system prompt, each only when
the prompt up to it is at least `AUTO_MIN_BYTES` long (about 1,024 tokens, the
smallest prefix Anthropic caches), so short prompts pay no cache-write price.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelgate.v1 import content_pb2

MAX_BREAKPOINTS = 4
"""Anthropic's limit of `cache_control` markers per request."""
TTL_CHOICES = ((300, "5m"), (3600, "1h"))
AUTO_MIN_BYTES = 4096
"""Prefix length from which `auto_cache_breakpoints` places a breakpoint (~1,024 tokens)."""

Violations = list[tuple[str, str]]


def cache_control(
    path: str, breakpoint_: content_pb2.CacheBreakpoint, out: Violations
) -> dict[str, str]:
    """The `cache_control` value of a breakpoint."""
    control = {"type": "ephemeral"}
    if breakpoint_.HasField("ttl"):
        ttl = breakpoint_.ttl.seconds + breakpoint_.ttl.nanos / 1e9
        choice = next((name for seconds, name in TTL_CHOICES if ttl <= seconds), None)
        if choice is None:
            out.append((f"{path}.ttl", "Anthropic caches for at most 1 hour"))
        else:
            control["ttl"] = choice
    return control


def mark(block: dict[str, Any], path: str, holder: Any, out: Violations) -> None:
    """Put `holder`'s breakpoint (if any) on `block`, refusing thinking blocks."""
    if not holder.HasField("cache_breakpoint"):
        return
    if block.get("type") in ("thinking", "redacted_thinking"):
        out.append((f"{path}.cache_breakpoint", "Anthropic cannot cache-mark thinking blocks"))
        return
    block["cache_control"] = cache_control(f"{path}.cache_breakpoint", holder.cache_breakpoint, out)


def count_marks(body: dict[str, Any], out: Violations) -> int:
    """How many breakpoints the caller placed; more than Anthropic takes is refused."""
    marked = sum(1 for t in body.get("tools", ()) if "cache_control" in t)
    system = body.get("system")
    if isinstance(system, list):
        marked += sum(1 for block in system if "cache_control" in block)
    for turn in body["messages"]:
        marked += sum(1 for block in turn["content"] if "cache_control" in block)
    if marked > MAX_BREAKPOINTS:
        out.append(
            (
                "cache_breakpoint",
                f"at most {MAX_BREAKPOINTS} per request on Anthropic, got {marked}",
            )
        )
    return marked


def auto_breakpoints(body: dict[str, Any]) -> None:
    """Breakpoints after the tools and the system prompt of a long prompt (module docstring)."""
    size = 0
    tools = body.get("tools")
    if tools:
        size += len(orjson.dumps(tools))
        if size >= AUTO_MIN_BYTES:
            tools[-1]["cache_control"] = {"type": "ephemeral"}
    system = body.get("system")
    if system:
        size += len(system.encode()) if isinstance(system, str) else len(orjson.dumps(system))
        if size >= AUTO_MIN_BYTES:
            if isinstance(system, str):
                body["system"] = system = [{"type": "text", "text": system}]
            system[-1]["cache_control"] = {"type": "ephemeral"}
