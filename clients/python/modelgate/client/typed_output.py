"""Typed structured output: a Pydantic type's JSON Schema out, a validated instance back.

`parse()` and `stream_parse()` (async and blocking) use this module: the response
type (a `BaseModel`, or anything a `TypeAdapter` takes, such as `list[Model]`)
becomes a JSON_SCHEMA response format, which the gateway validates and re-asks
against; the accepted JSON text is then validated into the type here, integers as
integers. Pydantic is an optional extra (`modelgate-client[pydantic]`), imported
only when a typed method is called, so the client stays light without it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc

from modelgate.client.errors import StructuredOutputError
from modelgate.v1 import chat_pb2, generation_pb2, stream_pb2

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["OutputType", "Parsed", "Partial"]

T = TypeVar("T")

CLIENT_DOMAIN = "modelgate.client"
"""`StructuredOutputError.domain` when the client, not the gateway, rejected the answer."""

INSTALL_HINT = "typed structured output needs pydantic: pip install 'modelgate-client[pydantic]'"

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def _type_adapter(response_type: type[T]) -> TypeAdapter[T]:
    """A TypeAdapter for the type; ImportError naming the extra when pydantic is missing."""
    try:
        from pydantic import TypeAdapter
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return TypeAdapter(response_type)


def _schema_name(response_type: object) -> str:
    """The type's name as providers accept it (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`)."""
    name = _NAME_CHARS.sub("_", getattr(response_type, "__name__", "") or "response")
    return name.strip("_")[:64] or "response"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A validated answer and the reply it came in.

    `reply` is the `ChatResponse` (from `parse`) or the stream's `StreamEnd` (from
    `stream_parse`): usage, cost, latency, the serving model, and
    `structured_output_json`, the JSON exactly as the model wrote it.
    """

    value: T
    reply: chat_pb2.ChatResponse | stream_pb2.StreamEnd

    @property
    def attempts(self) -> int:
        """How many answers the model gave: 1, plus the gateway's re-asks."""
        raw = self.reply.metadata.get("structured_output_attempts", "")
        return int(raw) if raw.isdigit() else 1

    @property
    def usage(self) -> generation_pb2.Usage:
        """Tokens over every attempt."""
        return self.reply.usage

    @property
    def cost(self) -> generation_pb2.Cost:
        """What the call cost, over every attempt."""
        return self.reply.cost


@dataclass(frozen=True)
class Partial(Generic[T]):
    """The answer so far, while it streams.

    `data` is the JSON read so far as plain Python (dicts in the model's key order,
    integers as ints, the last string possibly cut short); `value` is that data
    validated into the response type when it already validates (Pydantic's partial
    mode: an unfinished trailing list item is left out), else None.
    """

    data: Any
    value: T | None
    text: str
    """The raw JSON text so far."""


class OutputType(Generic[T]):
    """One response type: its JSON Schema as a response format, and validation into it."""

    def __init__(self, response_type: type[T]) -> None:
        self.response_type = response_type
        self.adapter = _type_adapter(response_type)

    def response_format(
        self, *, name: str | None, strict: bool, max_reasks: int | None
    ) -> generation_pb2.ResponseFormat:
        """The JSON_SCHEMA response format; the schema keeps Pydantic's field order."""
        schema = self.adapter.json_schema()
        description = schema.get("description", "") if isinstance(schema, dict) else ""
        out = generation_pb2.ResponseFormat(
            type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
            schema_name=name or _schema_name(self.response_type),
            schema_json=json.dumps(schema, ensure_ascii=False),
            strict=strict,
            description=description,
        )
        if max_reasks is not None:
            out.max_reasks = max_reasks
        return out

    def parsed(self, reply: chat_pb2.ChatResponse | stream_pb2.StreamEnd) -> Parsed[T]:
        """The reply's structured output validated into the type.

        StructuredOutputError (domain "modelgate.client") when the type rejects it, or
        when the reply holds no structured output at all.
        """
        from pydantic import ValidationError

        text = reply.structured_output_json
        if not text:
            raise _client_error("the reply carries no structured output", text, [], reply)
        try:
            value = self.adapter.validate_json(text)
        except ValidationError as exc:
            errors = [(_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
            raise _client_error(
                "the response type rejected the model's output", text, errors, reply
            ) from exc
        return Parsed(value, reply)

    def partial(self, text: str) -> Partial[T] | None:
        """The answer so far, or None while the text holds no JSON value yet."""
        from pydantic import ValidationError
        from pydantic_core import from_json

        try:
            data = from_json(text, allow_partial="trailing-strings")
        except ValueError:
            return None
        try:
            value: T | None = self.adapter.validate_python(data, experimental_allow_partial=True)
        except ValidationError:
            value = None
        return Partial(data, value, text)


def _path(loc: tuple[int | str, ...]) -> str:
    """A Pydantic error location in the gateway's notation: `output['pets'][0]`."""
    return "output" + "".join(f"[{part!r}]" for part in loc)


def _client_error(
    message: str,
    text: str,
    errors: list[tuple[str, str]],
    reply: chat_pb2.ChatResponse | stream_pb2.StreamEnd,
) -> StructuredOutputError:
    attempts = reply.metadata.get("structured_output_attempts", "1")
    detail = "; ".join(f"{path}: {why}" for path, why in errors[:5])
    error = StructuredOutputError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"{message}: {detail}" if detail else message,
        reason="STRUCTURED_OUTPUT_INVALID",
        domain=CLIENT_DOMAIN,
        metadata={"last_output": text, "attempts": attempts},
        field_violations=errors,
    )
    error.reply = reply
    return error
