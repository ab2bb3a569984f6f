"""Builders for messages and request pieces, so callers rarely touch raw protos.

Everything here returns plain generated protobuf messages; mixing builders
with hand-made protos is fine.

    from modelgate.client import user, system, assistant
    messages = [system("Be terse."), user("Hi"), ("assistant", "Hello!"), "How are you?"]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal, TypeAlias

from google.protobuf import struct_pb2

# The readers moved to `answers`; importable from here as before.
from modelgate.client.answers import arguments_of, structured_output_of, text_of, tool_calls_of
from modelgate.v1 import content_pb2, generation_pb2

__all__ = [
    "BreakpointLike",
    "JsonObjectLike",
    "MessageLike",
    "MessagesLike",
    "PartLike",
    "RoleLike",
    "arguments_of",
    "assistant",
    "cache_breakpoint",
    "image",
    "json_schema",
    "json_text",
    "message",
    "struct",
    "structured_output_of",
    "system",
    "text",
    "text_of",
    "to_message",
    "to_messages",
    "tool",
    "tool_call",
    "tool_calls_of",
    "tool_result",
    "user",
]

RoleName: TypeAlias = Literal["system", "developer", "user", "assistant", "tool"]
RoleLike: TypeAlias = RoleName | str | content_pb2.Role.ValueType
"""A role name ("system", "user", "assistant", "tool"; "developer" means system)
or a `content_pb2.Role` value."""

PartLike: TypeAlias = (
    str
    | content_pb2.ContentPart
    | content_pb2.Image
    | content_pb2.ToolCall
    | content_pb2.ToolResult
)
"""One content part: plain text, or a part (or the proto a part can hold)."""

MessageLike: TypeAlias = (
    content_pb2.Message | str | tuple[RoleLike, str | Sequence[PartLike]] | Mapping[str, Any]
)
"""A message: a proto, a user text, a (role, content) tuple or a dict
{"role": "user", "content": "...", "name": ..., "cache_breakpoint": ...}; a "tool"
dict also needs "tool_call_id" and its content becomes the tool result (text, or a
mapping sent as JSON). Any other key raises ValueError: nothing set is dropped."""

MessagesLike: TypeAlias = str | content_pb2.Message | Iterable[MessageLike]
"""A conversation: one user text, one message, or an iterable of MessageLike."""

_ROLES: Mapping[str, content_pb2.Role.ValueType] = {
    "system": content_pb2.ROLE_SYSTEM,
    "developer": content_pb2.ROLE_SYSTEM,
    "user": content_pb2.ROLE_USER,
    "assistant": content_pb2.ROLE_ASSISTANT,
    "tool": content_pb2.ROLE_TOOL,
}

_DETAILS: Mapping[str, content_pb2.ImageDetail.ValueType] = {
    "low": content_pb2.IMAGE_DETAIL_LOW,
    "high": content_pb2.IMAGE_DETAIL_HIGH,
    "auto": content_pb2.IMAGE_DETAIL_AUTO,
}


BreakpointLike: TypeAlias = bool | float | timedelta | content_pb2.CacheBreakpoint
"""A prompt-cache breakpoint: True (the provider's default lifetime), a lifetime in
seconds or as a timedelta, or a `CacheBreakpoint`; False or None: none."""

JsonObjectLike: TypeAlias = Mapping[str, Any] | str
"""A JSON object: a mapping (serialized in its own key order, ints kept) or JSON text,
sent as written."""


def _plain(value: object) -> object:
    """json.dumps fallback: Struct-like mappings and sequences as dicts and lists."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_text(value: Any) -> str:
    """JSON text for the contract's `*_json` fields: a str is taken as already-written
    JSON; anything else is serialized in its own key order, ints as ints (no NaN)."""
    if isinstance(value, str):
        return value
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
    )


def struct(value: Mapping[str, Any] | struct_pb2.Struct) -> struct_pb2.Struct:
    """A `google.protobuf.Struct` for the deprecated Struct fields (numbers become
    doubles, key order is lost); the builders here send JSON text instead."""
    if isinstance(value, struct_pb2.Struct):
        return value
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _role(role: RoleLike) -> content_pb2.Role.ValueType:
    if isinstance(role, str):
        try:
            return _ROLES[role.lower()]
        except KeyError:
            raise ValueError(
                f"unknown role {role!r}; expected one of {', '.join(sorted(_ROLES))}"
            ) from None
    return role


