"""The contract's free-form JSON: read from requests, written into answers.

Tool parameters, response schemas, `generation.extra`, tool-call arguments,
tool results and structured output have no schema of ours, so they travel as
JSON text (the `*_json` fields) and reach the provider as written: key order
(which strict modes, grammars and prompt caches honour) and integers (36, not
36.0; ids beyond 2^53) survive. Request bodies embed the caller's text as an
`orjson.Fragment`, neither re-parsed nor re-serialized.

The deprecated `google.protobuf.Struct` fields are still read, with keys
sorted at every level: a Struct's map order differs between processes, and
sorted keys give every worker the same upstream body. Answers fill both the
text field and its deprecated twin.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from google.protobuf import struct_pb2

from modelgate.v1 import content_pb2

JsonField = Literal["parameters", "schema", "extra", "arguments"]
"""A request field with a deprecated Struct `<name>` and its JSON text twin `<name>_json`."""

RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Where tool-call arguments that are not a JSON object are kept verbatim."""

_EXACT_DOUBLE = 2**53


def plain(value: Any) -> Any:
    """JSON-like `value` with integral doubles as ints (a Struct stores every number as double)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_DOUBLE:
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """A legacy Struct as a dict: keys sorted at every level, integral numbers as ints."""
    return {key: _value(message.fields[key]) for key in sorted(message.fields)}


def _value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return struct_to_dict(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < _EXACT_DOUBLE else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def struct_text(message: struct_pb2.Struct) -> str:
    """A legacy Struct as canonical JSON text (see `struct_to_dict`)."""
    return orjson.dumps(struct_to_dict(message)).decode()


def json_text(message: Any, field: JsonField) -> str | None:
    """`<field>_json` as written, else the legacy Struct as canonical JSON, else None."""
    text: str = getattr(message, f"{field}_json")
    if text:
        return text
    if message.HasField(field):
        return struct_text(getattr(message, field))
    return None


def field_name(message: Any, field: JsonField) -> str:
    """Which of the pair holds the JSON, for error paths: the deprecated `<field>`
    when only it is set, else `<field>_json`."""
    if not getattr(message, f"{field}_json") and message.HasField(field):
        return field
    return f"{field}_json"


def json_value(message: Any, field: JsonField) -> Any:
    """The field's JSON parsed (dicts in written order, ints kept), or None when unset."""
    text: str = getattr(message, f"{field}_json")
    if text:
        return orjson.loads(text)
    if message.HasField(field):
        return struct_to_dict(getattr(message, field))
    return None


def json_fragment(message: Any, field: JsonField) -> orjson.Fragment | None:
    """The field's JSON for a request body, embedded byte for byte (see module doc)."""
    text = json_text(message, field)
    return None if text is None else orjson.Fragment(text)


def arguments_text(call: content_pb2.ToolCall) -> str:
    """A tool call's arguments as JSON text; `{}` when none were given."""
    return json_text(call, "arguments") or "{}"


def tool_result_text(result: content_pb2.ToolResult) -> str:
    """A tool result as the text upstreams take: its text, or its JSON as written."""
    kind = result.WhichOneof("result")
    if kind == "json_text":
        return result.json_text
    if kind == "json":
        return struct_text(result.json)
    return result.text


def legacy_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """The deprecated Struct copy of a JSON object (numbers become doubles)."""
    legacy = struct_pb2.Struct()
    legacy.update(value)
    return legacy


def tool_call(call_id: str, name: str, arguments: str | dict[str, Any]) -> content_pb2.ToolCall:
    """A ToolCall from the model's arguments: JSON text as sent, or an object the
    provider sent parsed. Text that is not a JSON object is kept verbatim under
    RAW_ARGUMENTS_KEY, so `arguments_json` is always an object."""
    if isinstance(arguments, dict):
        return content_pb2.ToolCall(
            id=call_id,
            name=name,
            arguments=legacy_struct(arguments),
            arguments_json=orjson.dumps(arguments).decode(),
        )
    try:
        parsed = orjson.loads(arguments) if arguments else {}
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        parsed = {RAW_ARGUMENTS_KEY: arguments}
        arguments = orjson.dumps(parsed).decode()
    return content_pb2.ToolCall(
        id=call_id,
        name=name,
        arguments=legacy_struct(parsed),
        arguments_json=arguments or "{}",
    )
