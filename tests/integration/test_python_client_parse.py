"""Typed structured output through the Python client, against a real gateway and the OpenAI fake.

`parse()` sends the Pydantic type's JSON Schema and returns the answer validated
into the type (integers as ints, nested models, `list[Model]`), with the reply's
usage, cost and attempts; an answer the gateway gave up on, or one the type
rejects, raises `StructuredOutputError` with the last output and the error paths.
`stream_parse()` yields partial objects while the JSON streams: the fake sends
the answer in the pieces the test scripts, so partials exist by construction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel, field_validator

from modelgate.client import (
    AsyncModelGate,
    InvalidArgumentError,
    ModelGate,
    Parsed,
    Partial,
    StructuredOutputError,
)
from modelgate.config import ModelConfig, PricingConfig, RuntimeConfig
from tests.fakes import FakeOpenAI, Reply
from tests.gateways import Served, serve, settings
from tests.waiting import RPC_S

BIG = 2**60  # beyond 2^53: only an integer keeps it exact


class Pet(BaseModel):
    name: str
    age: int


class Owner(BaseModel):
    """A pet owner."""

    name: str
    pets: list[Pet]
    account: int


class Even(BaseModel):
    number: int

    @field_validator("number")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


OWNER_JSON = '{"name": "Ada", "pets": [{"name": "Rex", "age": 3}], "account": 1152921504606846976}'
PETS_PIECES = ['[{"name": "Rex", ', '"age": 3}, ', '{"name": "Fi', 'do", "age": 5}]']


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


@pytest.fixture
async def client(served: Served) -> AsyncIterator[AsyncModelGate]:
    async with AsyncModelGate(served.target, timeout=RPC_S) as running:
        yield running


def _sent_format(fake: FakeOpenAI) -> Any:
    return fake.requests_to("/v1/chat/completions")[-1].json["response_format"]


async def test_parse_returns_the_model_validated_with_integers_as_ints(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text=OWNER_JSON, input_tokens=10, output_tokens=7))
    parsed = await client.parse("gpt-4o", "Who owns Rex?", Owner)
    assert parsed.value == Owner(name="Ada", pets=[Pet(name="Rex", age=3)], account=BIG)
    assert type(parsed.value.account) is int and parsed.value.account == BIG
    assert isinstance(parsed.value.pets[0], Pet) and type(parsed.value.pets[0].age) is int
    assert parsed.reply.structured_output_json == OWNER_JSON
    assert (parsed.usage.input_tokens, parsed.usage.output_tokens) == (10, 7)
    assert parsed.cost.total_usd > 0
    assert parsed.attempts == 1


async def test_parse_sends_the_types_json_schema_in_field_order(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text=OWNER_JSON))
    await client.parse("gpt-4o", "Who owns Rex?", Owner, strict=True)
    sent = _sent_format(fake)
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Owner"
    assert sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["description"] == "A pet owner."
    schema = sent["json_schema"]["schema"]
    assert list(schema["properties"]) == ["name", "pets", "account"]
    assert schema["$defs"]["Pet"]["properties"]["age"]["type"] == "integer"


async def test_parse_takes_a_list_of_models(client: AsyncModelGate, fake: FakeOpenAI) -> None:
    fake.script(Reply(text="".join(PETS_PIECES)))
    parsed = await client.parse("gpt-4o", "Which pets?", list[Pet])
    assert parsed.value == [Pet(name="Rex", age=3), Pet(name="Fido", age=5)]
    assert _sent_format(fake)["json_schema"]["schema"]["type"] == "array"


async def test_parse_reports_the_reasks_the_gateway_needed(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(text='{"name": "Rex", "age": "three"}', input_tokens=10, output_tokens=5),
        Reply(text='{"name": "Rex", "age": 3}', input_tokens=20, output_tokens=6),
    )
    parsed = await client.parse("gpt-4o", "Rex?", Pet)
    assert parsed.value == Pet(name="Rex", age=3)
    assert parsed.attempts == 2
    assert parsed.usage.input_tokens == 30


async def test_output_still_invalid_after_the_reasks_raises_with_last_output_and_paths(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.set_default(Reply(text='{"name": "Rex", "age": "old"}'))
    with pytest.raises(StructuredOutputError) as caught:
        await client.parse("gpt-4o", "Rex?", Pet, max_reasks=1)
    error = caught.value
    assert isinstance(error, InvalidArgumentError)
    assert (error.reason, error.domain) == ("STRUCTURED_OUTPUT_INVALID", "modelgate")
    assert error.last_output == '{"name": "Rex", "age": "old"}'
    assert [path for path, _ in error.errors] == ["output['age']"]
    assert error.attempts == 2 and error.reply is None
    assert len(fake.requests_to("/v1/chat/completions")) == 2


async def test_a_validator_the_schema_cannot_express_raises_client_side(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text='{"number": 7}'))
    with pytest.raises(StructuredOutputError) as caught:
        await client.parse("gpt-4o", "An even number?", Even)
    error = caught.value
    assert error.domain == "modelgate.client"
    assert error.last_output == '{"number": 7}'
    assert error.errors == [("output['number']", "Value error, must be even")]
    assert error.reply is not None and error.reply.structured_output_json == '{"number": 7}'


async def test_parse_refuses_a_response_format_of_its_own(client: AsyncModelGate) -> None:
    with pytest.raises(TypeError, match="response type instead of `response_format`"):
        await client.parse("gpt-4o", "Rex?", Pet, response_format="json_object")


async def test_stream_parse_yields_partial_objects_before_the_validated_answer(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(chunks=PETS_PIECES))
    async with client.stream_parse("gpt-4o", "Which pets?", list[Pet]) as stream:
        items = [item async for item in stream]
    partials = [item for item in items if isinstance(item, Partial)]
    assert len(partials) == len(PETS_PIECES) and all(isinstance(p, Partial) for p in items[:-1])
    assert partials[0].data == [{"name": "Rex"}], "the unfinished object, as read so far"
    assert partials[1].value == [Pet(name="Rex", age=3)]
    assert partials[2].data[1] == {"name": "Fi"} and partials[2].value == [Pet(name="Rex", age=3)]
    final = items[-1]
    assert isinstance(final, Parsed) and final is stream.result
    assert final.value == [Pet(name="Rex", age=3), Pet(name="Fido", age=5)]
    assert final.reply.structured_output_json == "".join(PETS_PIECES)


async def test_stream_parse_of_a_model_ends_with_ints_intact(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(chunks=[OWNER_JSON[:20], OWNER_JSON[20:60], OWNER_JSON[60:]]))
    items = [item async for item in client.stream_parse("gpt-4o", "Who?", Owner)]
    assert isinstance(items[0], Partial) and items[0].data == {"name": "Ada"}
    assert isinstance(items[1], Partial) and items[1].value is None, "account is missing"
    assert items[1].data["pets"] == [{"name": "Rex", "age": 3}]
    final = items[-1]
    assert isinstance(final, Parsed) and final.value.account == BIG


async def test_a_streamed_answer_invalid_at_the_end_raises(
    client: AsyncModelGate, fake: FakeOpenAI
) -> None:
    fake.script(Reply(chunks=['{"name": ', '"Rex"}']))
    seen: list[object] = []
    with pytest.raises(StructuredOutputError) as caught:
        async for item in client.stream_parse("gpt-4o", "Rex?", Pet):
            seen.append(item)
    assert seen and all(isinstance(item, Partial) for item in seen)
    assert caught.value.last_output == '{"name": "Rex"}'
    assert caught.value.errors == [("output", "'age' is a required property")]


def _sync_calls(target: str) -> tuple[Parsed[Owner], list[object]]:
    with ModelGate(target, timeout=RPC_S) as sync_client:
        parsed = sync_client.parse("gpt-4o", "Who owns Rex?", Owner)
        with sync_client.stream_parse("gpt-4o", "Which pets?", list[Pet]) as stream:
            items: list[object] = list(stream)
    return parsed, items


async def test_the_blocking_client_parses_and_streams_the_same_way(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text=OWNER_JSON), Reply(chunks=PETS_PIECES))
    parsed, items = await asyncio.to_thread(_sync_calls, served.target)
    assert parsed.value.account == BIG and parsed.value.pets == [Pet(name="Rex", age=3)]
    assert isinstance(items[0], Partial) and isinstance(items[-1], Parsed)
    assert items[-1].value == [Pet(name="Rex", age=3), Pet(name="Fido", age=5)]
