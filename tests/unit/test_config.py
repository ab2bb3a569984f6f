"""Configuration precedence: environment over .env over the YAML file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgate.config import StateConfig, load_settings

YAML = """
server: {port: 6001, grace_seconds: 7}
runtimes:
  openai: {kind: openai, api_key_env: OPENAI_API_KEY}
models:
  - id: gpt-4o
    runtime: openai
    pricing: {input: 2.5, output: 10}
log_level: DEBUG
"""


def test_env_beats_dotenv_beats_file_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "modelgate.yaml"
    config.write_text(YAML)
    (tmp_path / ".env").write_text("MODELGATE_SERVER__GRACE_SECONDS=9\nMODELGATE_LOG_LEVEL=INFO\n")
    monkeypatch.chdir(tmp_path)
    for name in (
        "MODELGATE_SERVER__PORT",
        "MODELGATE_SERVER__GRACE_SECONDS",
        "MODELGATE_LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(config)
    assert settings.server.port == 6001  # file over default
    assert settings.server.grace_seconds == 9  # .env over file
    assert settings.log_level == "INFO"
    assert settings.models[0].pricing.output == 10
    assert settings.server.host == "127.0.0.1"  # default
    monkeypatch.setenv("MODELGATE_SERVER__PORT", "6002")
    monkeypatch.setenv("MODELGATE_SERVER__GRACE_SECONDS", "3")
    settings = load_settings(config)
    assert (settings.server.port, settings.server.grace_seconds) == (6002, 3)  # env over all


def test_config_file_from_env_var_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELGATE_CONFIG", "/nonexistent/modelgate.yaml")
    with pytest.raises(FileNotFoundError):
        load_settings()


def test_invalid_config_is_rejected_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("routing: {max_attempts: 0}\n")
    with pytest.raises(ValueError, match="max_attempts"):
        load_settings(config)


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ("{operation_timeout_seconds: 0}", "operation_timeout_seconds"),
        ("{connect_timeout_seconds: -1}", "connect_timeout_seconds"),
        ("{breaker_failure_threshold: 0}", "breaker_failure_threshold"),
        ("{breaker_cooldown_seconds: 0}", "breaker_cooldown_seconds"),
        ("{limiter_on_failure: maybe}", "limiter_on_failure"),
    ],
)
def test_state_bounds_that_would_never_bound_are_rejected(
    tmp_path: Path, state: str, field: str
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(f"state: {state}\n")
    with pytest.raises(ValueError, match=field):
        load_settings(config)


def test_state_bounds_default_small_and_reach_the_state_layer() -> None:
    state = StateConfig()
    bounds = state.bounds()
    assert 0 < bounds.operation_timeout <= 1 and bounds.connect_timeout <= 5
    assert (bounds.breaker_threshold, bounds.breaker_cooldown) == (3, 5.0)
    assert state.limiter_on_failure == "open"
