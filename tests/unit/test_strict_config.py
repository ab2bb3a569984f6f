"""Strict configuration: what an operator wrote is used or refused, one line per problem.

Every problem names its place (`runtimes.openai.base_ulr`, `MODELGATE_SEVER__PORT`,
`file:line:column`) and, where one is close, what was meant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelgate.config import ModelConfig, load_settings
from modelgate.config_errors import ConfigError
from modelgate.config_sources import READ_BY_OTHER_PROGRAMS
from modelgate.hooks.base import register_hook
from modelgate.providers.echo_factory import create as create_echo
from modelgate.providers.registry import register_provider
from tests.gateways import settings

Load = Callable[..., list[str]]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Load]:
    """Problems of loading a YAML text with env vars and a .env, in an empty directory."""
    import os

    for name in [n for n in os.environ if n.upper().startswith("MODELGATE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    earlier: list[str] = []

    def problems(text: str = "", dotenv: str | None = None, **env: str) -> list[str]:
        for name in earlier:
            monkeypatch.delenv(name)
        earlier[:] = env
        config = tmp_path / "modelgate.yaml"
        config.write_text(text)
        if dotenv is not None:
            (tmp_path / ".env").write_text(dotenv)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            load_settings(config)
        except ConfigError as exc:
            return exc.lines
        return []

    yield problems


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("sever: {port: 1}", "`sever`: unknown key; did you mean `server`?"),
        ("modles: []", "`modles`: unknown key; did you mean `models`?"),
        (
            "runtimes: {openai: {kind: openai, api_key_evn: OPENAI_API_KEY}}",
            "`runtimes.openai.api_key_evn`: unknown key; did you mean `api_key_env`?",
        ),
        (
            "runtimes: {openai: {kind: openai, base_ulr: 'http://h'}}",
            "`runtimes.openai.base_ulr`: unknown key; did you mean `base_url`?",
        ),
        (
            "models: [{id: m, runtime: echo, capabilties: [chat]}]",
            "`models[0].capabilties`: unknown key; did you mean `capabilities`?",
        ),
        (
            "models: [{id: m, runtime: echo, pricing: {inptu: 1}}]",
            "`models[0].pricing.inptu`: unknown key; did you mean `input`?",
        ),
        (
            "aliases: {fast: {deployments: [{model: echo, wieght: 2}]}}",
            "`aliases.fast.deployments[0].wieght`: unknown key; did you mean `weight`?",
        ),
        (
            "hooks: [{name: redact, option: {}}]",
            "`hooks[0].option`: unknown key; did you mean `options`?",
        ),
        (
            "telemetry: {metrics_hots: 0.0.0.0}",
            "`telemetry.metrics_hots`: unknown key; did you mean `metrics_host`?",
        ),
    ],
)
def test_an_unknown_key_anywhere_names_its_path_and_the_closest_key(
    load: Load, text: str, line: str
) -> None:
    assert load(text) == [line]


def test_an_unknown_key_with_nothing_close_lists_the_keys_known_there(load: Load) -> None:
    [line] = load("state: {redis: 'redis://r:6379/0'}")
    assert line.startswith("`state.redis`: unknown key; known here: url, conversation_ttl_seconds")


def test_every_problem_is_one_line_without_pydantic_boilerplate(load: Load) -> None:
    lines = load("server: {port: http, hots: h}\nrouting: {max_attempts: 0}\n")
    assert sorted(lines) == [
        "`routing.max_attempts`: Input should be greater than or equal to 1 (got 0)",
        "`server.hots`: unknown key; did you mean `host`?",
        "`server.port`: Input should be a valid integer, unable to parse string as an integer "
        "(got 'http')",
    ]
    assert all("\n" not in line and "pydantic" not in line for line in lines)


def test_secrets_are_never_echoed_in_a_problem(load: Load) -> None:
    [line] = load("auth: {enabled: true, keys: [{id: a, sha256: 12345}]}")
    assert line == "`auth.keys[0].sha256`: Input should be a valid string"


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "MODELGATE_SEVER__PORT",
            "environment variable `MODELGATE_SEVER__PORT`: unknown setting; "
            "did you mean `MODELGATE_SERVER__PORT`?",
        ),
        (
            "MODELGATE_SERVER_PORT",
            "environment variable `MODELGATE_SERVER_PORT`: unknown setting; "
            "did you mean `MODELGATE_SERVER__PORT`?",
        ),
        (
            "MODELGATE_SERVER__PROT",
            "environment variable `MODELGATE_SERVER__PROT`: unknown setting; "
            "did you mean `MODELGATE_SERVER__PORT`?",
        ),
        (
            "MODELGATE_STATE__REDIS_URL",
            "environment variable `MODELGATE_STATE__REDIS_URL`: unknown setting",
        ),
        (
            "MODELGATE_RUNTIMES__OPENAI__API_KEY_EVN",
            "environment variable `MODELGATE_RUNTIMES__OPENAI__API_KEY_EVN`: unknown setting; "
            "did you mean `MODELGATE_RUNTIMES__OPENAI__API_KEY_ENV`?",
        ),
        (
            "MODELGATE_MODELS__0__ID",
            "environment variable `MODELGATE_MODELS__0__ID`: `models` is a list: "
            "set it whole (JSON) or in the config file",
        ),
        (
            "MODELGATE_ECHO__ON",
            "environment variable `MODELGATE_ECHO__ON`: `echo` is a value, not a section",
        ),
    ],
)
def test_an_unknown_modelgate_variable_is_an_error_naming_the_setting_meant(
    load: Load, name: str, line: str
) -> None:
    assert load(**{name: "1"}) == [line]


def test_kubernetes_service_links_are_named_with_the_fix(load: Load) -> None:
    [line] = load(MODELGATE_PORT="tcp://10.0.0.1:50051")
    hint = "(if Kubernetes set it for a Service: `enableServiceLinks: false` in the pod spec"
    assert hint in load(MODELGATE_SERVICE_HOST="10.0.0.1")[0]
    assert hint not in load(MODELGATE_SERVER_PORT="6000")[0], "a typo, not a service link"
    assert line.startswith("environment variable `MODELGATE_PORT`: unknown setting")
    assert line.endswith(
        "(if Kubernetes set it for a Service: `enableServiceLinks: false` in "
        "the pod spec stops that)"
    )


def test_variables_other_modelgate_programs_read_are_left_alone(load: Load) -> None:
    assert load(**dict.fromkeys(READ_BY_OTHER_PROGRAMS, "x")) == []
    assert load(MODELGATE_RUNTIMES__OPENAI__HEADERS__X_TEAM="a") != [], "kind is missing"
    assert (
        load(
            MODELGATE_RUNTIMES__OPENAI__KIND="openai",
            MODELGATE_RUNTIMES__OPENAI__OPTIONS__MAX_CONNECTIONS="1",
        )
        == []
    )


def test_dotenv_is_as_strict_as_the_environment_and_ignores_other_programs_names(
    load: Load,
) -> None:
    dotenv = "OPENAI_API_KEY=sk-x\nMODELGATE_LOG_LEVL=DEBUG\n"
    assert load(dotenv=dotenv) == [
        ".env variable `MODELGATE_LOG_LEVL`: unknown setting; did you mean `MODELGATE_LOG_LEVEL`?"
    ]


def test_dotenv_can_name_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELGATE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gateway.yaml").write_text("server: {port: 6100}\n")
    (tmp_path / ".env").write_text("MODELGATE_CONFIG=gateway.yaml\n")
    assert load_settings().server.port == 6100
    (tmp_path / ".env").write_text("MODELGATE_CONFIG=missing.yaml\n")
    with pytest.raises(ConfigError, match=r"^config file not found: missing\.yaml$"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("server:\n  port: 1\n bad\n", "modelgate.yaml:3:2: invalid YAML: expected <block end>"),
        (
            "echo: true\necho: false\n",
            "modelgate.yaml:2:1: invalid YAML: duplicate key 'echo' (first at line 1)",
        ),
        ("- server\n", "modelgate.yaml: expected a mapping of settings, got a list"),
        ("config: other.yaml\n", "modelgate.yaml: `config`: a config file cannot name another"),
    ],
)
def test_a_broken_file_is_one_line_with_file_line_and_column(
    load: Load, text: str, line: str
) -> None:
    [problem] = load(text)
    assert Path(problem.split(":")[0]).name == "modelgate.yaml"
    assert problem.split("/")[-1].startswith(line)


CATALOG = """
runtimes:
  openai: {kind: openai}
  ollama: {kind: ollama, discover: true}
