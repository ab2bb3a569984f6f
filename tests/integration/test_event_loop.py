"""`server.event_loop` chooses the loop `modelgate serve` runs on, and the gateway serves on it.

The start-up record names the loop that actually runs (its class's package), so a
setting that were read but not used would fail here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from modelgate.v1 import chat_pb2, gateway_pb2_grpc
from tests.integration.test_cli_process import _wait_serving, serve_refusing
from tests.ports import free_port
from tests.rpc_helpers import chat_request, text_of, user
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)


def _startup_record(stderr: str) -> dict[str, object]:
    for line in stderr.splitlines():
        record = json.loads(line)
        if "startup" in record:
            startup: dict[str, object] = record["startup"]
            return startup
    raise AssertionError(f"no start-up record in {stderr!r}")


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_serve_runs_on_the_configured_event_loop_and_answers(loop: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MODELGATE_LOG_FORMAT": "json",
        "MODELGATE_LOG_LEVEL": "INFO",
        "MODELGATE_SERVER__EVENT_LOOP": loop,
    }
    argv = [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    target = f"127.0.0.1:{port}"
    try:
        _wait_serving(target)
        with grpc.insecure_channel(target) as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            reply = stub.Chat(chat_request("echo", "on any loop"), timeout=PROCESS_S)
            stream = chat_pb2.StreamChatRequest(model="echo", messages=[user("streamed")])
            streamed = list(stub.StreamChat(stream, timeout=PROCESS_S))
        assert text_of(reply) == "on any loop"
        assert streamed[-1].HasField("end")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=PROCESS_S)
        assert process.returncode == 0, err
        assert _startup_record(err)["event_loop"] == loop
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=PROCESS_S)


def test_an_unknown_event_loop_is_refused_naming_the_choices() -> None:
    result = serve_refusing({"MODELGATE_SERVER__EVENT_LOOP": "trio"})
    assert result.returncode != 0
    assert "event_loop" in result.stderr
    assert "'asyncio' or 'uvloop'" in result.stderr
