"""Structured output: validated against the schema, re-asked with the errors, usage summed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from modelgate.config import ModelConfig, PricingConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Reply
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, user

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def _format(max_reasks: int | None = None) -> generation_pb2.ResponseFormat:
    schema = struct_pb2.Struct()
    schema.update(SCHEMA)
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, schema_name="person", schema=schema
    )
    if max_reasks is not None:
        fmt.max_reasks = max_reasks
    return fmt


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="sk-test-key-0123")
    model = ModelConfig(
        id="gpt-4o",
        runtime="openai",
        provider="openai",
        capabilities=["chat", "streaming", "json_schema"],
        pricing=PricingConfig(input=1.0, output=1.0),
    )
    async with serve(settings(runtimes={"openai": runtime}, models=[model])) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI) -> None:
    fake.reset()


def _value(message: Any) -> Any:
    return json_format.MessageToDict(message.structured_output)


async def test_valid_output_is_parsed_into_structured_output(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text='{"name": "Ada", "age": 36}'))
    response = await served.stub.Chat(chat_request("gpt-4o", "who?", response_format=_format()))
    assert _value(response) == {"name": "Ada", "age": 36}
    assert len(fake.requests) == 1


async def test_invalid_output_is_reasked_with_the_errors_and_usage_summed(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(text='{"name": "Ada", "age": "old"}', input_tokens=10, output_tokens=5),
        Reply(text='{"name": "Ada", "age": 36}', input_tokens=20, output_tokens=6),
    )
    response = await served.stub.Chat(chat_request("gpt-4o", "who?", response_format=_format()))
    assert _value(response) == {"name": "Ada", "age": 36}
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 11)
    assert response.cost.total_usd == pytest.approx(41 / 1e6)
    assert response.metadata["structured_output_attempts"] == "2"
    second = fake.requests[1].json["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"name": "Ada", "age": "old"}'}
    assert "output['age']" in second[-1]["content"] and "integer" in second[-1]["content"]


async def test_output_still_invalid_after_reasks_is_a_clear_error(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Reply(text='{"name": 7}'))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(
            chat_request("gpt-4o", "who?", response_format=_format(max_reasks=1))
        )
    status = decode(caught.value)
    assert (status.code, status.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "STRUCTURED_OUTPUT_INVALID",
    )
    assert status.metadata["last_output"] == '{"name": 7}'
    assert status.metadata["attempts"] == "2"
    fields = {field for field, _ in status.violations}
    assert fields == {"output", "output['name']"}
    assert len(fake.requests) == 2


async def test_non_json_output_counts_as_invalid(served: Served, fake: FakeOpenAI) -> None:
    fake.script(Reply(text="Sure! Here it is: Ada, 36"), Reply(text='{"name": "Ada", "age": 36}'))
    response = await served.stub.Chat(chat_request("gpt-4o", "who?", response_format=_format()))
    assert _value(response) == {"name": "Ada", "age": 36}


async def test_streamed_json_is_validated_at_the_end_without_reask(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text='{"name": "Ada", "age": 36}'))
    request = chat_pb2.StreamChatRequest(
        model="gpt-4o", messages=[user("who?")], response_format=_format()
    )
    events = [e async for e in served.stub.StreamChat(request)]
    assert _value(events[-1].end) == {"name": "Ada", "age": 36}
    fake.script(Reply(text='{"name": "Ada"}'))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in served.stub.StreamChat(request):
            pass
    assert decode(caught.value).reason == "STRUCTURED_OUTPUT_INVALID"
    assert len(fake.requests) == 2, "a stream is never re-asked"
