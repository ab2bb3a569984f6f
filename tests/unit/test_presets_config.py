"""`preset:` in the config: what it fills, what the operator's keys override, what it refuses."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from modelgate.config import RuntimeConfig, load_settings
from modelgate.config_errors import ConfigError
from modelgate.config_presets import PRESET_DEFAULTS
from modelgate.providers.openai.presets import PRESETS
from tests.fakes.compatible_quirks import REASONING, CompatibleQuirks


def _runtime(**fields: object) -> RuntimeConfig:
    return RuntimeConfig(kind="openai_compatible", **fields)  # type: ignore[arg-type]


def test_every_quirk_row_has_its_config_row_and_every_config_row_its_quirks() -> None:
    assert list(PRESETS) == list(PRESET_DEFAULTS)
    assert all(row.config is PRESET_DEFAULTS[name] for name, row in PRESETS.items())


def test_a_preset_fills_base_url_key_variable_headers_and_options() -> None:
    runtime = _runtime(preset="openrouter")
    assert runtime.base_url == "https://openrouter.ai/api/v1"
    assert runtime.api_key_env == "OPENROUTER_API_KEY"
    assert runtime.headers == {"X-Title": "modelgate"}
    assert _runtime(preset="azure_openai", base_url="https://r.openai.azure.com").options == {
        "api_version": "2024-10-21"
    }
    assert _runtime(preset="huggingface").base_url == "https://router.huggingface.co/v1"


def test_keys_the_operator_wrote_win_over_the_preset() -> None:
    runtime = _runtime(
        preset="openrouter",
        base_url_env="MY_ROUTER_URL",
        api_key_env="MY_ROUTER_KEY",
        headers={"x-title": "billing-svc", "HTTP-Referer": "https://svc.example"},
    )
    assert runtime.base_url is None and runtime.base_url_env == "MY_ROUTER_URL"
    assert runtime.api_key_env == "MY_ROUTER_KEY"
    assert runtime.headers == {"x-title": "billing-svc", "HTTP-Referer": "https://svc.example"}
    azure = _runtime(
        preset="azure_openai",
        base_url="https://r.openai.azure.com",
        api_key="k" * 20,
        options={"api_version": "2025-04-01-preview", "max_connections": 8},
    )
    assert azure.api_key_env is None
    assert azure.options == {"api_version": "2025-04-01-preview", "max_connections": 8}


def test_a_key_in_the_presets_variable_is_a_secret_to_redact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-0123456789")
    found = _runtime(preset="deepseek").held_secrets("runtimes.ds")
    assert ("runtimes.ds.api_key_env (DEEPSEEK_API_KEY)", "sk-deepseek-0123456789") in found


@pytest.mark.parametrize(
    ("yaml_runtime", "expected"),
    [
        (
            "{kind: openai_compatible, preset: deepsek}",
            "unknown preset 'deepsek'; presets: " + ", ".join(PRESET_DEFAULTS),
        ),
        ("{kind: openai, preset: groq}", "`preset` needs `kind: openai_compatible`"),
        (
            "{kind: openai_compatible, preset: azure_openai}",
            "preset 'azure_openai' needs `base_url`",
        ),
    ],
)
def test_a_preset_the_table_cannot_serve_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_runtime: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "modelgate.yaml"
    config.write_text(f"runtimes:\n  r: {yaml_runtime}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    [line] = caught.value.lines
    assert line.startswith("`runtimes.r")
    assert expected in line


async def test_the_openai_sdk_parses_the_quirky_answers_unchanged() -> None:
    async with (
        CompatibleQuirks() as fake,
        openai.AsyncOpenAI(
            base_url=fake.url + "/deepseek/v1", api_key="k", max_retries=0
        ) as client,
    ):
        answer = await client.chat.completions.create(
            model="deepseek-reasoner", messages=[{"role": "user", "content": "hi"}]
        )
        assert answer.choices[0].message.content == "Hello!"
        assert answer.choices[0].message.model_extra == {"reasoning_content": REASONING}
        assert answer.usage is not None
        assert answer.usage.model_extra == {
            "prompt_cache_hit_tokens": 8,
            "prompt_cache_miss_tokens": 4,
        }
        stream = await client.chat.completions.create(
            model="deepseek-reasoner",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 15