def cache_breakpoint(value: BreakpointLike | None) -> content_pb2.CacheBreakpoint | None:
    """A `CacheBreakpoint` from a BreakpointLike (None for False or None).

    The provider may cache the prompt up to and including the element that carries it
    (Anthropic `cache_control`); providers that cache by themselves ignore it.
    """
    if value is None or value is False:
        return None
    if isinstance(value, content_pb2.CacheBreakpoint):
        return value
    out = content_pb2.CacheBreakpoint()
    if value is not True:
        out.ttl.FromTimedelta(value if isinstance(value, timedelta) else timedelta(seconds=value))
    return out


def _mark(
    element: content_pb2.ContentPart | content_pb2.Message | content_pb2.Tool,
    value: BreakpointLike | None,
) -> None:
    """Put the breakpoint `value` names (if any) on `element`."""
    breakpoint_ = cache_breakpoint(value)
    if breakpoint_ is not None:
        element.cache_breakpoint.CopyFrom(breakpoint_)


def text(value: str, *, cache_breakpoint: BreakpointLike | None = None) -> content_pb2.ContentPart:
    """A text part; `cache_breakpoint` marks the prompt up to it as cacheable."""
    part = content_pb2.ContentPart(text=value)
    _mark(part, cache_breakpoint)
    return part


def image(
    *,
    data: bytes | None = None,
    url: str | None = None,
    mime_type: str = "",
    detail: Literal["low", "high", "auto"] | content_pb2.ImageDetail.ValueType | None = None,
    cache_breakpoint: BreakpointLike | None = None,
) -> content_pb2.ContentPart:
    """An image part, by bytes (`mime_type` required) or by http(s) URL."""
    if (data is None) == (url is None):
        raise ValueError("image() needs exactly one of data= or url=")
    if data is not None and not mime_type:
        raise ValueError("image(data=...) needs mime_type, e.g. 'image/png'")
    img = content_pb2.Image(mime_type=mime_type)
    if data is not None:
        img.data = data
    else:
        img.url = url or ""
    if isinstance(detail, str):
        img.detail = _DETAILS[detail]
    elif detail is not None:
        img.detail = detail
    part = content_pb2.ContentPart(image=img)
    _mark(part, cache_breakpoint)
    return part


def tool_call(
    id: str,
    name: str,
    arguments: JsonObjectLike | None = None,
) -> content_pb2.ContentPart:
    """A tool call part (for replaying an assistant turn); `arguments` may be JSON text,
    sent as written."""
    if isinstance(arguments, str) and not isinstance(json.loads(arguments), dict):
        raise ValueError("tool call arguments must be a JSON object")
    return content_pb2.ContentPart(
        tool_call=content_pb2.ToolCall(
            id=id, name=name, arguments_json=json_text(arguments if arguments else {})
        )
    )


def _part(value: PartLike) -> content_pb2.ContentPart:
    if isinstance(value, str):
        return content_pb2.ContentPart(text=value)
    if isinstance(value, content_pb2.ContentPart):
        return value
    if isinstance(value, content_pb2.Image):
        return content_pb2.ContentPart(image=value)
    if isinstance(value, content_pb2.ToolCall):
        return content_pb2.ContentPart(tool_call=value)
    if isinstance(value, content_pb2.ToolResult):
        return content_pb2.ContentPart(tool_result=value)
    raise TypeError(f"cannot use {type(value).__name__} as a content part")


def _parts(content: str | PartLike | Iterable[PartLike]) -> list[content_pb2.ContentPart]:
    if isinstance(content, str):
        return [content_pb2.ContentPart(text=content)]
    if isinstance(
        content,
        content_pb2.ContentPart | content_pb2.Image | content_pb2.ToolCall | content_pb2.ToolResult,
    ):
        return [_part(content)]
    if isinstance(content, Mapping):  # iterating it would send its keys as text
        raise TypeError("message content is text or a list of parts, not a mapping")
    return [_part(p) for p in content]


def message(
    role: RoleLike,
    *parts: PartLike,
    name: str | None = None,
    cache_breakpoint: BreakpointLike | None = None,
) -> content_pb2.Message:
    """A message of `role` with the given parts, in order; `cache_breakpoint` marks the
    prompt up to its end as cacheable (e.g. a long system prompt)."""
    if not parts:
        raise ValueError("a message needs at least one part")
    out = content_pb2.Message(role=_role(role), parts=_parts(parts), name=name or "")
    _mark(out, cache_breakpoint)
    return out


def system(
    *parts: PartLike, name: str | None = None, cache_breakpoint: BreakpointLike | None = None
) -> content_pb2.Message:
    """A system message (instructions framing the conversation)."""
    return message("system", *parts, name=name, cache_breakpoint=cache_breakpoint)