models:
  - {id: gpt-4o, runtime: openai, fallbacks: [gpt-4o-mini, "llama3.2:latest@ollama"]}
  - {id: gpt-4o-mini, runtime: openai}
"""


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (
            "aliases: {smart: {deployments: [{model: gtp-4o}]}}",
            "`aliases.smart.deployments[0].model`: unknown model 'gtp-4o'; did you mean "
            "'gpt-4o'? (known: echo, gpt-4o, gpt-4o-mini) (a discovered model is named "
            "`<name>@<runtime>`, e.g. `gtp-4o@ollama`)",
        ),
        (
            "aliases: {smart: {deployments: [{model: gpt-4o}], fallbacks: [claude]}}",
            "`aliases.smart.fallbacks[0]`: unknown model 'claude' (known: echo, gpt-4o, "
            "gpt-4o-mini) (a discovered model is named `<name>@<runtime>`, e.g. `claude@ollama`)",
        ),
        (
            "aliases: {smart: {deployments: [{model: 'x@openai'}]}}",
            "`aliases.smart.deployments[0].model`: model 'x@openai' is not configured and "
            "runtime 'openai' does not discover models (`discover: true`)",
        ),
        (
            "aliases: {gpt-4o: {deployments: [{model: gpt-4o-mini}]}}",
            "`aliases.gpt-4o`: an alias cannot have a model's id (it would hide it)",
        ),
        (
            "aliases: {smart: {deployments: []}}",
            "`aliases.smart.deployments`: List should have at least 1 item after validation, not 0",
        ),
    ],
)
def test_aliases_must_name_models_the_catalog_has(load: Load, extra: str, line: str) -> None:
    assert load(CATALOG + extra) == [line]


def test_the_catalog_as_written_loads(load: Load) -> None:
    assert load(CATALOG) == []


def test_models_must_name_known_runtimes_kinds_and_fallbacks(load: Load) -> None:
    text = """
