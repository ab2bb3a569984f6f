"""Gemini thinking end to end: thinkingConfig out, thought parts and signatures back.

The contract's promise (content.proto, Reasoning): a caller that sends an answer back
unchanged returns Gemini's `thoughtSignature` byte for byte, on the same part it came
on, unary or streamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeGemini, ToolCall
from tests.fakes.gemini_fake import GeminiReply
from tests.fakes.scenario import Thought
from tests.integration.gemini_setup import gemini_fixtures, message
from tests.rpc_helpers import chat_request, collect, decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

SIGNATURE = "CiQBjz1rX+thought/signature=="
THOUGHT_SIGNATURE = "EjQKMgEMOdbHthought-part-sig"
GEMINI = content_pb2.REASONING_FORMAT_GEMINI
Reasoning = generation_pb2.ReasoningConfig


fake, fresh_fake, gemini = gemini_fixtures()


@pytest.mark.parametrize(
    ("model", "reasoning", "thinking"),
    [
        ("gemini-test", Reasoning(budget_tokens=1024), {"thinkingBudget": 1024}),
        (
            "gemini-test",
            Reasoning(effort=generation_pb2.REASONING_EFFORT_LOW),
            {"thinkingBudget": 2048},
        ),
        (
            "gemini-3-test",
            Reasoning(effort=generation_pb2.REASONING_EFFORT_HIGH),
            {"thinkingLevel": "HIGH"},
        ),
        (
            "gemini-3-test",
            Reasoning(effort=generation_pb2.REASONING_EFFORT_MINIMAL, include_thoughts=True),
            {"thinkingLevel": "MINIMAL", "includeThoughts": True},
        ),
    ],
    ids=["budget", "effort-as-budget-on-2.5", "effort-as-level-on-3", "include-thoughts"],
)
async def test_reasoning_config_becomes_thinking_config(
    gemini: Stub, fake: FakeGemini, model: str, reasoning: Any, thinking: dict[str, Any]
) -> None:
    await gemini.Chat(chat_request(model, "think", reasoning=reasoning))
    assert fake.requests[0].json["generationConfig"]["thinkingConfig"] == thinking


async def test_effort_with_a_budget_is_refused(gemini: Stub, fake: FakeGemini) -> None:
    both = Reasoning(effort=generation_pb2.REASONING_EFFORT_LOW, budget_tokens=100)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request("gemini-test", "x", reasoning=both))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in status.violations] == ["reasoning.budget_tokens"]
    assert fake.requests == []


def _thinking_reply(**fields: Any) -> GeminiReply:
    return GeminiReply(
        thoughts=(Thought("Paris weather needed.", signature=THOUGHT_SIGNATURE),),
        reasoning_tokens=7,
        **fields,
    )


async def test_thoughts_and_signatures_come_back_as_reasoning_parts_with_thinking_usage(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(
        _thinking_reply(
            text="Checking.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
            signature=SIGNATURE,
        )
    )
    response = await gemini.Chat(
        chat_request("gemini-test", "weather?", reasoning=Reasoning(include_thoughts=True))
    )
    kinds = [p.WhichOneof("data") for p in response.content]
    assert kinds == ["reasoning", "text", "reasoning", "tool_call"]
    thought, _, signed, _ = response.content
    assert thought.reasoning == content_pb2.Reasoning(
        text="Paris weather needed.", signature=THOUGHT_SIGNATURE, format=GEMINI
    )
    assert signed.reasoning == content_pb2.Reasoning(signature=SIGNATURE, format=GEMINI)
    # 1 + 3 words of text and arguments, 7 thinking: output counts thoughts too.
    assert response.usage.reasoning_tokens == 7
    assert response.usage.output_tokens == response.usage.total_tokens - 1
    assert response.usage.output_tokens >= 7 + 1


async def test_an_answer_sent_back_returns_each_signature_on_its_own_part(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(
        _thinking_reply(
            text="Checking.",
            tool_calls=[ToolCall("get_weather", {"city": "P"})],
            signature=SIGNATURE,
            call_ids=True,
        ),
        GeminiReply(text="Sunny.", signature="c2Vjb25k"),
    )
    first = await gemini.Chat(
        chat_request("gemini-test", "weather?", reasoning=Reasoning(include_thoughts=True))
    )
    call = first.content[3].tool_call
    result = content_pb2.ContentPart(
        tool_result=content_pb2.ToolResult(tool_call_id=call.id, json_text='{"sky":"clear"}')
    )
    history = [
        user("weather?"),
        message(content_pb2.ROLE_ASSISTANT, *first.content),
        message(content_pb2.ROLE_TOOL, result),
    ]
    second = await gemini.Chat(chat_pb2.ChatRequest(model="gemini-test", messages=history))
    replayed = fake.requests[1].json["contents"][1]["parts"]
    assert replayed == [
        {"text": "Paris weather needed.", "thought": True, "thoughtSignature": THOUGHT_SIGNATURE},
        {"text": "Checking."},
        {
            "functionCall": {"id": call.id, "name": "get_weather", "args": {"city": "P"}},
            "thoughtSignature": SIGNATURE,
        },
    ]
    # A text answer's signature travels on the text part, and back on it.
    assert [p.WhichOneof("data") for p in second.content] == ["reasoning", "text"]
    again = chat_pb2.ChatRequest(
        model="gemini-test",
        messages=[*history, message(content_pb2.ROLE_ASSISTANT, *second.content), user("thx")],
    )
    await gemini.Chat(again)
    assert fake.requests[2].json["contents"][3]["parts"] == [
        {"text": "Sunny.", "thoughtSignature": "c2Vjb25k"}
    ]


async def test_reasoning_of_other_providers_is_not_sent_to_gemini_and_is_named(
    gemini: Stub, fake: FakeGemini
) -> None:
    foreign = content_pb2.ContentPart(
        reasoning=content_pb2.Reasoning(
            text="hmm", signature="anthropic-sig", format=content_pb2.REASONING_FORMAT_ANTHROPIC
        )
    )
    own = content_pb2.ContentPart(
        reasoning=content_pb2.Reasoning(signature=SIGNATURE, format=GEMINI)
    )
    messages = [
        user("a"),
        message(content_pb2.ROLE_ASSISTANT, foreign, own, content_pb2.ContentPart(text="b")),
        user("c"),
    ]
    answer = await gemini.Chat(chat_pb2.ChatRequest(model="gemini-test", messages=messages))
    sent = [{"text": "b", "thoughtSignature": SIGNATURE}]
    assert fake.requests[0].json["contents"][1]["parts"] == sent
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[0]"
    stream = chat_pb2.StreamChatRequest(model="gemini-test", messages=messages)
    events, error = await collect(gemini.StreamChat(stream))
    assert error is None
    assert fake.requests[1].json["contents"][1]["parts"] == sent
    assert events[-1].end.metadata["dropped_reasoning"] == "messages[1].parts[0]"


async def test_streamed_thoughts_signatures_and_calls_rebuild_the_unary_answer(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(
        _thinking_reply(
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})], signature=SIGNATURE
        ),
        _thinking_reply(text="It is sunny", signature="dGV4dC1zaWc="),
    )
    request = chat_pb2.StreamChatRequest(
        model="gemini-test", messages=[user("w")], reasoning=Reasoning(include_thoughts=True)
    )
    events, error = await collect(gemini.StreamChat(request))
    assert error is None
    reasoning = [e.reasoning_delta for e in events if e.HasField("reasoning_delta")]
    assert "".join(d.text for d in reasoning if d.index == 0) == "Paris weather needed."
    assert [d.signature for d in reasoning if d.signature] == [THOUGHT_SIGNATURE, SIGNATURE]
    assert {d.index for d in reasoning} == {0, 1}
    assert all(d.format == GEMINI for d in reasoning)
    kinds = [e.WhichOneof("event") for e in events[1:]]
    assert kinds[-2:] == ["tool_call_delta", "end"]
    assert kinds[-3] == "reasoning_delta"  # the call's signature right before the call
    end = events[-1].end
    assert end.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    assert end.usage.reasoning_tokens == 7

    events, error = await collect(gemini.StreamChat(request))
    assert error is None
    texts = "".join(e.text_delta.text for e in events if e.HasField("text_delta"))
    assert texts == "It is sunny"
    last_reasoning = [e.reasoning_delta for e in events if e.HasField("reasoning_delta")][-1]
    assert (last_reasoning.index, last_reasoning.signature) == (1, "dGV4dC1zaWc=")


async def test_cache_breakpoints_are_refused_naming_the_gemini_api(
    gemini: Stub, fake: FakeGemini
) -> None:
    marked = content_pb2.Message(
        role=content_pb2.ROLE_USER,
        parts=[content_pb2.ContentPart(text="x")],
        cache_breakpoint=content_pb2.CacheBreakpoint(),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_pb2.ChatRequest(model="gemini-test", messages=[marked]))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "Gemini generateContent" in status.message
    assert fake.requests == []
