"""Echo answers a reasoning request with a deterministic thought, so clients can test theirs.

A model on the echo runtime that lists capability `reasoning` answers a request whose
`reasoning` sets any field with a plain Reasoning part, `thinking about: <last user
text>`, before the text (ReasoningDeltas before the text deltas when streamed), cut
to `budget_tokens` words; `usage.reasoning_tokens` counts its words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request

HIGH = generation_pb2.ReasoningConfig(effort=generation_pb2.REASONING_EFFORT_HIGH)
THOUGHT = "thinking about: hello polyglot"


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    able: list[CapabilityName] = ["chat", "streaming", "reasoning", "json_schema"]
    runtimes = {
        "echo": RuntimeConfig(kind="echo"),
        "echo-drop": RuntimeConfig(kind="echo", unsupported_params="drop"),
    }
    models = [
        ModelConfig(id="thinker", runtime="echo", capabilities=able),
        ModelConfig(id="plain-drop", runtime="echo-drop"),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


def _parts(answer: chat_pb2.ChatResponse) -> list[tuple[str, str]]:
    return [
        (part.WhichOneof("data") or "", part.reasoning.text or part.text) for part in answer.content
    ]


@pytest.mark.parametrize(
    "reasoning",
    [HIGH, generation_pb2.ReasoningConfig(include_thoughts=True)],
    ids=["effort", "include_thoughts"],
)
async def test_a_reasoning_request_gets_a_thought_part_before_the_text(
    served: Served, reasoning: generation_pb2.ReasoningConfig
) -> None:
    answer = await served.stub.Chat(chat_request("thinker", "hello polyglot", reasoning=reasoning))
    assert _parts(answer) == [("reasoning", THOUGHT), ("text", "hello polyglot")]
    assert answer.content[0].reasoning.format == content_pb2.REASONING_FORMAT_UNSPECIFIED
    assert answer.usage.reasoning_tokens == 4
    assert (answer.usage.output_tokens, answer.usage.total_tokens) == (6, 8)


async def test_budget_tokens_cuts_the_thought_to_that_many_words(served: Served) -> None:
    budget = generation_pb2.ReasoningConfig(budget_tokens=3)
    answer = await served.stub.Chat(chat_request("thinker", "hello polyglot", reasoning=budget))
    assert _parts(answer) == [("reasoning", "thinking about: hello "), ("text", "hello polyglot")]
    assert answer.usage.reasoning_tokens == 3


async def test_without_reasoning_the_answer_is_the_text_alone(served: Served) -> None:
    answer = await served.stub.Chat(chat_request("thinker", "hello polyglot"))
    assert _parts(answer) == [("text", "hello polyglot")]
    assert answer.usage.reasoning_tokens == 0


async def test_reasoning_dropped_by_the_runtime_policy_gets_no_thought(served: Served) -> None:
    answer = await served.stub.Chat(chat_request("plain-drop", "hello polyglot", reasoning=HIGH))
    assert _parts(answer) == [("text", "hello polyglot")]
    assert answer.metadata["dropped_params"] == "reasoning.effort"


async def test_structured_output_is_the_text_not_the_thought(served: Served) -> None:
    schema = '{"type": "object"}'
    response_format = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, schema_name="any", schema_json=schema
    )
    answer = await served.stub.Chat(
        chat_request("thinker", '{"a": 1}', reasoning=HIGH, response_format=response_format)
    )
    assert _parts(answer) == [("reasoning", 'thinking about: {"a": 1}'), ("text", '{"a": 1}')]
    assert answer.structured_output_json == '{"a": 1}'


async def test_a_stream_sends_the_thought_as_reasoning_deltas_before_the_text(
    served: Served,
) -> None:
    unary = chat_request("thinker", "hello polyglot", reasoning=HIGH)
    request = chat_pb2.StreamChatRequest.FromString(unary.SerializeToString())
    events = [event async for event in served.stub.StreamChat(request)]
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds == ["attempt", *["reasoning_delta"] * 4, *["text_delta"] * 2, "end"]
    thought = [event.reasoning_delta for event in events[1:5]]
    assert {(delta.index, delta.format) for delta in thought} == {
        (0, content_pb2.REASONING_FORMAT_UNSPECIFIED)
    }
    assert "".join(delta.text for delta in thought) == THOUGHT
    assert "".join(event.text_delta.text for event in events[5:7]) == "hello polyglot"
    assert events[-1].end.usage.reasoning_tokens == 4
    assert events[-1].end.usage.output_tokens == 6
