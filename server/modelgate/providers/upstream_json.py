"""Reading upstream JSON: an answer that breaks the provider's own API is its fault, not ours.

Converters read answers through these helpers, so malformed JSON, invalid UTF-8 or a
field of the wrong type (`choices` a string, `usage` a list, a token count of "7") ends
the call UNAVAILABLE UPSTREAM_INVALID_RESPONSE naming the fault, never as a TypeError
that would surface as INTERNAL (our bugs only). Absent and null fields read as empty, as
the APIs make most fields optional; unknown fields are ignored. Each check is one
isinstance, cheap enough for every stream chunk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import orjson

from modelgate.errors import GatewayError, upstream_invalid_response

MAX_COUNT = 2**31 - 1
"""Token counts are int32 in the contract: anything larger is no real count."""


def parse(provider: str, raw: bytes, what: str) -> Any:
    """The JSON value of `raw`; `what` names it in the error ("a stream chunk")."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        fault = "invalid UTF-8" if "UTF-8" in exc.msg else "malformed JSON"
        raise upstream_invalid_response(provider, f"sent {fault} in {what}") from None


def parse_object(provider: str, raw: bytes, what: str) -> dict[str, Any]:
    """The JSON object of `raw`: any other JSON value breaks every provider's framing."""
    value = parse(provider, raw, what)
    if not isinstance(value, dict):
        raise upstream_invalid_response(
            provider, f"sent {what} that is {kind(value)}, not an object"
        )
    return value


def obj(provider: str, value: Any, where: str) -> dict[str, Any]:
    """`value` as an object ({} when absent or null)."""
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    raise wrong_type(provider, where, value, "an object")


def items(provider: str, value: Any, where: str) -> list[Any]:
    """`value` as a list ([] when absent or null)."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    raise wrong_type(provider, where, value, "a list")


def objects(provider: str, value: Any, where: str) -> list[dict[str, Any]]:
    """`value` as a list of objects ([] when absent or null)."""
    found = items(provider, value, where)
    for item in found:
        if not isinstance(item, dict):
            raise wrong_type(provider, f"{where}[]", item, "an object")
    return found


def text(provider: str, value: Any, where: str) -> str:
    """`value` as a string ("" when absent or null)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise wrong_type(provider, where, value, "a string")


def count(provider: str, value: Any, where: str) -> int:
    """`value` as a token count or index (0 when absent or null); check sums with it too, or
    the contract's int32 overflows."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    if value is None:
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise upstream_invalid_response(provider, f"sent {where} = {value!r}, not a count")
    raise wrong_type(provider, where, value, "a count")


@contextlib.contextmanager
def nesting(provider: str, where: str) -> Iterator[None]:
    """Around turning upstream JSON into a Struct or JSON text: nesting deeper than those go
    (hundreds of levels; orjson parses 1024) is the answer's fault, not a gateway crash."""
    try:
        yield
    except (RecursionError, orjson.JSONEncodeError):
        raise upstream_invalid_response(provider, f"sent {where} nested too deeply") from None


def wrong_type(provider: str, where: str, value: Any, expected: str) -> GatewayError:
    """UPSTREAM_INVALID_RESPONSE naming the field, what it was and what the API says."""
    return upstream_invalid_response(provider, f"sent {where} as {kind(value)}, not {expected}")


def kind(value: Any) -> str:
    """The JSON type of a parsed value, for messages (never the value: it may be long)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"
