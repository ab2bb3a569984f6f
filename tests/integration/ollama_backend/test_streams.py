"""The Ollama backend end to end: broken streams, cancellation and deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import chat_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import Fault, Reply
from tests.integration.ollama_backend.support import CHAT, LLAMA, only_body
from tests.rpc_helpers import decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


async def test_unknown_upstream_model_is_failed_precondition(stub: Stub, fake: FakeOllama) -> None:
    fake.remove_model("qwen2.5:7b")  # gone from Ollama, catalog not refreshed yet
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(model="qwen2.5:7b@ollama", messages=[user("hi")]))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "UPSTREAM_MODEL_NOT_FOUND"
    assert only_body(fake, CHAT)["model"] == "qwen2.5:7b"


# -- stream failures ---------------------------------------------------------------------------


async def stream_error(stub: Stub) -> tuple[list[str], grpc.aio.AioRpcError]:
    """Event kinds received before a StreamChat failed, and the failure."""
    kinds: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("one two three four")])
        async for event in stub.StreamChat(request):
            kinds.append(str(event.WhichOneof("event")))
    return kinds, caught.value


async def test_error_line_mid_stream_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.stream_error(after_chunks=2, message="model runner crashed"), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt", "text_delta", "text_delta"]
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert error.reason == "UPSTREAM_UNAVAILABLE"
    assert "model runner crashed" in error.message


async def test_stream_ending_without_done_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.truncate(), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt"] + ["text_delta"] * 4  # all text arrived, the `done` line did not
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "stream ended without done" in error.message


async def test_malformed_stream_line_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.malformed(after_chunks=1), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt", "text_delta"]
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "malformed" in error.message


async def test_cancelling_a_stream_closes_the_upstream_request(
    stub: Stub, fake: FakeOllama
) -> None:
    # The first token comes at once, the next one 60 s later (past pytest's timeout): the
    # upstream stream is surely open at the cancel, and only the gateway can close it.
    fake.script(Reply(text="one two three", tokens_per_s=1 / 60), path=CHAT)
    call = stub.StreamChat(chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("go")]))
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    await fake.wait_for_disconnect()  # recorded only for a response cut short
    assert fake.streams_started == 1


async def test_caller_deadline_closes_a_hung_upstream_request(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.hang(), path=CHAT)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("hi")]), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await fake.wait_for_disconnect()
