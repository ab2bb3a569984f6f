"""The bad-input table (bad_input_cases.py): each malformed request gets its precise status and
field path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.v1 import chat_pb2, generation_pb2
from tests.integration.bad_input_cases import CASES, Case, _chat
from tests.rpc_helpers import decode, user
from tests.waiting import RPC_S

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


async def _call(stub: Stub, rpc: str, request: Any) -> None:
    method: Callable[..., Any] = getattr(stub, rpc)
    result = method(request, timeout=RPC_S)
    if hasattr(result, "__aiter__"):
        async for _ in result:
            pass
    else:
        await result


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_bad_input_gets_precise_status(stub: Stub, case: Case) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call(stub, case.rpc, case.request)
    status = decode(caught.value)
    assert status.code == case.code, status.message
    assert status.domain == "modelgate"
    if case.field is not None:
        assert status.reason == "INVALID_REQUEST"
        assert case.field in [field for field, _ in status.violations], status.violations
        assert case.field in status.message


async def test_every_violation_is_reported_at_once(stub: Stub) -> None:
    request = chat_pb2.ChatRequest(
        generation=generation_pb2.GenerationConfig(temperature=5, top_k=-1), messages=[user("x")]
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request)
    fields = {field for field, _ in decode(caught.value).violations}
    assert fields == {"model", "generation.temperature", "generation.top_k"}


async def test_server_stays_healthy_after_the_table(stub: Stub) -> None:
    check: Awaitable[Any] = stub.Chat(_chat())
    assert (await check).content[0].text == "hi"


@pytest.mark.parametrize(
    ("method", "raw"),
    [
        ("Chat", b"\x0a\x02\xff\xfe"),  # field 1 (model): invalid UTF-8
        ("Chat", b"\xff\xff\xff"),  # corrupt wire format
        ("StreamChat", b"\x0a\x02\xff\xfe"),
        ("Embed", b"\x12\x03\xc3\x28\x41"),  # inputs[0]: invalid UTF-8 sequence
    ],
)
async def test_undecodable_bytes_are_invalid_argument_not_unknown(
    channel: grpc.aio.Channel, method: str, raw: bytes
) -> None:
    path = f"/modelgate.v1.ModelGateway/{method}"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        if method.startswith("Stream"):
            stream: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(path)
            async for _ in stream(raw, timeout=RPC_S):
                pass
        else:
            unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
            await unary(raw, timeout=RPC_S)
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
