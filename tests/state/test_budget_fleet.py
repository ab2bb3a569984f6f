"""Two gateway processes sharing one real Redis enforce one budget and one token rate.

The guarantee is tested by construction, not by timing: whatever the interleaving of a
concurrent burst across both processes, once the budget is exhausted by spend the
calls admitted cost at least the cap and at most the cap plus one call.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
import redis

from modelgate.v1 import gateway_pb2_grpc, generation_pb2
from tests.integration.test_cli_process import ROOT, _wait_serving
from tests.ports import free_port
from tests.rpc_helpers import chat_request, decode
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S, RPC_S

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

BUDGET_SECRET = "fleet-budget-secret"
RATE_SECRET = "fleet-rate-secret"
CALLS_IN_CAP = 25
CALL_NANOS = 4_000
""""hello world" on the priced echo model: 2 + 2 tokens at $1 per million = $0.000004."""
CONFIG = f"""
models:
  - id: echo-priced
    runtime: echo
    provider: modelgate
    capabilities: [chat, streaming]
    pricing: {{input: 1.0, output: 1.0}}
    options: {{latency_ms: 20}}
auth:
  enabled: true
  keys:
    - id: fleet
      sha256: {hashlib.sha256(BUDGET_SECRET.encode()).hexdigest()}
      budgets: [{{period: day, max_cost_usd: {CALLS_IN_CAP * CALL_NANOS / 1e9!r}}}]
    - id: rate
      sha256: {hashlib.sha256(RATE_SECRET.encode()).hexdigest()}
      tokens_per_minute: 1
"""
SERVE = [sys.executable, "-m", "modelgate.cli", "serve"]
SHORT = generation_pb2.GenerationConfig(max_output_tokens=2)
"""Keeps each call's reservation small, so several are admitted at once in the burst."""


def _serve_two(config: Path, redis_url: str) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    """Two `modelgate serve` processes on `redis_url`, and their targets."""
    env = {**os.environ, "MODELGATE_STATE__URL": redis_url, "MODELGATE_LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [*SERVE, "--port", str(port), "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    return processes, [f"127.0.0.1:{port}" for port in ports]


async def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        await asyncio.to_thread(process.wait, PROCESS_S)


async def _call(stub: ModelGatewayAsyncStub, secret: str) -> str:
    """ "ok", or the refusal's reason."""
    try:
        await stub.Chat(
            chat_request("echo-priced", "hello world", generation=SHORT),
            metadata=(("authorization", f"Bearer {secret}"),),
            timeout=RPC_S,
        )
    except grpc.aio.AioRpcError as error:
        return decode(error).reason or error.code().name
    return "ok"


@pytest.mark.redis
@pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)
async def test_two_processes_enforce_one_budget_and_one_token_rate(
    fresh_redis_url: str, tmp_path: Path
) -> None:
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
            stubs: list[ModelGatewayAsyncStub] = [
                gateway_pb2_grpc.ModelGatewayStub(a_channel),
                gateway_pb2_grpc.ModelGatewayStub(b_channel),
            ]
            burst = await asyncio.gather(
                *(_call(stubs[i % 2], BUDGET_SECRET) for i in range(4 * CALLS_IN_CAP))
            )
            assert set(burst) <= {"ok", "BUDGET_EXHAUSTED"}
            admitted = burst.count("ok")
            for turn in range(4 * CALLS_IN_CAP):  # on, alternating, until spend alone refuses
                answer = await _call(stubs[turn % 2], BUDGET_SECRET)
                if answer != "ok":
                    break
                admitted += 1
            assert answer == "BUDGET_EXHAUSTED"
            with redis.Redis.from_url(fresh_redis_url) as client:
                [name] = client.keys("modelgate:budget:{fleet}:day:*")
                counter = client.hgetall(name)
            assert int(counter[b"nanos"]) == admitted * CALL_NANOS
            assert not [f for f in counter if f.startswith(b"h:")], "every hold settled"
            assert CALLS_IN_CAP <= admitted <= CALLS_IN_CAP + 1, "at most one call over"

            assert await _call(stubs[0], RATE_SECRET) == "ok", "4 tokens overdraw 1 a minute"
            assert await _call(stubs[1], RATE_SECRET) == "QUOTA_EXCEEDED", "seen by the other"
    finally:
        await _stop(processes)
