"""The `modelgate` client commands as an operator runs them: real processes, a real gateway.

stdin prompts, MODELGATE_TARGET, --json for every command, health exit codes, streaming by
default only on a terminal, and the ways a call ends early: Ctrl-C, and a stream cut mid-line.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.integration.test_cli_process import ROOT, _wait_serving
from tests.ports import free_port
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

CLI = [sys.executable, "-m", "modelgate.cli"]
# The caller's own settings must not leak into a test (nor MODELGATE_* into the gateway).
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("MODELGATE_")}

# An echo model that streams "tick tock " forever, one word per 100 ms: a stream that is
# still running whenever the test acts on it, however slow the machine.
CONFIG = """
models:
  - id: echo-endless
    runtime: echo
    provider: modelgate
    capabilities: [chat, completion, streaming]
    options: {repeat_stream: true, token_interval_ms: 100}
"""


@contextmanager
def gateway_process(
    config: str, directory: Path, credentials: grpc.ChannelCredentials | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`modelgate serve` with `config` on a free loopback port, until SERVING; killed after."""
    path = directory / "modelgate.yaml"
    path.write_text(config)
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--config", str(path)],
        cwd=ROOT,
        env={**CLEAN_ENV, "MODELGATE_LOG_LEVEL": "WARNING"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target = f"127.0.0.1:{port}"
    try:
        _wait_serving(target, credentials=credentials)
        yield process, target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=PROCESS_S)


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """One CLI call; stdin is a pipe holding `stdin` (empty by default), never a terminal."""
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=PROCESS_S,
        cwd=ROOT,
        env={**CLEAN_ENV, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gateway_process(CONFIG, tmp_path_factory.mktemp("cli")) as (_process, address):
        yield address


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(_ok(result))


def _json_lines(result: subprocess.CompletedProcess[str]) -> list[Any]:
    return [json.loads(line) for line in _ok(result).splitlines()]


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version_prints_the_package_version() -> None:
    assert _ok(run_cli("--version")) == f"modelgate {metadata.version('modelgate')}\n"


def test_a_piped_prompt_is_the_prompt(target: str) -> None:
    # echo hi | modelgate chat
    assert _ok(run_cli("chat", "--target", target, stdin="hi\n")) == "hi\n"


def test_dash_reads_the_prompt_from_stdin(target: str) -> None:
    result = run_cli("chat", "--target", target, "--stream", "-", stdin="two\nlines\n")
    assert _ok(result) == "two\nlines\n"


def test_an_argument_wins_over_stdin(target: str) -> None:
    assert _ok(run_cli("chat", "--target", target, "typed", stdin="piped\n")) == "typed\n"


def test_no_prompt_at_all_is_a_usage_error(target: str) -> None:
    result = run_cli("chat", "--target", target, stdin="")
    assert result.returncode == 2
    assert _one_error_line(result) == "error: the prompt read from stdin is empty"


def test_stdin_that_is_not_utf8_is_a_usage_error(target: str) -> None:
    result = subprocess.run(
        [*CLI, "chat", "--target", target],
        input=b"\xff\xfe not text\n",
        capture_output=True,
        timeout=PROCESS_S,
        cwd=ROOT,
        env=CLEAN_ENV,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == b"error: the prompt read from stdin is not UTF-8 text\n"


def test_the_target_comes_from_MODELGATE_TARGET(target: str) -> None:
    assert _ok(run_cli("chat", "hello", env={"MODELGATE_TARGET": target})) == "hello\n"


def test_no_gateway_is_one_unavailable_line(tmp_path: Path) -> None:
    result = run_cli("models", "--target", f"127.0.0.1:{free_port()}", "--timeout", "30")
    assert result.returncode == 1
    assert _one_error_line(result).startswith("error: UNAVAILABLE: ")


def test_chat_json_is_the_chat_response(target: str) -> None:
    reply = _json(run_cli("chat", "--target", target, "--json", "hello json"))
    assert reply["content"] == [{"text": "hello json"}]
    assert reply["finishReason"] == "FINISH_REASON_STOP"


def test_a_json_stream_is_one_event_per_line(target: str) -> None:
    events = _json_lines(run_cli("chat", "--target", target, "--stream", "--json", "a b c"))
    assert "attempt" in events[0]
    assert "end" in events[-1]
    assert "".join(e["textDelta"]["text"] for e in events[1:-1]) == "a b c"


def test_complete_text_stream_and_json(target: str) -> None:
    assert _ok(run_cli("complete", "--target", target, "--stream", "once upon")) == "once upon\n"
    assert _json(run_cli("complete", "--target", target, "--json", "a time"))["text"] == "a time"


def test_embed_prints_one_line_of_numbers_per_input(target: str) -> None:
    lines = _ok(run_cli("embed", "--target", target, "--dimensions", "4", "one", "two"))
    vectors = [[float(v) for v in line.split()] for line in lines.splitlines()]
    assert [len(v) for v in vectors] == [4, 4]
    assert vectors[0] != vectors[1]
    reply = _json(run_cli("embed", "--target", target, "--json", "--dimensions", "4", "one"))
    assert reply["embeddings"][0]["values"] == pytest.approx(vectors[0], rel=1e-6)


def test_count_tokens_prints_the_count(target: str) -> None:
    # the echo tokenizer counts words
    assert _ok(run_cli("count-tokens", "--target", target, stdin="three words here\n")) == "3\n"
    reply = _json(run_cli("count-tokens", "--target", target, "--json", "two words"))
    assert reply["inputTokens"] == 2


def test_models_json_holds_every_model(target: str) -> None:
    reply = _json(run_cli("models", "--target", target, "--json"))
    assert {m["id"] for m in reply["models"]} == {"echo", "echo-endless"}


def test_health_exits_zero_only_when_serving(target: str) -> None:
    assert _ok(run_cli("health", "--target", target)) == "SERVING\n"
    service = "modelgate.v1.ModelGateway"
    assert _json(run_cli("health", "--target", target, "--service", service, "--json")) == {
        "status": "SERVING"
    }
    unknown = run_cli("health", "--target", target, "--service", "no.such.Service")
    assert unknown.returncode == 1
    assert _one_error_line(unknown).startswith("error: NOT_FOUND: ")


def _read_until_exit(fd: int, process: subprocess.Popen[bytes]) -> bytes:
    """All a pseudo-terminal shows until the process exits (Linux: EIO once it closed)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + PROCESS_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks)


def _on_a_terminal(*args: str) -> list[str]:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*CLI, *args], cwd=ROOT, env=CLEAN_ENV, stdin=subprocess.DEVNULL, stdout=terminal
    )
    os.close(terminal)
    try:
        shown = _read_until_exit(controller, process)
        assert process.wait(timeout=PROCESS_S) == 0
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait(PROCESS_S)
    return shown.decode().splitlines()


def test_on_a_terminal_chat_streams_unless_told_not_to(target: str) -> None:
    streamed = _on_a_terminal("chat", "--target", target, "--json", "a b")
    assert [next(iter(json.loads(line))) for line in streamed] == [
        "attempt",
        "textDelta",
        "textDelta",
        "end",
    ]
    whole = _on_a_terminal("chat", "--target", target, "--json", "--no-stream", "a b")
    assert [json.loads(line)["content"] for line in whole] == [[{"text": "a b"}]]


def _start_streaming(target: str) -> tuple[subprocess.Popen[bytes], bytes]:
    """A CLI streaming the endless model, stdout and stderr in one pipe (their real order),
    once its first words are out."""
    process = subprocess.Popen(
        [*CLI, "chat", "--target", target, "--stream", "--model", "echo-endless", "tick tock"],
        cwd=ROOT,
        env=CLEAN_ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        bufsize=0,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], PROCESS_S)
    assert ready, "no output from the streaming CLI"
    first = os.read(process.stdout.fileno(), 65536)
    assert first.startswith(b"tick"), first
    return process, first


def test_ctrl_c_while_streaming_exits_130_without_a_traceback(target: str) -> None:
    process, first = _start_streaming(target)
    try:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=PROCESS_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(PROCESS_S)
    assert process.returncode == 130
    shown = (first + rest).decode()
    assert "Traceback" not in shown
    assert "KeyboardInterrupt" not in shown
    assert shown.endswith("\n"), "the cut line is finished, so the shell prompt starts anew"


def test_a_stream_error_after_partial_output_starts_on_a_new_line(tmp_path: Path) -> None:
    with gateway_process(CONFIG, tmp_path) as (gateway, address):
        process, first = _start_streaming(address)
        try:
            gateway.kill()  # mid-stream, mid-line: the words so far end without a newline
            rest, _ = process.communicate(timeout=PROCESS_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(PROCESS_S)
    assert process.returncode == 1
    shown = (first + rest).decode()
    assert "Traceback" not in shown
    text, error = shown.rsplit("error: ", 1)
    assert text.startswith("tick") and text.endswith("\n")
    assert error.startswith("UNAVAILABLE: ")
    assert error.endswith("\n") and error.count("\n") == 1
