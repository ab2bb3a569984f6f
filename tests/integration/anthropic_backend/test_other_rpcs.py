"""The Anthropic backend end to end: Complete, StreamComplete, Embed and CountTokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import completion_pb2, embedding_pb2, generation_pb2, tokens_pb2
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Fault, Reply
from tests.integration.anthropic_backend.support import (
    KEY,
    UPSTREAM,
    _only_request,
    _weather_tools,
)
from tests.rpc_helpers import collect, decode, system, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# ------------------------------------------------------- completion, embed, count


async def test_complete_sends_the_prompt_as_one_user_turn(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.Complete(
        completion_pb2.CompleteRequest(model="claude-test", prompt="Once upon a time")
    )
    sent = _only_request(fake)
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Once upon a time"}]}
    ]
    assert "system" not in sent
    assert response.text == "Once upon a time"
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert (response.usage.input_tokens, response.usage.output_tokens) == (4, 4)
    assert response.id.startswith("resp_")


async def test_stream_complete_streams_text_then_end(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Reply(text="there was a fox", output_tokens=9))
    events, error = await collect(
        claude.StreamComplete(
            completion_pb2.StreamCompleteRequest(model="claude-test", prompt="Once")
        )
    )
    assert error is None
    assert events[0].WhichOneof("event") == "attempt"
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "there was a fox"
    assert events[-1].end.usage.output_tokens == 9
    assert _only_request(fake)["stream"] is True


async def test_complete_with_suffix_is_rejected(claude: Stub, fake: FakeAnthropic) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Complete(
            completion_pb2.CompleteRequest(model="claude-test", prompt="def f(", suffix="):")
        )
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["suffix"]
    assert fake.requests == []


async def test_embed_is_unimplemented_naming_models_that_embed(
    claude: Stub, fake: FakeAnthropic
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Embed(embedding_pb2.EmbedRequest(model="claude-test", inputs=["a"]))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.UNIMPLEMENTED
    assert status.reason == "OPERATION_NOT_SUPPORTED"
    assert "models that do: echo" in status.message
    assert fake.requests == []


async def test_count_tokens_of_text_uses_the_provider_api(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.CountTokens(
        tokens_pb2.CountTokensRequest(model="claude-test", text="count these four words")
    )
    assert response.method == tokens_pb2.COUNT_METHOD_PROVIDER_API
    assert response.tokenizer == "anthropic"
    assert response.input_tokens == 4
    assert response.context_window == 200_000
    sent = _only_request(fake, "/v1/messages/count_tokens")
    assert sent == {
        "model": UPSTREAM,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "count these four words"}]}
        ],
    }
    headers = fake.requests[0].headers
    # The SDK presents the key as a bearer token; the fake accepts it like the real API.
    assert KEY in (
        headers.get("x-api-key"),
        headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["x-stainless-retry-count"] == "0"


async def test_count_tokens_of_messages_sends_system_and_tools(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.CountTokens(
        tokens_pb2.CountTokensRequest(
            model="claude-test",
            messages=[system("Be brief."), user("How warm is Paris?")],
            tools=_weather_tools(),
        )
    )
    assert response.input_tokens == 6
    sent = _only_request(fake, "/v1/messages/count_tokens")
    assert sent["system"] == "Be brief."
    assert [m["role"] for m in sent["messages"]] == ["user"]
    assert [t["name"] for t in sent["tools"]] == ["get_weather", "get_time"]


async def test_count_tokens_upstream_error_is_classified(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Fault.rate_limited(retry_after=3), path="/v1/messages/count_tokens")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.CountTokens(tokens_pb2.CountTokensRequest(model="claude-test", text="x"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (status.reason, status.domain) == ("RATE_LIMITED", "anthropic")
    assert status.retry_after == pytest.approx(3)
    assert [r.path for r in fake.requests] == ["/v1/messages/count_tokens"]  # SDK did not retry
