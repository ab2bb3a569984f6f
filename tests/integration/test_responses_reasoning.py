"""Responses API reasoning through the gateway: effort and summaries asked in OpenAI's form,
reasoning items back as parts and deltas (never text), and round-tripped across turns with
their id, summaries and encrypted content when the gateway keeps the history."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Reply, Thought
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, text_of, user

THINKS: list[CapabilityName] = ["chat", "streaming", "reasoning", "prompt_caching"]
THOUGHTS = (Thought("Rayleigh scattering."), Thought("Shorter wavelengths scatter more."))
SUMMARIES = ["Rayleigh scattering.", "Shorter wavelengths scatter more."]
ASK = generation_pb2.ReasoningConfig(
    effort=generation_pb2.REASONING_EFFORT_LOW, include_thoughts=True
)


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(
        kind="openai_compatible", base_url=fake.url + "/v1", api_key="sk-test-0123456789"
    )
    models = [
        ModelConfig(id="o4-mini", runtime="oai", api="responses", capabilities=THINKS),
        ModelConfig(id="gpt-4o", runtime="oai", api="responses"),
    ]
    async with serve(settings(runtimes={"oai": runtime}, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI) -> None:
    fake.reset()


def _reasoning(response: chat_pb2.ChatResponse) -> list[content_pb2.Reasoning]:
    return [p.reasoning for p in response.content if p.WhichOneof("data") == "reasoning"]


async def test_effort_and_summary_reach_openai_and_items_come_back_as_parts(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text="Blue.", thoughts=THOUGHTS))
    answer = await served.stub.Chat(chat_request("o4-mini", "why is the sky blue", reasoning=ASK))
    sent = fake.last_request.json
    assert sent["reasoning"] == {"effort": "low", "summary": "auto"}
    assert sent["include"] == ["reasoning.encrypted_content"]
    assert [p.WhichOneof("data") for p in answer.content] == ["reasoning", "reasoning", "text"]
    assert text_of(answer) == "Blue."
    parts = _reasoning(answer)
    assert [p.text for p in parts] == SUMMARIES
    responses = content_pb2.REASONING_FORMAT_OPENAI_RESPONSES
    assert all(p.summary and p.format == responses for p in parts)
    assert parts[0].id == parts[1].id and parts[0].id.startswith("rs_")
    assert parts[0].encrypted == "" and parts[1].encrypted.startswith("gAAAAA")
    assert answer.usage.reasoning_tokens == 6


async def test_a_model_without_reasoning_asks_for_no_encrypted_content(
    served: Served, fake: FakeOpenAI
) -> None:
    await served.stub.Chat(chat_request("gpt-4o", "hello"))
    assert "include" not in fake.last_request.json and "reasoning" not in fake.last_request.json


async def test_streamed_summaries_are_reasoning_deltas_with_the_encrypted_content(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text="Blue.", thoughts=THOUGHTS))
    request = chat_pb2.StreamChatRequest(model="o4-mini", messages=[user("why")], reasoning=ASK)
    events = [e async for e in served.stub.StreamChat(request)]
    deltas = [e.reasoning_delta for e in events if e.HasField("reasoning_delta")]
    by_index: dict[int, str] = {}
    for delta in deltas:
        by_index[delta.index] = by_index.get(delta.index, "") + delta.text
    assert [by_index[0], by_index[1]] == SUMMARIES
    assert {d.id for d in deltas} == {deltas[0].id} and all(d.summary for d in deltas)
    encrypted = [d for d in deltas if d.encrypted]
    assert len(encrypted) == 1 and encrypted[0].index == 1 and deltas[-1] is encrypted[0]
    text = "".join(e.text_delta.text for e in events if e.HasField("text_delta"))
    assert text == "Blue."


async def test_reasoning_items_round_trip_across_turns_byte_for_byte(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Reply(text="Blue.", thoughts=THOUGHTS), Reply(text="Yes."))
    first = await served.stub.Chat(chat_request("o4-mini", "why", reasoning=ASK))
    second = await served.stub.Chat(
        chat_pb2.ChatRequest(
            model="o4-mini",
            previous_response_id=first.id,
            messages=[user("sure?")],
            reasoning=ASK,
        )
    )
    assert text_of(second) == "Yes."  # the fake verified the encrypted content
    items = fake.last_request.json["input"]
    replayed = [item for item in items if item["type"] == "reasoning"]
    parts = _reasoning(first)
    assert replayed == [
        {
            "type": "reasoning",
            "id": parts[0].id,
            "summary": [{"type": "summary_text", "text": text} for text in SUMMARIES],
            "encrypted_content": fake.issued_reasoning[parts[0].id],
        }
    ]
    assert [item.get("role") or item["type"] for item in items] == [
        "user",
        "reasoning",
        "assistant",
        "user",
    ]
    assert "dropped_reasoning" not in second.metadata


async def test_another_providers_reasoning_is_not_sent_and_the_answer_says_so(
    served: Served, fake: FakeOpenAI
) -> None:
    signed = content_pb2.Reasoning(
        text="hmm", signature="sig", format=content_pb2.REASONING_FORMAT_ANTHROPIC
    )
    answer = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[content_pb2.ContentPart(reasoning=signed), content_pb2.ContentPart(text="Hi.")],
    )
    request = chat_pb2.ChatRequest(model="o4-mini", messages=[user("hi"), answer, user("and?")])
    response = await served.stub.Chat(request)
    assert all(item["type"] != "reasoning" for item in fake.last_request.json["input"])
    assert response.metadata["dropped_reasoning"] == "messages[1].parts[0]"
