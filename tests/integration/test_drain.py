"""SIGTERM drain of a real `modelgate serve` process: readiness flips, streams finish, exit 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from modelgate.v1 import chat_pb2, gateway_pb2_grpc
from tests.integration.test_cli_process import ROOT, _free_port, _wait_serving
from tests.rpc_helpers import user
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

# The grace only caps the drain (the process exits as soon as the stream ends, about 2 s
# after SIGTERM), so it is far above what a loaded machine needs to send 11 words.
CONFIG = """
server: {grace_seconds: 60}
models:
  - id: echo-trickle
    runtime: echo
    provider: modelgate
    capabilities: [chat, streaming]
    options: {token_interval_ms: 150}
"""


async def test_stream_in_progress_at_sigterm_completes_and_process_exits_zero(
    tmp_path: Path,
) -> None:
    config = tmp_path / "modelgate.yaml"
    config.write_text(CONFIG)
    port = _free_port()
    # Popen only forks and returns; waiting happens in a thread below.
    process = subprocess.Popen(  # noqa: ASYNC220
        [
            sys.executable,
            "-m",
            "modelgate.cli",
            "serve",
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        cwd=ROOT,
        env={**os.environ, "MODELGATE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    target = f"127.0.0.1:{port}"
    try:
        await asyncio.to_thread(_wait_serving, target)
        words = " ".join(f"w{i}" for i in range(12))
        async with grpc.aio.insecure_channel(target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            watch = health.Watch(health_pb2.HealthCheckRequest(service="modelgate.v1.ModelGateway"))
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            stream = stub.StreamChat(
                chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user(words)]),
                timeout=PROCESS_S,
            )
            received: list[str] = []
            async for event in stream:
                if event.HasField("text_delta"):
                    received.append(event.text_delta.text)
                    if len(received) == 1:
                        process.send_signal(signal.SIGTERM)
                        status = await asyncio.wait_for(watch.read(), PROCESS_S)
                        assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
                if event.HasField("end"):
                    break
            assert "".join(received) == words, "the in-flight stream finished during the drain"
        exit_code = await asyncio.to_thread(process.wait, PROCESS_S)
        assert exit_code == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(PROCESS_S)
