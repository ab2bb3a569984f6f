"""`modelgate config check|schema` and `modelgate serve` refusing what they cannot use.

Real processes, in an empty directory with a clean `MODELGATE_*` environment. A
configuration problem is one `error:` line naming its path and exit code 2, for
`config check` and `serve` alike; a place the gateway cannot start (a port in use,
a state backend that does not answer) is one line and exit code 1. Never a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

CATALOG = """
runtimes:
  openai: {kind: openai, api_key_env: MODELGATE_TEST_UNSET_KEY}
models:
  - {id: gpt-4o, runtime: openai}
aliases:
  smart: {deployments: [{model: gpt-4o}], fallbacks: [echo]}
"""

BROKEN = {
    "typo": (
        CATALOG.replace("api_key_env", "api_key_evn"),
        "error: `runtimes.openai.api_key_evn`: unknown key; did you mean `api_key_env`?",
    ),
    "dangling alias": (
        CATALOG.replace("{model: gpt-4o}", "{model: gpt-4o-mini}"),
        "error: `aliases.smart.deployments[0].model`: unknown model 'gpt-4o-mini'; "
        "did you mean 'gpt-4o'? (known: echo, gpt-4o)",
    ),
    "option typo": (
        CATALOG.replace(
            "MODELGATE_TEST_UNSET_KEY}", "MODELGATE_TEST_UNSET_KEY, options: {fetch_image: true}}"
        ),
        "error: `runtimes.openai.options.fetch_image`: unknown option of kind 'openai'; "
        "did you mean `fetch_images`?",
    ),
    "unknown kind": (
        CATALOG.replace("kind: openai", "kind: opnai"),
        "error: `runtimes.openai.kind`: unknown provider kind 'opnai'; did you mean 'openai'? "
        "(known: anthropic, echo, gemini, lmstudio, ollama, openai, openai_compatible)",
    ),
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory: no stray .env."""
    return tmp_path


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _modelgate(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("MODELGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "modelgate.cli", *args],
        capture_output=True,
        text=True,
        timeout=PROCESS_S,
        cwd=cwd,
        env={**clean, "MODELGATE_LOG_LEVEL": "WARNING", **env},
        check=False,
    )


def _error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.splitlines()


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_config_fails_check_and_serve_with_one_line_naming_the_path(
    workdir: Path, case: str
) -> None:
    text, line = BROKEN[case]
    config = workdir / "modelgate.yaml"
    config.write_text(text)
    checked = _modelgate(workdir, "config", "check", str(config))
    assert (checked.returncode, _error_lines(checked), checked.stdout) == (2, [line], "")
    served = _modelgate(workdir, "serve", "--port", str(free_port()), "--config", str(config))
    assert (served.returncode, _error_lines(served)) == (2, [line])


def test_check_summarises_a_valid_config_as_serve_would_read_it(workdir: Path) -> None:
    config = workdir / "modelgate.yaml"
    config.write_text(CATALOG)
    (workdir / ".env").write_text(f"MODELGATE_CONFIG={config}\n")
    result = _modelgate(
        workdir,
        "config",
        "check",
        MODELGATE_STATE__URL="redis://:hunter2-hunter2@redis:6379/0",
        MODELGATE_TELEMETRY__METRICS_PORT="9464",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"config file: {config}",
        "server: 127.0.0.1:50051, plaintext",
        "runtimes (2):",
        "  echo: echo (built in)",
        "  openai: openai, MODELGATE_TEST_UNSET_KEY is not set: its models are listed unavailable",
        "models (2): echo, gpt-4o",
        "aliases (1): smart -> gpt-4o (fallbacks: echo)",
        "state: redis://:***@redis:6379/0",
        "auth: off",
        "hooks: -",
        "telemetry: tracing off, metrics on, scraped at 127.0.0.1:9464",
        "ok: the configuration is valid",
    ]


def test_an_unknown_variable_fails_check_and_serve(workdir: Path) -> None:
    for args in (("config", "check"), ("serve", "--port", str(free_port()))):
        result = _modelgate(workdir, *args, MODELGATE_STATE__REDIS_URL="redis://r:6379/0")
        assert result.returncode == 2
        assert _error_lines(result) == [
            "error: environment variable `MODELGATE_STATE__REDIS_URL`: unknown setting"
        ]


def test_invalid_yaml_is_one_line_with_line_and_column(workdir: Path) -> None:
    config = workdir / "modelgate.yaml"
    config.write_text("server:\n  port: 1\n bad\n")
    result = _modelgate(workdir, "config", "check", str(config))
    assert result.returncode == 2
    assert _error_lines(result) == [
        f"error: {config}:3:2: invalid YAML: expected <block end>, but found '<scalar>'"
    ]


def test_schema_prints_the_shipped_schema(workdir: Path) -> None:
    result = _modelgate(workdir, "config", "schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "docs" / "config.schema.json").read_text()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--port", "99999"), "argument --port: '99999' is not a port (1-65535)"),
        (("--port", "0"), "argument --port: '0' is not a port (1-65535)"),
        (("--port", "-1"), "argument --port: '-1' is not a port (1-65535)"),
        (("--workers", "0"), "argument --workers: '0' is not a number of processes (1 or more)"),
        (("--host", ""), "argument --host: an empty bind address"),
    ],
)
def test_serve_flags_are_validated(workdir: Path, flags: tuple[str, str], message: str) -> None:
    result = _modelgate(workdir, "serve", *flags)
    assert result.returncode == 2
    assert _error_lines(result)[-1] == f"modelgate serve: error: {message}"


def test_a_port_in_use_is_one_line_and_exit_1(workdir: Path, listening: int) -> None:
    result = _modelgate(workdir, "serve", "--port", str(listening))
    assert result.returncode == 1
    ours = [line for line in _error_lines(result) if line.startswith("error:")]
    assert ours == [
        f"error: cannot listen on 127.0.0.1:{listening}: in use, or not an address here"
    ]


def test_a_metrics_port_in_use_is_one_line_and_exit_1(workdir: Path, listening: int) -> None:
    result = _modelgate(
        workdir,
        "serve",
        "--port",
        str(free_port()),
        MODELGATE_TELEMETRY__METRICS_PORT=str(listening),
    )
    assert result.returncode == 1
    assert _error_lines(result) == [
        f"error: cannot serve metrics on 127.0.0.1:{listening}: Address already in use"
    ]


def test_an_unreachable_state_backend_is_one_line_and_exit_1(workdir: Path) -> None:
    result = _modelgate(
        workdir,
        "serve",
        "--port",
        str(free_port()),
        MODELGATE_STATE__URL=f"redis://127.0.0.1:{free_port()}/0",
        MODELGATE_STATE__CONNECT_TIMEOUT_SECONDS="1",
    )
    assert result.returncode == 1
    [line] = _error_lines(result)
    assert line.startswith("error: state backend unavailable at start-up: ")
