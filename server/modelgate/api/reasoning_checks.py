"""Checks of the reasoning and prompt-cache fields of a chat request, with field paths.

Only what holds for every provider is checked here (enum values, a budget
above zero, a well-formed TTL, reasoning parts only in assistant messages);
what a given provider accepts (Anthropic's 1,024-token budget floor, its
5-minute and 1-hour TTL choices) is refused by that provider's request
builder, and whether a deployment takes the feature at all by the router
(routing/admission.py).
"""

from __future__ import annotations

from google.protobuf import duration_pb2

from modelgate.config import LimitsConfig
from modelgate.providers.base import AnyChatRequest
from modelgate.v1 import content_pb2, generation_pb2

Violations = list[tuple[str, str]]

_EFFORTS = frozenset(generation_pb2.ReasoningEffort.values())
_RETENTIONS = frozenset(generation_pb2.PromptCacheRetention.values())
_FORMATS = frozenset(content_pb2.ReasoningFormat.values())
MAX_CACHE_KEY_CHARS = 1024
"""Longest `prompt_cache.key` (a grouping label, not content)."""
NANOS = 1_000_000_000


def check_ttl(out: Violations, path: str, ttl: duration_pb2.Duration) -> None:
    """A breakpoint TTL must be a positive, well-formed duration."""
    if not 0 <= ttl.nanos < NANOS or ttl.seconds < 0 or (ttl.seconds == 0 and ttl.nanos == 0):
        out.append((f"{path}.ttl", "must be a positive duration"))


def check_breakpoint(out: Violations, path: str, holder: object) -> None:
    """Check `holder.cache_breakpoint` when it is set."""
    if holder.HasField("cache_breakpoint"):  # type: ignore[attr-defined]
        breakpoint_ = holder.cache_breakpoint  # type: ignore[attr-defined]
        if breakpoint_.HasField("ttl"):
            check_ttl(out, f"{path}.cache_breakpoint", breakpoint_.ttl)


def check_reasoning_part(
    out: Violations, path: str, role: int, thought: content_pb2.Reasoning
) -> None:
    """A reasoning part comes back in an assistant message, with something in it."""
    if role != content_pb2.ROLE_ASSISTANT:
        out.append((path, "only assistant messages carry reasoning"))
    if not (thought.text or thought.signature or thought.encrypted):
        out.append((path, "set `text`, `signature` or `encrypted`"))
    if thought.format not in _FORMATS:
        out.append((f"{path}.format", f"unknown value {thought.format}"))


def check_request_features(out: Violations, request: AnyChatRequest, limits: LimitsConfig) -> None:
    """The request-level reasoning and prompt-cache options."""
    if request.HasField("reasoning"):
        reasoning = request.reasoning
        if reasoning.effort not in _EFFORTS:
            out.append(("reasoning.effort", f"unknown value {reasoning.effort}"))
        if reasoning.HasField("budget_tokens") and not (
            0 < reasoning.budget_tokens <= limits.max_output_tokens
        ):
            out.append(
                (
                    "reasoning.budget_tokens",
                    f"must be in [1, {limits.max_output_tokens}], got {reasoning.budget_tokens}",
                )
            )
    if request.HasField("prompt_cache"):
        cache = request.prompt_cache
        if cache.retention not in _RETENTIONS:
            out.append(("prompt_cache.retention", f"unknown value {cache.retention}"))
        if len(cache.key) > MAX_CACHE_KEY_CHARS:
            out.append(("prompt_cache.key", f"at most {MAX_CACHE_KEY_CHARS} characters"))
    for i, tool in enumerate(request.tools):
        check_breakpoint(out, f"tools[{i}]", tool)