runtimes:
  openai: {kind: opnai}
models:
  - {id: a, runtime: openia}
  - {id: b, runtime: openai, fallbacks: [c]}
  - {id: a, runtime: openai}
"""
    kind, *rest = load(text)
    assert kind.startswith(
        "`runtimes.openai.kind`: unknown provider kind 'opnai'; did you mean 'openai'? (known: "
    )
    listed = kind.removesuffix(")").split("(known: ")[1].split(", ")
    assert {"anthropic", "echo", "lmstudio", "ollama", "openai", "openai_compatible"} <= set(
        listed
    ), "every built-in kind (and any registered plugin) is listed"
    assert rest == [
        "`models[0].runtime`: unknown runtime 'openia'; did you mean 'openai'? "
        "(known: echo, openai)",
        "`models[1].fallbacks[0]`: unknown model 'c' (known: a, b, echo)",
        "`models[2].id`: 'a' is also models[0]",
    ]


def test_plugin_kinds_and_hooks_count_as_known(load: Load) -> None:
    register_provider("strict-config-test", create_echo)
    register_hook("strict-config-hook", lambda tag="": object())
    text = (
        "runtimes: {mine: {kind: strict-config-test}}\n"
        "hooks: [{name: strict-config-hook, options: {tag: x}}]\n"
    )
    assert load(text) == []
    [line] = load("runtimes: {mine: {kind: strict-config-tset}}")
    assert "did you mean 'strict-config-test'?" in line
    assert "strict-config-test" in line.split("(known: ")[1], "registered kinds are listed"


def test_hooks_must_exist_and_take_the_options_given(load: Load) -> None:
    [line] = load("hooks: [{name: redcat}]")
    assert line.startswith("`hooks[0].name`: unknown hook 'redcat'; did you mean 'redact'?")
    assert "redact" in line.split("(known: ")[1]
    assert load("hooks: [{name: redact, options: {answer: true}}]") == [
        "`hooks[0].options.answer`: unknown option; did you mean `answers`?"
    ]


def test_auth_tls_and_state_settings_that_would_be_ignored_are_refused(
    load: Load, tmp_path: Path
) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("-")
    assert load(
        f"server: {{tls_cert_file: {cert}}}\n"
        "auth: {keys: [{id: a, sha256: x, models: [gpt-5]}]}\n"
        "state: {url: 'postgres://db/modelgate'}\n"
    ) == [
        "`auth.enabled`: is false, so `auth.keys` would be ignored: enable auth or drop them",
        "`auth.keys[0].models[0]`: unknown model 'gpt-5' (known: echo)",
        "`server.tls_cert_file`: TLS needs `server.tls_key_file` too (else: plaintext)",
        "`state.url`: unknown state URL scheme 'postgres': use memory://, sqlite:///path or "
        "redis://host:port/db",
    ]


def test_log_level_is_one_of_the_levels_in_any_case(load: Load) -> None:
    assert load("log_level: debug") == []
    [line] = load("log_level: INF0")
    assert line.startswith("`log_level`: Input should be 'DEBUG', 'INFO', 'WARNING'")


def test_settings_built_in_code_are_as_strict_as_loaded_ones() -> None:
    with pytest.raises(ValueError, match="unknown runtime 'nope'"):
        settings(models=[ModelConfig(id="m", runtime="nope")])
