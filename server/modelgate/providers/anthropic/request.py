"""Proto requests to Anthropic Messages API bodies (plain dicts, serialized once by orjson).

What does not map, and why:
- `presence_penalty`, `frequency_penalty` and `seed` have no Messages API
  equivalent: `MESSAGES` leaves them out, so the router refuses them (or drops
  them, noted in the answer, under the runtime's `unsupported_params: drop`).
- `Message.name`, `Image.detail` and `Tool.strict` have no equivalent either
  and are dropped for the same reason.
- Temperature above 1 is rejected (INVALID_ARGUMENT): Anthropic's range is
  0..1, and clamping would silently change the sampling the caller asked for.
- Messages, system prompts and reasoning parts: messages.py; reasoning
  options: thinking.py; cache breakpoints: caching.py.
- JSON response formats become one forced tool whose input schema is the
  caller's schema; the tool's input is handed back as the answer text (see
  response.py and stream.py). Anthropic tool inputs are objects, so a
  JSON_SCHEMA whose top level is not `"type": "object"` is rejected up front.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from modelgate.errors import invalid_argument
from modelgate.providers.anthropic.caching import auto_breakpoints, count_marks, mark
from modelgate.providers.anthropic.messages import convert_messages
from modelgate.providers.anthropic.thinking import apply_thinking
from modelgate.providers.base import AnyChatRequest, AnyCompleteRequest, Target
from modelgate.providers.json_fields import (
    field_name,
    json_fragment,
    json_value,
    plain,
)
from modelgate.providers.params import MERGED, UpstreamParams
from modelgate.v1 import content_pb2, generation_pb2, tokens_pb2

DEFAULT_MAX_TOKENS = 4096
"""Used when neither the request, the catalog defaults nor the model record give a limit."""
JSON_OBJECT_TOOL = "json_object"
"""Name of the forced tool that carries a RESPONSE_FORMAT_TYPE_JSON_OBJECT answer."""

MESSAGES = UpstreamParams(
    "Anthropic Messages",
    {
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "max_output_tokens": "max_tokens",
        "stop_sequences": "stop_sequences",
        "extra": MERGED,
    },
    {
        "reasoning.effort": "thinking.budget_tokens (by effort)",
        "reasoning.budget_tokens": "thinking.budget_tokens",
        "reasoning.include_thoughts": 'thinking.display: "summarized"',
        "cache_breakpoint": "cache_control",
    },
)
"""What `_generation` sends, for Chat and Complete alike (the features: Chat only)."""

_TOOL_MODES = {
    content_pb2.TOOL_CHOICE_MODE_AUTO: {"type": "auto"},
    content_pb2.TOOL_CHOICE_MODE_REQUIRED: {"type": "any"},
    content_pb2.TOOL_CHOICE_MODE_NONE: {"type": "none"},
}

Violations = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class MessagesCall:
    """A Messages API body, plus the forced tool (if any) whose input is the answer text."""

    body: dict[str, Any]
    json_tool: str | None = None
    dropped_reasoning: tuple[str, ...] = ()
    """Reasoning parts of other providers' formats, left out (paths, for the answer's note)."""


def _tool(tool: content_pb2.Tool, path: str, out: Violations) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": tool.name}
    if tool.description:
        entry["description"] = tool.description
    parameters = json_fragment(tool, "parameters")
    entry["input_schema"] = {"type": "object"} if parameters is None else parameters
    mark(entry, path, tool, out)
    return entry


def _max_tokens(target: Target, generation: generation_pb2.GenerationConfig) -> int:
    if generation.HasField("max_output_tokens"):
        return generation.max_output_tokens
    configured = target.defaults.get("max_tokens")
    if isinstance(configured, int) and configured > 0:
        return configured
    return target.record.max_output_tokens or DEFAULT_MAX_TOKENS


def _generation(
    body: dict[str, Any], target: Target, g: generation_pb2.GenerationConfig, out: Violations
) -> None:
    body["max_tokens"] = _max_tokens(target, g)
    if g.HasField("temperature"):
        if g.temperature > 1.0:
            out.append(
                (
                    "generation.temperature",
                    f"must be in [0, 1] for Anthropic models, got {g.temperature:g}",
                )
            )
        body["temperature"] = round(g.temperature, 6)
    if g.HasField("top_p"):
        body["top_p"] = round(g.top_p, 6)
    if g.HasField("top_k"):
        body["top_k"] = g.top_k
    if g.stop_sequences:
        body["stop_sequences"] = list(g.stop_sequences)
    body.update(json_value(g, "extra") or {})


def _forced_tool(fmt: generation_pb2.ResponseFormat, out: Violations) -> dict[str, Any] | None:
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        schema = json_value(fmt, "schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            out.append(
                (
                    "response_format." + field_name(fmt, "schema"),
                    'Anthropic models need "type": "object" at the top level',
                )
            )
        description = fmt.description or "Give the answer as this tool's input."
        return {
            "name": fmt.schema_name,
            "description": description,
            "input_schema": json_fragment(fmt, "schema"),
        }
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        return {
            "name": JSON_OBJECT_TOOL,
            "description": "Give the answer as this tool's input, a JSON object.",
            "input_schema": {"type": "object"},
        }
    return None


def _finish(body: dict[str, Any], target: Target, stream: bool, out: Violations) -> None:
    if not body["messages"]:
        out.append(("messages", "Anthropic models need at least one user or assistant message"))
    if out:
        raise invalid_argument(out)
    if target.extra:
        body.update(plain(target.extra))
    if stream:
        body["stream"] = True


def chat_call(target: Target, request: AnyChatRequest, *, stream: bool) -> MessagesCall:
    """The /v1/messages body for a Chat or StreamChat request on `target`."""
    out: Violations = []
    dropped: list[str] = []
    system, turns = convert_messages(request.messages, out, dropped)
    body: dict[str, Any] = {"model": target.upstream_name}
    body.update(plain(target.defaults))
    body["messages"] = turns
    if system is not None:
        body["system"] = system
    _generation(body, target, request.generation, out)
    apply_thinking(body, target, request, out)
    tools = [_tool(tool, f"tools[{i}]", out) for i, tool in enumerate(request.tools)]
    choice = request.tool_choice.WhichOneof("choice")
    if choice == "mode" and request.tool_choice.mode in _TOOL_MODES:
        body["tool_choice"] = dict(_TOOL_MODES[request.tool_choice.mode])
    elif choice == "tool_name":
        body["tool_choice"] = {"type": "tool", "name": request.tool_choice.tool_name}
    forced = _forced_tool(request.response_format, out)
    if forced is not None:
        if any(tool["name"] == forced["name"] for tool in tools):
            out.append(("response_format.schema_name", "must differ from every tool name"))
        tools.append(forced)
        body["tool_choice"] = {"type": "tool", "name": forced["name"]}
    if tools:
        body["tools"] = tools
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if not count_marks(body, out) and target.auto_cache_breakpoints:
        auto_breakpoints(body)
    _finish(body, target, stream, out)
    return MessagesCall(body, forced["name"] if forced is not None else None, tuple(dropped))


def complete_call(target: Target, request: AnyCompleteRequest, *, stream: bool) -> MessagesCall:
    """A Complete request as Messages: the prompt is one user turn (no fill-in-the-middle)."""
    out: Violations = []
    if request.suffix:
        out.append(("suffix", "fill-in-the-middle is not supported by Anthropic models"))
    body: dict[str, Any] = {"model": target.upstream_name}
    body.update(plain(target.defaults))
    body["messages"] = [{"role": "user", "content": [{"type": "text", "text": request.prompt}]}]
    _generation(body, target, request.generation, out)
    if request.user:
        body["metadata"] = {"user_id": request.user}
    _finish(body, target, stream, out)
    return MessagesCall(body)


def count_tokens_body(target: Target, request: tokens_pb2.CountTokensRequest) -> dict[str, Any]:
    """The /v1/messages/count_tokens body (plain values, for the SDK): text is one user turn."""
    out: Violations = []
    if request.text:
        system = None
        turns = [{"role": "user", "content": [{"type": "text", "text": request.text}]}]
    else:
        system, turns = convert_messages(request.messages, out)
    if not turns:
        out.append(("messages", "Anthropic models need at least one user or assistant message"))
    if out:
        raise invalid_argument(out)
    body: dict[str, Any] = {"model": target.upstream_name, "messages": turns}
    if system is not None:
        body["system"] = system
    if request.tools:
        body["tools"] = [_tool(tool, f"tools[{i}]", out) for i, tool in enumerate(request.tools)]
    if out:
        raise invalid_argument(out)
    # The SDK sends this body and serializes plain values only: JSON fragments
    # become parsed values (key order and integers kept).
    plain_body: dict[str, Any] = orjson.loads(orjson.dumps(body))
    return plain_body
