"""Live reload of a real `modelgate serve` process (docs/operations.md "Reloading").

SIGHUP makes the gateway load its configuration again: a valid one is swapped in for
new calls while calls in flight finish on the old one; an invalid one is refused with
a log line and `modelgate_config_reloads_total{outcome="rejected"}`, and the old one
keeps serving.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.config import ModelConfig
from modelgate.v1 import chat_pb2, gateway_pb2_grpc, model_pb2
from tests.gateways import serve, settings
from tests.integration.test_cli_process import ROOT, _wait_serving
from tests.ports import free_port
from tests.rpc_helpers import text_of, user
from tests.waiting import PROCESS_TEST_TIMEOUT_S, eventually

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

GENEROUS = 60.0
"""Seconds a step may take on a busy machine; never the thing a test measures."""

TRICKLE = """
server: {grace_seconds: 5}
telemetry: {metrics_port: %d}
models:
  - id: echo-trickle
    runtime: echo
    provider: modelgate
    capabilities: [chat, streaming]
    options: {token_interval_ms: 150}
"""
ADDED = """
  - id: echo-added
    runtime: echo
    provider: modelgate
    capabilities: [chat]
"""
INVALID = """
models:
  - id: echo-orphan
    runtime: nowhere
  - id: echo-typo
    runtime: echo
    options: {latency_msec: 5}
"""


def _start(config: Path, port: int, log_file: Path) -> subprocess.Popen[bytes]:
    """`modelgate serve` with its config named by MODELGATE_CONFIG, logging into `log_file`."""
    with log_file.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "MODELGATE_CONFIG": str(config), "MODELGATE_LOG_LEVEL": "INFO"},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def _model_ids(stub: ModelGatewayAsyncStub) -> set[str]:
    reply = await stub.ListModels(model_pb2.ListModelsRequest(), timeout=GENEROUS)
    return {model.id for model in reply.models}


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=GENEROUS) as reply:
        text: str = reply.read().decode()
        return text


async def test_sighup_adds_a_model_while_a_stream_finishes_and_an_invalid_config_is_refused(
    tmp_path: Path,
) -> None:
    config, log_file = tmp_path / "modelgate.yaml", tmp_path / "gateway.log"
    metrics_port, port = free_port(), free_port()
    config.write_text(TRICKLE % metrics_port)
    process = _start(config, port, log_file)
    target = f"127.0.0.1:{port}"
    try:
        await asyncio.to_thread(_wait_serving, target)
        async with grpc.aio.insecure_channel(target) as channel:
            stub: ModelGatewayAsyncStub = gateway_pb2_grpc.ModelGatewayStub(channel)
            assert "echo-added" not in await _model_ids(stub)
            words = " ".join(f"w{i}" for i in range(12))
            request = chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user(words)])
            stream = stub.StreamChat(request, timeout=GENEROUS)
            received: list[str] = []
            async for event in stream:
                if not event.HasField("text_delta"):
                    continue
                received.append(event.text_delta.text)
                if len(received) == 1:  # the stream is in flight: reload under it
                    config.write_text(TRICKLE % metrics_port + ADDED)
                    sent = time.monotonic()
                    process.send_signal(signal.SIGHUP)
                    seen = await eventually(
                        lambda: _has(stub, "echo-added"), every_s=0.05, what="echo-added listed"
                    )
                    # Reported, not asserted: the bound above only stops a hung test.
                    print(f"SIGHUP to ListModels showing the new model: {seen - sent:.3f}s")
            assert "".join(received) == words, "the stream in flight finished on the old config"
            added = chat_pb2.ChatRequest(model="echo-added", messages=[user("new model")])
            assert text_of(await stub.Chat(added, timeout=GENEROUS)) == "new model"

            config.write_text(INVALID)
            process.send_signal(signal.SIGHUP)
            rejected = 'modelgate_config_reloads_total{outcome="rejected"} 1.0'
            await eventually(
                lambda: rejected in _scrape(metrics_port), every_s=0.1, what="rejected counted"
            )
            scraped = _scrape(metrics_port)
            assert 'modelgate_config_reloads_total{outcome="ok"} 1.0' in scraped
            log_text = log_file.read_text()
            assert "config reload (SIGHUP) rejected" in log_text
            assert "nowhere" in log_text, "the log line says what is wrong"
            assert "`models[1].options.latency_msec`: unknown option" in log_text
            assert {"echo-trickle", "echo-added"} <= await _model_ids(stub)
            assert text_of(await stub.Chat(added, timeout=GENEROUS)) == "new model"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, GENEROUS) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(GENEROUS)


async def _has(stub: ModelGatewayAsyncStub, model_id: str) -> bool:
    return model_id in await _model_ids(stub)


async def test_the_old_catalog_closes_only_after_its_last_call_and_fixed_settings_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trickle = ModelConfig(
        id="echo-trickle",
        runtime="echo",
        capabilities=["chat", "streaming"],
        options={"token_interval_ms": 100},
    )
    first = settings(echo=True, models=[trickle])
    async with serve(first) as served:
        old_catalog = served.gateway.catalog
        closed = asyncio.Event()
        close = old_catalog.aclose

        async def spy() -> None:
            closed.set()
            await close()

        old_catalog.aclose = spy  # type: ignore[method-assign]
        moved = first.server.model_copy(update={"port": first.server.port + 1})
        served.gateway.reloader.load = lambda: settings(echo=True, server=moved, models=[trickle])
        request = chat_pb2.StreamChatRequest(model="echo-trickle", messages=[user("a b c d e")])
        stream = served.stub.StreamChat(request, timeout=GENEROUS)
        received = []
        async for event in stream:
            if event.HasField("text_delta"):
                received.append(event.text_delta.text)
                if len(received) == 1:
                    assert await served.gateway.reloader.reload("test")
                    assert served.gateway.catalog is not old_catalog
                    assert not closed.is_set(), "a call still streams from the old catalog"
        assert "".join(received) == "a b c d e"
        await asyncio.wait_for(closed.wait(), GENEROUS)
        assert served.gateway.settings.server.port == first.server.port, "kept until restart"
        assert "server.port" in caplog.text
