"""Ollama thinking through the gateway: effort becomes `think`, `message.thinking` becomes
reasoning parts and deltas (never text), and goes back as `thinking` in assistant messages.
The `reasoning` capability comes from /api/show's `thinking` (discovery)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from modelgate.config import RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, model_pb2
from tests.fakes import FakeModel, FakeOllama, Reply, Thought
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, text_of, user

THOUGHTS = (Thought("Rayleigh scattering."), Thought("Shorter wavelengths scatter more."))
THOUGHT = "Rayleigh scattering.\n\nShorter wavelengths scatter more."
THINKER = "qwen3:8b@ollama"
PLAIN = "llama3.2:latest@ollama"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOllama]:
    models = [FakeModel("qwen3:8b", family="qwen3"), FakeModel("llama3.2:latest")]
    async with FakeOllama(models=models) as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOllama) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="ollama", base_url=fake.url, discover=True)
    async with serve(settings(runtimes={"ollama": runtime}, models=[])) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOllama) -> None:
    fake.reset()


async def test_discovery_marks_thinking_models_as_reasoning(served: Served) -> None:
    listing = await served.stub.ListModels(model_pb2.ListModelsRequest())
    reasoning = {m.id: m.capabilities.reasoning for m in listing.models}
    assert reasoning[THINKER] and not reasoning[PLAIN]


@pytest.mark.parametrize(
    ("effort", "think"),
    [
        (generation_pb2.REASONING_EFFORT_MINIMAL, "low"),
        (generation_pb2.REASONING_EFFORT_LOW, "low"),
        (generation_pb2.REASONING_EFFORT_MEDIUM, "medium"),
        (generation_pb2.REASONING_EFFORT_HIGH, "high"),
    ],
)
async def test_effort_reaches_ollama_as_think(
    served: Served, fake: FakeOllama, effort: int, think: str
) -> None:
    config = generation_pb2.ReasoningConfig(effort=effort)  # type: ignore[arg-type]
    await served.stub.Chat(chat_request(THINKER, "hi", reasoning=config))
    assert fake.last_request.json["think"] == think


async def test_include_thoughts_alone_is_think_true_and_budget_is_refused(
    served: Served, fake: FakeOllama
) -> None:
    ask = generation_pb2.ReasoningConfig(include_thoughts=True)
    await served.stub.Chat(chat_request(THINKER, "hi", reasoning=ask))
    assert fake.last_request.json["think"] is True
    fake.reset()
    budget = generation_pb2.ReasoningConfig(budget_tokens=512)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(THINKER, "hi", reasoning=budget))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [path for path, _ in error.violations] == ["reasoning.budget_tokens"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(PLAIN, "hi", reasoning=ask))
    assert [path for path, _ in decode(caught.value).violations] == ["reasoning.include_thoughts"]
    assert not fake.requests_to("/api/chat")


async def test_thinking_is_a_reasoning_part_never_text(served: Served, fake: FakeOllama) -> None:
    fake.script(Reply(text="Blue.", thoughts=THOUGHTS))
    answer = await served.stub.Chat(chat_request(THINKER, "why is the sky blue"))
    assert [p.WhichOneof("data") for p in answer.content] == ["reasoning", "text"]
    assert answer.content[0].reasoning.text == THOUGHT
    assert text_of(answer) == "Blue."


async def test_streamed_thinking_is_reasoning_deltas(served: Served, fake: FakeOllama) -> None:
    fake.script(Reply(text="Blue.", thoughts=THOUGHTS))
    request = chat_pb2.StreamChatRequest(model=THINKER, messages=[user("why")])
    events = [e async for e in served.stub.StreamChat(request)]
    thought = "".join(e.reasoning_delta.text for e in events if e.HasField("reasoning_delta"))
    assert thought == THOUGHT
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "Blue."
    assert events[-1].HasField("end")


async def test_thinking_goes_back_in_assistant_messages(served: Served, fake: FakeOllama) -> None:
    answer = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[
            content_pb2.ContentPart(reasoning=content_pb2.Reasoning(text="Think first.")),
            content_pb2.ContentPart(
                reasoning=content_pb2.Reasoning(
                    encrypted="opaque", format=content_pb2.REASONING_FORMAT_OPENAI_RESPONSES
                )
            ),
            content_pb2.ContentPart(text="Hi."),
        ],
    )
    request = chat_pb2.ChatRequest(model=THINKER, messages=[user("hi"), answer, user("and?")])
    response = await served.stub.Chat(request)
    sent = fake.last_request.json["messages"][1]
    assert sent == {"role": "assistant", "content": "Hi.", "thinking": "Think first."}
    assert response.metadata["dropped_reasoning"] == "messages[1].parts[1]"
