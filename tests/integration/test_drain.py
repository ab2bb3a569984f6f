"""Health at start, during the drain and at stop, seen through real Check and Watch calls.

The semantics are `modelgate.api.health.PHASES` (the table in docs/operations.md):
both services NOT_SERVING while the catalog loads, both SERVING once it has; at
SIGTERM readiness (`modelgate.v1.ModelGateway`) turns NOT_SERVING, liveness (`""`)
stays SERVING, the server takes no new calls (probes get UNAVAILABLE), open Watch
streams get the change and end, and in-flight calls finish; then the process exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from typing_extensions import override

from modelgate.api.health import LIVENESS, READINESS
from modelgate.app import Gateway
from modelgate.config import RuntimeConfig
from modelgate.providers.base import BackendDefaults, CallContext, Target
from modelgate.providers.registry import register_provider
from modelgate.v1 import chat_pb2, gateway_pb2_grpc, model_pb2, tokens_pb2
from tests.gateways import settings
from tests.integration.test_cli_process import ROOT, _wait_serving
from tests.ports import free_port
from tests.rpc_helpers import user
from tests.waiting import PROCESS_TEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
GENEROUS = 60.0
"""Seconds a step may take on a busy machine; never the thing a test measures."""

CONFIG = """
server: {grace_seconds: %s}
models:
  - id: echo-trickle
    runtime: echo
    provider: modelgate
    capabilities: [chat, streaming]
    options: {token_interval_ms: 150}
"""


class GatedDiscovery(BackendDefaults):
    """A runtime whose discovery answers only once the test opens the gate."""

    def __init__(self, name: str, gate: asyncio.Event) -> None:
        self.runtime = name
        self.gate = gate

    async def chat(self, target: Target, request: Any, call: CallContext) -> chat_pb2.ChatResponse:
        raise AssertionError("not called")

    def stream_chat(
        self, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        raise AssertionError("not called")

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        raise AssertionError("not called")

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        await self.gate.wait()
        return []


async def _check(channel: grpc.aio.Channel, service: str, **options: Any) -> int:
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=service), **options)
    status: int = reply.status
    return status


def _watch(channel: grpc.aio.Channel, service: str) -> Any:
    return health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=service))


async def test_both_services_are_not_serving_until_the_catalog_has_loaded() -> None:
    gate = asyncio.Event()
    register_provider("gated-discovery", lambda name, _config: GatedDiscovery(name, gate))
    runtime = RuntimeConfig(kind="gated-discovery", discover=True)
    gateway = Gateway(settings(echo=True, runtimes={"gated": runtime}))
    port = free_port()
    starting = asyncio.create_task(gateway.start(host="127.0.0.1", port=port))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            ready = {"wait_for_ready": True, "timeout": GENEROUS}  # until the port listens
            assert await _check(channel, LIVENESS, **ready) == NOT_SERVING
            assert await _check(channel, READINESS, **ready) == NOT_SERVING
            watch = _watch(channel, READINESS)
            assert (await watch.read()).status == NOT_SERVING
            gate.set()
            assert (await asyncio.wait_for(watch.read(), GENEROUS)).status == SERVING
            await starting
            assert await _check(channel, LIVENESS) == SERVING
            assert await _check(channel, READINESS) == SERVING
            watch.cancel()
    finally:
        gate.set()
        await starting
        await gateway.stop(grace=0.5)


def _serve(tmp_path: Path, grace_seconds: float) -> tuple[subprocess.Popen[bytes], str]:
    config = tmp_path / "modelgate.yaml"
    config.write_text(CONFIG % grace_seconds)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(port), "--config", config],
        cwd=ROOT,
        env={**os.environ, "MODELGATE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"127.0.0.1:{port}"


@pytest.fixture
def serving_process(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    process, target = _serve(tmp_path, request.param)
    try:
        _wait_serving(target)
        yield process, target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


async def _ended(watch: Any) -> grpc.StatusCode:
    """The status a Watch stream ended with, asserting it sent nothing more."""
    assert await asyncio.wait_for(watch.read(), GENEROUS) is grpc.aio.EOF
    code: grpc.StatusCode = await watch.code()
    return code


async def _refused(target: str, service: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _check(channel, service, timeout=GENEROUS)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


# The grace only caps the drain (the process exits as soon as the stream ends, about 2 s
# after SIGTERM), so it is far above what a loaded machine needs to send 11 more words.
@pytest.mark.parametrize("serving_process", [60], indirect=True)
async def test_at_sigterm_readiness_flips_watches_end_new_calls_are_refused_streams_finish(
    serving_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, target = serving_process
    words = " ".join(f"w{i}" for i in range(12))
    async with grpc.aio.insecure_channel(target) as channel:
        liveness, readiness = _watch(channel, LIVENESS), _watch(channel, READINESS)
        assert (await liveness.read()).status == SERVING
        assert (await readiness.read()).status == SERVING
        stub = gateway_pb2_grpc.ModelGatewayStub(channel)
        request = chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user(words)])
        stream = stub.StreamChat(request, timeout=GENEROUS)
        received: list[str] = []
        async for event in stream:
            if event.HasField("text_delta"):
                received.append(event.text_delta.text)
                if len(received) == 1:
                    process.send_signal(signal.SIGTERM)
                    # Readiness turns NOT_SERVING, then its Watch ends; liveness has no
                    # change to report (still SERVING: the process is alive) and ends too.
                    status = await asyncio.wait_for(readiness.read(), GENEROUS)
                    assert status.status == NOT_SERVING
                    assert await _ended(readiness) == grpc.StatusCode.OK
                    assert await _ended(liveness) == grpc.StatusCode.OK
                    # From here on no new call gets in, probes of either service included.
                    await _refused(target, LIVENESS)
                    await _refused(target, READINESS)
        assert "".join(received) == words, "the in-flight stream finished during the drain"
    assert await asyncio.to_thread(process.wait, GENEROUS) == 0
    await _refused(target, LIVENESS)  # stopped: the port is closed


@pytest.mark.parametrize("serving_process", [600], indirect=True)
async def test_open_watch_streams_do_not_hold_the_process_through_the_grace(
    serving_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    """A 600 s grace and only idle watchers: the process exits long before the grace ends."""
    process, target = serving_process
    async with grpc.aio.insecure_channel(target) as channel:
        watches = [_watch(channel, LIVENESS), _watch(channel, READINESS)]
        for watch in watches:
            assert (await watch.read()).status == SERVING
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, GENEROUS) == 0