def user(
    *parts: PartLike, name: str | None = None, cache_breakpoint: BreakpointLike | None = None
) -> content_pb2.Message:
    """A user message: text, images or both, e.g. user("What is this?", image(url=...))."""
    return message("user", *parts, name=name, cache_breakpoint=cache_breakpoint)


def assistant(
    *parts: PartLike, name: str | None = None, cache_breakpoint: BreakpointLike | None = None
) -> content_pb2.Message:
    """An assistant message written by hand; `message_of(response)` turns an answer
    back into one unchanged (reasoning parts included)."""
    return message("assistant", *parts, name=name, cache_breakpoint=cache_breakpoint)


def tool_result(
    tool_call_id: str,
    result: str | Mapping[str, Any] | Sequence[Any],
    *,
    is_error: bool = False,
    name: str | None = None,
    cache_breakpoint: BreakpointLike | None = None,
) -> content_pb2.Message:
    """A tool-role message answering one tool call: text, or JSON (a mapping or a list,
    sent as JSON text in its own key order)."""
    res = content_pb2.ToolResult(tool_call_id=tool_call_id, is_error=is_error, name=name or "")
    if isinstance(result, str):
        res.text = result
    else:
        res.json_text = json_text(result)
    out = content_pb2.Message(
        role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=res)]
    )
    _mark(out, cache_breakpoint)
    return out


def tool(
    name: str,
    description: str = "",
    parameters: JsonObjectLike | None = None,
    *,
    strict: bool = False,
    cache_breakpoint: BreakpointLike | None = None,
) -> content_pb2.Tool:
    """A tool the model may call; `parameters` is the JSON Schema of its arguments
    (a mapping or JSON text), sent with its properties in the order given. A
    `cache_breakpoint` on the last tool caches all tool definitions."""
    out = content_pb2.Tool(name=name, description=description, strict=strict)
    if parameters is not None:
        out.parameters_json = json_text(parameters)
    _mark(out, cache_breakpoint)
    return out


def json_schema(
    schema: JsonObjectLike,
    *,
    name: str = "response",
    strict: bool = False,
    description: str = "",
    max_reasks: int | None = None,
) -> generation_pb2.ResponseFormat:
    """A JSON_SCHEMA response format (schema as a mapping or JSON text, sent in the
    order given); the gateway validates the answer against it."""
    out = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name=name,
        schema_json=json_text(schema),
        strict=strict,
        description=description,
    )
    if max_reasks is not None:
        out.max_reasks = max_reasks
    return out


_MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_call_id", "cache_breakpoint"})
"""The keys a message dict may hold; any other would be dropped, so it is refused."""


def checked_keys(value: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    """ValueError naming the keys of a `what` dict that no field takes, and the accepted ones."""
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(
            f"unknown {what} keys: {', '.join(unknown)}; accepted: {', '.join(sorted(allowed))}"
        )


def _from_mapping(value: Mapping[str, Any]) -> content_pb2.Message:
    checked_keys(value, _MESSAGE_KEYS, "message")
    try:
        role = value["role"]
    except KeyError:
        raise ValueError(f"message dict needs a 'role': {dict(value)!r}") from None
    content = value.get("content")
    name = value.get("name")
    is_tool = _role(role) == content_pb2.ROLE_TOOL
    if "tool_call_id" in value and not is_tool:
        raise ValueError(f"'tool_call_id' is only for a 'tool' message, not {role!r}")
    if is_tool and "tool_call_id" in value:
        if not isinstance(content, str | Mapping):
            raise ValueError("a tool message's content must be text or a JSON object")
        out = tool_result(str(value["tool_call_id"]), content, name=name)
    elif not content:
        raise ValueError(f"message dict needs non-empty 'content': {dict(value)!r}")
    else:
        out = content_pb2.Message(role=_role(role), parts=_parts(content), name=name or "")
    _mark(out, value.get("cache_breakpoint"))
    return out


def to_message(value: MessageLike) -> content_pb2.Message:
    """Normalize one MessageLike into a `content_pb2.Message`."""
    if isinstance(value, content_pb2.Message):
        return value
    if isinstance(value, str):
        return user(value)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError("a message tuple is (role, content)")
        role, content = value
        return content_pb2.Message(role=_role(role), parts=_parts(content))
    if isinstance(value, Mapping):
        return _from_mapping(value)
    raise TypeError(f"cannot use {type(value).__name__} as a message")


def to_messages(value: MessagesLike) -> list[content_pb2.Message]:
    """Normalize a conversation: a single text becomes one user message."""
    if isinstance(value, str | content_pb2.Message):
        return [to_message(value)]
    return [to_message(m) for m in value]
