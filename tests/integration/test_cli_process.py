"""`modelgate serve` as a real process: the README's commands, and a clean SIGTERM drain."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_serving(target: str, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    with grpc.insecure_channel(target) as channel:
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
        timeout=30,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = _free_port()
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
        process.wait(timeout=10)


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
    assert process.wait(timeout=30) == 0


def test_two_workers_share_the_port_and_drain_on_sigterm() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, "MODELGATE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_serving(f"127.0.0.1:{port}", within=40)
        for _ in range(10):  # fresh connections land on either worker
            result = _cli("chat", "--target", f"127.0.0.1:{port}", "worker check")
            assert result.stdout.strip() == "worker check", result.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_missing_config_file_named_by_env_fails_loudly() -> None:
    env = {**os.environ, "MODELGATE_CONFIG": "/nonexistent/modelgate.yaml"}
    result = subprocess.run(
        [sys.executable, "-m", "modelgate.cli", "serve", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "config file not found: /nonexistent/modelgate.yaml" in result.stderr
