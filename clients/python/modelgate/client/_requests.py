"""Conversions from the client's ergonomic arguments to request protos (shared by both clients)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal, TypeAlias

from google.protobuf import duration_pb2
from typing_extensions import TypedDict

from modelgate.client.messages import (
    JsonObjectLike,
    MessagesLike,
    cache_breakpoint,
    checked_keys,
    json_text,
    system,
    to_messages,
)
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    generation_pb2,
    model_pb2,
    prompt_pb2,
    tokens_pb2,
)

ToolLike: TypeAlias = content_pb2.Tool | Mapping[str, Any]
"""A `content_pb2.Tool`, or a dict {"name", "description", "parameters", "strict",
"cache_breakpoint"} ("parameters": a JSON Schema mapping or JSON text;
"cache_breakpoint": see `BreakpointLike`)."""

ToolChoiceLike: TypeAlias = content_pb2.ToolChoice | Literal["auto", "none", "required"] | str
"""A `ToolChoice`, a mode ("auto", "none", "required") or the name of the tool to call."""

ResponseFormatLike: TypeAlias = (
    generation_pb2.ResponseFormat | Literal["text", "json_object"] | Mapping[str, Any]
)
"""A `ResponseFormat`, "text", "json_object", or a JSON Schema dict (named "response");
use `json_schema()` to name the schema, pass it as JSON text or set strict/max_reasks."""

EffortName: TypeAlias = Literal["minimal", "low", "medium", "high"]


class ReasoningOptions(TypedDict, total=False):
    """`ReasoningConfig` as a dict, e.g. {"effort": "high"} or {"budget_tokens": 2048}."""

    effort: EffortName | generation_pb2.ReasoningEffort.ValueType
    budget_tokens: int
    include_thoughts: bool


ReasoningLike: TypeAlias = generation_pb2.ReasoningConfig | ReasoningOptions
"""A `ReasoningConfig`, or the same fields as a dict (`ReasoningOptions`)."""


class PromptCacheOptions(TypedDict, total=False):
    """`PromptCacheConfig` as a dict, e.g. {"key": "tenant-7", "retention": "extended"}."""

    key: str
    retention: Literal["in_memory", "extended"] | generation_pb2.PromptCacheRetention.ValueType


PromptCacheLike: TypeAlias = generation_pb2.PromptCacheConfig | PromptCacheOptions
"""A `PromptCacheConfig`, or the same fields as a dict (`PromptCacheOptions`)."""


class PromptOptions(TypedDict, total=False):
    """`PromptRef` as a dict, e.g. {"id": "greet", "variables": {"name": "Ada"}}."""

    id: str
    version: int
    variables: JsonObjectLike
    """A mapping (sent as JSON in its own key order) or JSON text."""


PromptLike: TypeAlias = prompt_pb2.PromptRef | PromptOptions
"""A `PromptRef`, or the same fields as a dict (`PromptOptions`)."""

CacheLike: TypeAlias = generation_pb2.CacheControl | Literal["use", "bypass", "refresh"]
"""A `CacheControl`, or a cache mode name."""

CapabilityLike: TypeAlias = (
    model_pb2.Capability.ValueType
    | Literal["chat", "completion", "embedding", "streaming", "tools", "vision", "json_schema"]
)
"""A `model_pb2.Capability` value or its lower-case name."""

_TOOL_MODES: Mapping[str, content_pb2.ToolChoiceMode.ValueType] = {
    "auto": content_pb2.TOOL_CHOICE_MODE_AUTO,
    "none": content_pb2.TOOL_CHOICE_MODE_NONE,
    "required": content_pb2.TOOL_CHOICE_MODE_REQUIRED,
}

_CACHE_MODES: Mapping[str, generation_pb2.CacheMode.ValueType] = {
    "use": generation_pb2.CACHE_MODE_USE,
    "bypass": generation_pb2.CACHE_MODE_BYPASS,
    "refresh": generation_pb2.CACHE_MODE_REFRESH,
}


_TOOL_KEYS = frozenset({"name", "description", "parameters", "strict", "cache_breakpoint"})


def tool_proto(value: ToolLike) -> content_pb2.Tool:
    """A Tool from a proto or a dict."""
    if isinstance(value, content_pb2.Tool):
        return value
    checked_keys(value, _TOOL_KEYS, "tool")
    out = content_pb2.Tool(
        name=str(value["name"]),
        description=str(value.get("description", "")),
        strict=bool(value.get("strict", False)),
    )
    if value.get("parameters") is not None:
        out.parameters_json = json_text(value["parameters"])
    breakpoint_ = cache_breakpoint(value.get("cache_breakpoint"))
    if breakpoint_ is not None:
        out.cache_breakpoint.CopyFrom(breakpoint_)
    return out


def _enum_value(enum: Any, prefix: str, name: str, field: str) -> Any:
    """An enum value by its lower-case short name ("high" -> REASONING_EFFORT_HIGH)."""
    try:
        value = enum.Value(prefix + name.upper())
    except ValueError:
        known = ", ".join(n.removeprefix(prefix).lower() for n in enum.keys()[1:])
        raise ValueError(f"unknown {field} {name!r}; expected one of {known}") from None
    return value


def reasoning_proto(value: ReasoningLike) -> generation_pb2.ReasoningConfig:
    """A ReasoningConfig from a proto or a dict; effort by name ("high") or enum value."""
    if isinstance(value, generation_pb2.ReasoningConfig):
        return value
    checked_keys(value, ReasoningOptions.__optional_keys__, "reasoning")
    out = generation_pb2.ReasoningConfig(include_thoughts=value.get("include_thoughts", False))
    effort = value.get("effort")
    if isinstance(effort, str):
        out.effort = _enum_value(
            generation_pb2.ReasoningEffort, "REASONING_EFFORT_", effort, "effort"
        )
    elif effort is not None:
        out.effort = effort
    if "budget_tokens" in value:
        out.budget_tokens = value["budget_tokens"]
    return out


def prompt_cache_proto(value: PromptCacheLike) -> generation_pb2.PromptCacheConfig:
    """A PromptCacheConfig from a proto or a dict; retention by name ("extended")."""
    if isinstance(value, generation_pb2.PromptCacheConfig):
        return value
    checked_keys(value, PromptCacheOptions.__optional_keys__, "prompt_cache")
    out = generation_pb2.PromptCacheConfig(key=value.get("key", ""))
    retention = value.get("retention")
    if isinstance(retention, str):
        out.retention = _enum_value(
            generation_pb2.PromptCacheRetention, "PROMPT_CACHE_RETENTION_", retention, "retention"
        )
    elif retention is not None:
        out.retention = retention
    return out


def prompt_proto(value: PromptLike) -> prompt_pb2.PromptRef:
    """A PromptRef from a proto or a dict; `variables` as a mapping or JSON text."""
    if isinstance(value, prompt_pb2.PromptRef):
        return value
    checked_keys(value, PromptOptions.__optional_keys__, "prompt_template")
    out = prompt_pb2.PromptRef(id=value.get("id", ""), version=value.get("version", 0))
    variables = value.get("variables")
    if variables is not None:
        out.variables_json = json_text(variables)
    return out


def tool_choice_proto(value: ToolChoiceLike) -> content_pb2.ToolChoice:
    """A ToolChoice; the strings "auto", "none" and "required" are modes, others tool names."""
    if isinstance(value, content_pb2.ToolChoice):
        return value
    mode = _TOOL_MODES.get(value)
    if mode is not None:
        return content_pb2.ToolChoice(mode=mode)
    return content_pb2.ToolChoice(tool_name=value)


def response_format_proto(value: ResponseFormatLike) -> generation_pb2.ResponseFormat:
    """A ResponseFormat from a proto, a type name or a JSON Schema dict."""
    if isinstance(value, generation_pb2.ResponseFormat):
        return value
    if value == "text":
        return generation_pb2.ResponseFormat(type=generation_pb2.RESPONSE_FORMAT_TYPE_TEXT)
    if value in ("json", "json_object"):
        return generation_pb2.ResponseFormat(type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT)
    if isinstance(value, str):
        raise ValueError(f"unknown response format {value!r}")
    return generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="response",
        schema_json=json_text(value),
    )


def cache_proto(value: CacheLike) -> generation_pb2.CacheControl:
    """A CacheControl from a proto or a mode name."""
    if isinstance(value, generation_pb2.CacheControl):
        return value
    try:
        return generation_pb2.CacheControl(mode=_CACHE_MODES[value])
    except KeyError:
        raise ValueError(f"unknown cache mode {value!r}") from None


def capability_value(value: CapabilityLike) -> model_pb2.Capability.ValueType:
    """A Capability enum value from the enum or its lower-case name."""
    if isinstance(value, str):
        try:
            return model_pb2.Capability.Value("CAPABILITY_" + value.upper())
        except ValueError:
            raise ValueError(f"unknown capability {value!r}") from None
    return value


def duration_proto(value: float | timedelta) -> duration_pb2.Duration:
    """A Duration from seconds or a timedelta (negative values allowed)."""
    out = duration_pb2.Duration()
    if isinstance(value, timedelta):
        out.FromTimedelta(value)
    else:
        out.FromNanoseconds(round(value * 1e9))
    return out


def as_stream_chat(
    request: chat_pb2.ChatRequest | chat_pb2.StreamChatRequest,
) -> chat_pb2.StreamChatRequest:
    """StreamChatRequest from either request type (same fields and numbers)."""
    if isinstance(request, chat_pb2.StreamChatRequest):
        return request
    return chat_pb2.StreamChatRequest.FromString(request.SerializeToString())


def as_stream_complete(
    request: completion_pb2.CompleteRequest | completion_pb2.StreamCompleteRequest,
) -> completion_pb2.StreamCompleteRequest:
    """StreamCompleteRequest from either request type (same fields and numbers)."""
    if isinstance(request, completion_pb2.StreamCompleteRequest):
        return request
    return completion_pb2.StreamCompleteRequest.FromString(request.SerializeToString())


def build_count_tokens_request(
    model: str,
    *,
    text: str | None,
    messages: MessagesLike | None,
    system_prompt: str | None,
    tools: Sequence[ToolLike] | None,
) -> tokens_pb2.CountTokensRequest:
    """A CountTokensRequest for plain text or a prompt of messages."""
    request = tokens_pb2.CountTokensRequest(model=model, text=text or "")
    if system_prompt is not None:
        request.messages.append(system(system_prompt))
    if messages is not None:
        request.messages.extend(to_messages(messages))
    if tools:
        request.tools.extend(tool_proto(t) for t in tools)
    return request


def build_list_models_request(
    *,
    provider: str | None,
    runtime: str | None,
    capability: CapabilityLike | None,
    available_only: bool,
    page_size: int,
    page_token: str,
) -> model_pb2.ListModelsRequest:
    """A ListModelsRequest; unset filters stay empty."""
    return model_pb2.ListModelsRequest(
        page_size=page_size,
        page_token=page_token,
        provider=provider or "",
        runtime=runtime or "",
        capability=capability_value(capability)
        if capability is not None
        else model_pb2.CAPABILITY_UNSPECIFIED,
        available_only=available_only,
    )
