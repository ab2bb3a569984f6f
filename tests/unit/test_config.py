"""Configuration precedence: environment over .env over the YAML file over defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from modelgate.config import ModelConfig, RuntimeConfig, StateConfig, load_settings
from modelgate.config_errors import ConfigError
from modelgate.routing.catalog import Catalog
from tests.gateways import settings

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
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.lines == ["config file not found: /nonexistent/modelgate.yaml"]


def test_invalid_config_is_rejected_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("routing: {max_attempts: 0}\n")
    with pytest.raises(ValueError, match="max_attempts"):
        load_settings(config)


@pytest.mark.parametrize(
    ("runtime", "api", "expected"),
    [
        (RuntimeConfig(kind="openai"), "responses", "upstream"),
        (
            RuntimeConfig(kind="openai", base_url="https://api.openai.com/v1"),
            "responses",
            "upstream",
        ),
        (RuntimeConfig(kind="openai", base_url="http://127.0.0.1:8080/v1"), "responses", "gateway"),
        (
            RuntimeConfig(kind="openai_compatible", base_url="http://vllm:8000/v1"),
            "responses",
            "gateway",
        ),
        (RuntimeConfig(kind="openai", api="responses"), None, "upstream"),
        (RuntimeConfig(kind="openai"), None, "gateway"),
        (RuntimeConfig(kind="anthropic"), None, "gateway"),
    ],
)
def test_conversation_defaults_to_upstream_only_for_the_responses_api_of_openai_proper(
    runtime: RuntimeConfig, api: Any, expected: str
) -> None:
    model = ModelConfig(id="m", runtime="r", api=api)
    assert model.resolved_conversation(runtime) == expected


def test_conversation_default_follows_the_base_url_env_var(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = RuntimeConfig(kind="openai", base_url_env="LITELLM_URL", api="responses")
    model = ModelConfig(id="m", runtime="r")
    monkeypatch.setenv("LITELLM_URL", "http://litellm:4000/v1")
    assert model.resolved_conversation(runtime) == "gateway"
    monkeypatch.delenv("LITELLM_URL")
    assert model.resolved_conversation(runtime) == "upstream"


def test_conversation_set_in_the_catalog_wins_over_the_default() -> None:
    proper, local = RuntimeConfig(kind="openai"), RuntimeConfig(kind="openai", base_url="http://h")
    model = ModelConfig(id="m", runtime="r", api="responses", conversation="gateway")
    assert model.resolved_conversation(proper) == "gateway"
    model = ModelConfig(id="m", runtime="r", api="responses", conversation="upstream")
    assert model.resolved_conversation(local) == "upstream"


def test_upstream_conversation_without_the_responses_api_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match=r"'gpt-4o'.*conversation: upstream.*api: responses"):
        settings(
            runtimes={"openai": RuntimeConfig(kind="openai")},
            models=[ModelConfig(id="gpt-4o", runtime="openai", conversation="upstream")],
        )


def test_the_catalog_refuses_it_too_for_settings_built_without_validation() -> None:
    config = settings().model_copy(
        update={
            "runtimes": {"openai": RuntimeConfig(kind="openai")},
            "models": [ModelConfig(id="gpt-4o", runtime="openai", conversation="upstream")],
        }
    )
    with pytest.raises(ValueError, match=r"'gpt-4o'.*conversation: upstream.*api: responses"):
        Catalog(config)


def test_unknown_conversation_value_is_rejected_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "runtimes: {openai: {kind: openai}}\n"
        "models: [{id: m, runtime: openai, api: responses, conversation: server}]\n"
    )
    with pytest.raises(ValueError, match=r"`models\[0\]\.conversation`: Input should be"):
        load_settings(config)


def test_unsupported_params_is_error_unless_the_operator_writes_drop() -> None:
    assert RuntimeConfig(kind="openai").unsupported_params == "error"
    assert RuntimeConfig(kind="openai", unsupported_params="drop").unsupported_params == "drop"
    with pytest.raises(ValidationError, match="unsupported_params"):
        RuntimeConfig(kind="openai", unsupported_params="ignore")  # type: ignore[arg-type]


def test_a_misspelt_runtime_key_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(ValidationError, match="unsupported_param"):
        RuntimeConfig(kind="openai", unsupported_param="drop")  # type: ignore[call-arg]


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
