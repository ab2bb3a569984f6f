"""`modelgate serve` as a real process: the README's commands, and a clean SIGTERM drain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from modelgate.v1 import gateway_pb2_grpc
from tests.ports import free_port
from tests.rpc_helpers import chat_request, text_of
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)


def _wait_serving(
    target: str, within: float = PROCESS_S, credentials: grpc.ChannelCredentials | None = None
) -> None:
    """Poll health until SERVING (over TLS with `credentials`, else plaintext)."""
    deadline = time.monotonic() + within
    # gRPC's reconnect backoff grows to minutes by default, so a process that is slow to
    # start would be noticed seconds after it listens (later, the slower it was); capped at
    # 0.5 s, the wait ends right after the start-up, however long that took.
    options = [
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 500),
        ("grpc.use_local_subchannel_pool", 1),
    ]
    channel = (
        grpc.insecure_channel(target, options=options)
        if credentials is None
        else grpc.secure_channel(target, credentials, options=options)
    )
    with channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"gateway at {target} did not become SERVING")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgate.cli", *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_S,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    env = {**os.environ, "MODELGATE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelgate.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    target = f"127.0.0.1:{port}"
    try:
        _wait_serving(target)
        yield process, target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=PROCESS_S)


def test_cli_chat_stream_prints_the_echo(server: tuple[subprocess.Popen[str], str]) -> None:
    result = _cli("chat", "--target", server[1], "--stream", "hello world")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world\n"


def test_cli_chat_unary_with_system_prompt(server: tuple[subprocess.Popen[str], str]) -> None:
    result = _cli("chat", "--target", server[1], "--system", "be brief", "hi there")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hi there"


def test_cli_models_lists_echo_as_a_table(server: tuple[subprocess.Popen[str], str]) -> None:
    result = _cli("models", "--target", server[1])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "PROVIDER", "RUNTIME"]
    assert any(line.split()[0] == "echo" and "yes" in line for line in lines[1:])


def test_cli_unknown_model_exits_nonzero_with_the_status(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    result = _cli("chat", "--target", server[1], "--model", "nope", "x")
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr


def test_sigterm_drains_and_exits_zero(server: tuple[subprocess.Popen[str], str]) -> None:
    process, _target = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=PROCESS_S) == 0


def _reply_from_the_first_worker(target: str, first_id: str) -> bool:
    """On a fresh connection, continue `first_id`'s conversation: only the worker that
    answered it holds it (each worker keeps its conversations in its own memory)."""
    options = [("grpc.use_local_subchannel_pool", 1)]  # its own connection, not a shared one
    with grpc.insecure_channel(target, options=options) as channel:
        stub = gateway_pb2_grpc.ModelGatewayStub(channel)
        request = chat_request("echo", "worker check", previous_response_id=first_id)
        try:
            reply = stub.Chat(request, timeout=PROCESS_S)
        except grpc.RpcError as error:
            assert isinstance(error, grpc.Call)
            assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()
            return False
        assert text_of(reply) == "worker check"
        return True


def test_two_workers_share_the_port_and_drain_on_sigterm() -> None:
    port = free_port()
    target = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, "MODELGATE_LOG_LEVEL": "INFO"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    logged: list[str] = []
    assert process.stderr is not None
    drain = threading.Thread(target=lambda: logged.extend(process.stderr or ()), daemon=True)
    drain.start()  # read to the end, so the workers never block on a full pipe
    try:
        # SIGTERM must not reach a worker still starting up (it would die of the signal,
        # not drain), and on a loaded machine the second worker starts seconds after the
        # first serves. Wait for both to log that they serve: each then installs its
        # signal handlers before its event loop runs anything else...
        deadline = time.monotonic() + PROCESS_S
        while sum("modelgate serving on" in line for line in logged) < 2:
            assert time.monotonic() < deadline, f"two workers did not start: {logged}"
            assert process.poll() is None, f"exited early: {logged}"
            time.sleep(0.05)
        # ...and see each answer a request sent after that: fresh connections land on
        # either worker, and only the worker that answered `first` can continue it.
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(target, options=options) as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            first = stub.Chat(chat_request("echo", "worker check"), timeout=PROCESS_S)
        answered_by: set[bool] = set()
        for _ in range(100):  # a few connections, until both workers answered
            answered_by.add(_reply_from_the_first_worker(target, first.id))
            if answered_by == {True, False}:
                break
        assert answered_by == {True, False}, "both workers answer on the shared port"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=PROCESS_S) == 0, logged
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(PROCESS_S)


def serve_refusing(
    env: dict[str, str], timeout: float = PROCESS_S
) -> subprocess.CompletedProcess[str]:
    """`modelgate serve` on a free port with `env` added, for a start-up that must fail:
    its exit code and output (bounded by `timeout`)."""
    return subprocess.run(
        [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_missing_config_file_named_by_env_fails_loudly() -> None:
    result = serve_refusing({"MODELGATE_CONFIG": "/nonexistent/modelgate.yaml"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "config file not found: /nonexistent/modelgate.yaml" in result.stderr
