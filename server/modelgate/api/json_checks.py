"""Checks of the contract's free-form JSON fields, each violation with its field path.

A JSON text field (`parameters_json`, `schema_json`, `extra_json`,
`arguments_json`, `json_text`) must parse as JSON of the right kind, because
it is embedded in the upstream body as written. A text field and its
deprecated Struct twin are never both set, with one exception: a tool call
replayed from an answer carries both (the gateway fills both), so there they
must hold the same object.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import orjson
from google.protobuf import struct_pb2

from modelgate.errors import MAX_ECHO_CHARS, bounded
from modelgate.providers.json_fields import JsonField, field_name, legacy_struct, struct_text
from modelgate.v1 import content_pb2

Violations = list[tuple[str, str]]

_KINDS: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), "null")


def _parse(text: str) -> tuple[Any, str]:
    """(value, "") for valid JSON, else (None, why)."""
    try:
        return orjson.loads(text), ""
    except orjson.JSONDecodeError as exc:
        return None, f"is not valid JSON: {exc}"


def _object_problem(text: str) -> str:
    value, problem = _parse(text)
    if not problem and not isinstance(value, dict):
        problem = f"must be a JSON object, got {_kind(value)}"
    return problem


@functools.lru_cache(maxsize=1024)
def _schema_problem(text: str) -> str:
    """Why a JSON Schema is invalid ("" when valid), remembered by its text.

    Callers send the same tool schemas on every turn, and `check_schema` is
    the costliest part of validating a request.
    """
    problem = _object_problem(text)
    if problem:
        return problem
    schema = orjson.loads(text)
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        # The library quotes the caller's schema value first: keep its head and its tail.
        return f"is not a valid JSON Schema: {bounded(exc.message, tail=MAX_ECHO_CHARS)}"
    return ""


@functools.lru_cache(maxsize=1024)
def _legacy_schema_problem(serialized: bytes) -> str:
    """`_schema_problem` of a deprecated Struct schema, remembered by its bytes (a cache
    hit then costs no conversion of the Struct)."""
    return _schema_problem(struct_text(struct_pb2.Struct.FromString(serialized)))


def _both(out: Violations, path: str, message: Any, field: JsonField) -> bool:
    """Whether a text field and its deprecated twin are both set (reported)."""
    if getattr(message, f"{field}_json") and message.HasField(field):
        out.append(
            (f"{path}.{field}_json", f"set `{field}_json` or the deprecated `{field}`, not both")
        )
        return True
    return False


def check_schema(out: Violations, path: str, message: Any, field: JsonField) -> None:
    """A JSON Schema field pair (`tools[i].parameters`, `response_format.schema`)."""
    if _both(out, path, message, field):
        return
    text: str = getattr(message, f"{field}_json")
    if text:
        problem = _schema_problem(text)
    elif message.HasField(field):
        legacy = getattr(message, field).SerializeToString(deterministic=True)
        problem = _legacy_schema_problem(legacy)
    else:
        return
    if problem:
        out.append((f"{path}.{field_name(message, field)}", problem))


def check_object(out: Violations, path: str, message: Any, field: JsonField) -> None:
    """A JSON object field pair (`generation.extra`); a deprecated Struct always is one."""
    text: str = getattr(message, f"{field}_json")
    if text and not _both(out, path, message, field):
        problem = _object_problem(text)
        if problem:
            out.append((f"{path}.{field}_json", problem))


def check_arguments(out: Violations, path: str, call: content_pb2.ToolCall) -> None:
    """A tool call's arguments: a JSON object, equal to the deprecated copy when both are set."""
    if not call.arguments_json:
        return
    value, problem = _parse(call.arguments_json)
    if not problem and not isinstance(value, dict):
        problem = f"must be a JSON object, got {_kind(value)}"
    elif not problem and call.HasField("arguments") and legacy_struct(value) != call.arguments:
        problem = "differs from the deprecated `arguments`; set only `arguments_json`"
    if problem:
        out.append((f"{path}.arguments_json", problem))


def check_tool_result(out: Violations, path: str, result: content_pb2.ToolResult) -> None:
    """A tool result given as JSON text must be valid JSON (any value)."""
    if result.WhichOneof("result") == "json_text":
        _value, problem = _parse(result.json_text)
        if problem:
            out.append((f"{path}.json_text", problem))
