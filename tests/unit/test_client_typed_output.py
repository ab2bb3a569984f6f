"""The client without its pydantic extra, and the typed error's own behaviour (no server needed)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import grpc
import pytest
from pydantic import BaseModel

from modelgate.client import AsyncModelGate, InvalidArgumentError, StructuredOutputError
from modelgate.client.typed_output import OutputType

UNUSED_TARGET = "127.0.0.1:9"
"""Channels connect lazily: creating and closing a client here makes no connection."""


class Pet(BaseModel):
    name: str
    age: int


def test_importing_the_client_does_not_import_pydantic() -> None:
    code = "import sys, modelgate.client; assert 'pydantic' not in sys.modules, 'imported'"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


async def test_parse_without_pydantic_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pydantic", None)
    async with AsyncModelGate(UNUSED_TARGET) as client:
        with pytest.raises(ImportError, match=r"pip install 'modelgate-client\[pydantic\]'"):
            await client.parse("gpt-4o", "Rex?", Pet)


def test_the_schema_name_is_the_types_name_in_the_characters_providers_accept() -> None:
    assert OutputType(Pet).response_format(
        name=None, strict=False, max_reasks=None
    ).schema_name == ("Pet")
    fmt = OutputType(list[Pet]).response_format(name=None, strict=False, max_reasks=3)
    assert (fmt.schema_name, fmt.max_reasks) == ("list", 3)


def test_a_structured_output_error_survives_pickling_with_its_fields() -> None:
    error = StructuredOutputError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid",
        reason="STRUCTURED_OUTPUT_INVALID",
        metadata={"last_output": '{"age": "old"}', "attempts": "3"},
        field_violations=[("output['age']", "'old' is not of type 'integer'")],
    )
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, StructuredOutputError) and isinstance(copy, InvalidArgumentError)
    assert (copy.last_output, copy.attempts) == ('{"age": "old"}', 3)
    assert copy.errors == [("output['age']", "'old' is not of type 'integer'")]
