"""Standard health and reflection services, deadlines and cancellation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from modelgate.v1 import chat_pb2
from tests.rpc_helpers import chat_request, decode, user
from tests.waiting import RPC_S

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


@pytest.mark.parametrize("service", ["", "modelgate.v1.ModelGateway"])
async def test_health_check_reports_serving(channel: grpc.aio.Channel, service: str) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    response = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_S)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_check_of_unknown_service_is_not_found(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await health.Check(health_pb2.HealthCheckRequest(service="nope.Service"), timeout=RPC_S)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reflection_lists_the_gateway_and_resolves_its_file(
    channel: grpc.aio.Channel,
) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def ask(
        request: reflection_pb2.ServerReflectionRequest,
    ) -> reflection_pb2.ServerReflectionResponse:
        call = stub.ServerReflectionInfo(iter([request]), timeout=RPC_S)
        responses = [r async for r in call]
        return responses[0]

    listed = await ask(reflection_pb2.ServerReflectionRequest(list_services=""))
    names = {s.name for s in listed.list_services_response.service}
    assert {"modelgate.v1.ModelGateway", "grpc.health.v1.Health"} <= names
    found = await ask(
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="modelgate.v1.ModelGateway")
    )
    assert found.file_descriptor_response.file_descriptor_proto


async def test_client_deadline_shorter_than_model_latency_gives_deadline_exceeded(
    stub: Stub,
) -> None:

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_request("echo-slow", "hi"), timeout=0.2)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_stream_deadline_mid_stream_gives_deadline_exceeded(stub: Stub) -> None:
    # 100 words at 0.2 s apart take at least 19.8 s, so the 2 s deadline always falls
    # mid-stream; the first word is sent at once, 2 s is room for a loaded machine to
    # deliver it.
    words = " ".join(f"w{i}" for i in range(100))
    request = chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user(words)])
    received: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in stub.StreamChat(request, timeout=2):
            if event.HasField("text_delta"):
                received.append(event.text_delta.text)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 1 <= len(received) < 100


async def test_cancelling_a_stream_leaves_the_server_healthy(stub: Stub) -> None:
    # 100 words at 0.2 s apart: still streaming when cancelled, however slow the machine.
    words = " ".join(f"w{i}" for i in range(100))
    request = chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user(words)])
    call = stub.StreamChat(request)
    async for event in call:
        if event.HasField("text_delta"):
            break
    assert call.cancel()
    assert await call.code() == grpc.StatusCode.CANCELLED
    again = await stub.Chat(chat_request("echo", "still here"), timeout=RPC_S)
    assert again.content[0].text == "still here"


async def test_unknown_method_is_unimplemented(channel: grpc.aio.Channel) -> None:
    method: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        "/modelgate.v1.ModelGateway/NoSuchMethod"
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await method(b"", timeout=RPC_S)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_ambiguity_and_not_found_carry_error_info(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_request("gpt-nope", "x"))
    status = decode(caught.value)
    assert status.reason == "MODEL_NOT_FOUND"
    assert status.metadata == {"model": "gpt-nope"}
