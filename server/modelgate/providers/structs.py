"""google.protobuf.Struct <-> JSON without float artefacts.

Struct stores every number as a double, so `{"n": 1}` comes back as
`{"n": 1.0}`; upstreams and schemas expect the integer. Integral doubles are
turned back into ints on the way out.
"""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf import json_format, struct_pb2


def plain(value: Any) -> Any:
    """JSON-like `value` with integral doubles as ints (Struct stores every number as double)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as a plain dict, integral numbers as ints."""
    result: dict[str, Any] = plain(json_format.MessageToDict(message))
    return result


def struct_to_json(message: struct_pb2.Struct) -> str:
    """A Struct as compact JSON text, integral numbers as ints."""
    return orjson.dumps(struct_to_dict(message)).decode()
