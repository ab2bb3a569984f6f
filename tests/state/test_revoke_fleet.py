"""Two `modelgate serve` processes sharing one real Redis: a key made through one's admin
API works on the other, and a revoke on one is refused by the other within the trust
window (`STORE_LOOKUP_SECONDS`, under the second the contract promises)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import grpc
import pytest

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.api.auth import STORE_LOOKUP_SECONDS
from modelgate.v1 import gateway_pb2_grpc
from tests.integration.test_cli_process import _wait_serving
from tests.rpc_helpers import chat_request
from tests.state.test_budget_fleet import _serve_two, _stop
from tests.waiting import PROCESS_TEST_TIMEOUT_S, RPC_S, eventually

ADMIN_SECRET = "fleet-admin-secret-0123456789"
CONFIG = f"""
auth:
  enabled: true
admin:
  keys:
    - id: ops
      sha256: {hashlib.sha256(ADMIN_SECRET.encode()).hexdigest()}
"""


def _bearer(secret: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {secret}"),)


async def _code(stub: gateway_pb2_grpc.ModelGatewayAsyncStub, secret: str) -> grpc.StatusCode:
    try:
        await stub.Chat(chat_request("echo", "hi"), metadata=_bearer(secret), timeout=RPC_S)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.redis
@pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)
async def test_a_revoke_on_one_process_is_refused_by_the_other(
    fresh_redis_url: str, tmp_path: Path
) -> None:
    assert STORE_LOOKUP_SECONDS < 1, "the contract promises every replica within a second"
    config = tmp_path / "modelgate.yaml"
    config.write_text(CONFIG)
    processes, targets = _serve_two(config, fresh_redis_url)
    try:
        for target in targets:
            await asyncio.to_thread(_wait_serving, target)
        async with (
            grpc.aio.insecure_channel(targets[0]) as a_channel,
            grpc.aio.insecure_channel(targets[1]) as b_channel,
        ):
            admin = admin_pb2_grpc.AdminServiceStub(a_channel)
            other: gateway_pb2_grpc.ModelGatewayAsyncStub = gateway_pb2_grpc.ModelGatewayStub(
                b_channel
            )
            created = await admin.CreateKey(
                admin_pb2.CreateKeyRequest(key=admin_pb2.ApiKey(id="fleet")),
                metadata=_bearer(ADMIN_SECRET),
                timeout=RPC_S,
            )
            assert await _code(other, created.secret) == grpc.StatusCode.OK
            await admin.RevokeKey(
                admin_pb2.RevokeKeyRequest(id="fleet"),
                metadata=_bearer(ADMIN_SECRET),
                timeout=RPC_S,
            )

            async def refused_by_other() -> bool:
                return await _code(other, created.secret) == grpc.StatusCode.UNAUTHENTICATED

            await eventually(refused_by_other, what="the other process refuses the revoked key")
    finally:
        await _stop(processes)
