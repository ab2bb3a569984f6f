"""Gateway settings and the model catalog file, parsed with pydantic-settings.

Precedence, highest first: environment variables (`MODELGATE_*`, nested with
`__`), a `.env` file in the working directory, the YAML config file named by
`MODELGATE_CONFIG` / `--config`, then the defaults below. The defaults alone
give a working gateway: the built-in echo runtime, memory state, no auth.

Strict, because an ignored key is a lost intent: unknown keys and `MODELGATE_*`
names are refused (config_sources.py), and so are names that point nowhere
(config_refs.py); `load_settings` turns every problem into one line (config_errors.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from typing_extensions import override

from modelgate.config_catalog import (
    CHAT_COMPLETIONS_KINDS,
    ECHO_MODEL,
    ECHO_RUNTIME,
    OPENAI_API_HOST,
    AliasConfig,
    CapabilityName,
    DeploymentConfig,
    ImagePriceConfig,
    ModelConfig,
    PricingConfig,
    RuntimeConfig,
)
from modelgate.config_errors import ConfigError, ReferenceProblems, explain, source_line
from modelgate.config_prompts import PromptConfig, PromptMessageConfig, Prompts
from modelgate.config_sections import (
    PORT_RANGE,
    UPSTREAM_MAX_ANSWER_BYTES,
    UPSTREAM_MAX_LINE_BYTES,
    AccessLogConfig,
    AdminConfig,
    AdminKeyConfig,
    ApiKeyConfig,
    AuthConfig,
    BudgetConfig,
    HookConfig,
    LimitsConfig,
    Port,
    RoutingConfig,
    Section,
    ServerConfig,
    StateConfig,
    TelemetryConfig,
)
from modelgate.config_sources import StrictEnv, StrictYaml, config_path
from modelgate.redactor import MIN_SECRET_CHARS, url_secrets

__all__ = [
    "CHAT_COMPLETIONS_KINDS",
    "ECHO_MODEL",
    "ECHO_RUNTIME",
    "OPENAI_API_HOST",
    "PORT_RANGE",
    "UPSTREAM_MAX_ANSWER_BYTES",
    "UPSTREAM_MAX_LINE_BYTES",
    "AccessLogConfig",
    "AdminConfig",
    "AdminKeyConfig",
    "AliasConfig",
    "ApiKeyConfig",
    "AuthConfig",
    "BudgetConfig",
    "CapabilityName",
    "ConfigError",
    "DeploymentConfig",
    "HookConfig",
    "ImagePriceConfig",
    "LimitsConfig",
    "LogLevel",
    "ModelConfig",
    "Port",
    "PricingConfig",
    "PromptConfig",
    "PromptMessageConfig",
    "RoutingConfig",
    "RuntimeConfig",
    "Section",
    "ServerConfig",
    "Settings",
    "StateConfig",
    "TelemetryConfig",
    "load_settings",
]

LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
]


class Settings(BaseSettings):
    """Everything the gateway reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="MODELGATE_",
        env_nested_delimiter="__",
        env_file=".env",
        dotenv_filtering="only_existing",  # .env's other variables are not ours to refuse
        extra="forbid",
        use_attribute_docstrings=True,
        hide_input_in_errors=True,  # a bad runtime entry must not print its api_key
    )

    config: SkipJsonSchema[Path | None] = None
    """The YAML file read (`--config`, MODELGATE_CONFIG in the environment or .env)."""
    server: ServerConfig = Field(default_factory=ServerConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    access_log: AccessLogConfig = Field(default_factory=AccessLogConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    admin: AdminConfig = Field(default_factory=AdminConfig)
    hooks: list[HookConfig] = Field(default_factory=list)
    state: StateConfig = Field(default_factory=StateConfig)
    echo: bool = True
    """Serve the built-in `echo` model (runtime `echo`): answers without any provider."""
    echo_dimension: int = Field(default=16, ge=1)
    discovery_interval_seconds: float = Field(default=30.0, gt=0)
    """How often runtimes with `discover: true` are asked what they serve."""
    runtimes: dict[str, RuntimeConfig] = Field(default_factory=dict)
    models: list[ModelConfig] = Field(default_factory=list)
    aliases: dict[str, AliasConfig] = Field(default_factory=dict)
    prompts: Prompts = Field(default_factory=list)
    """Prompt templates callers name in `ChatRequest.prompt_template` (ListPrompts lists them)."""
    log_level: LogLevel = "INFO"
    log_format: Literal["json", "text"] = "json"

    def held_secrets(self) -> list[tuple[str, str]]:
        """(setting, secret) pairs of every secret in the settings, for the redactor; a
        ValueError naming the setting (never the value) for one too short to redact."""
        found: list[tuple[str, str]] = []
        for name, runtime in self.runtimes.items():
            found += runtime.held_secrets(f"runtimes.{name}")
        found += [
            (f"state.url ({part})", value) for part, value in url_secrets(self.state.url or "")
        ]
        for setting, secret in found:
            if len(secret) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"{setting} holds a secret shorter than {MIN_SECRET_CHARS} characters: it "
                    "cannot be told apart from ordinary text, so it could not be kept out of "
                    "logs and errors; use a longer one"
                )
        return found

    @model_validator(mode="after")
    def _secrets_are_redactable(self) -> Settings:
        self.held_secrets()
        return self

    @override
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Env over .env over the YAML file named by `config=`, MODELGATE_CONFIG or .env."""
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        for source in (env_settings, dotenv_settings):
            assert isinstance(source, EnvSettingsSource)  # DotEnvSettingsSource is one too
            sources.append(StrictEnv(source))
        path = config_path(sources)
        if path is not None:
            sources.append(StrictYaml(settings_cls, path))
        return tuple(sources)

    @model_validator(mode="after")
    def _names_resolve(self) -> Self:
        """Every name the settings use points somewhere: a dangling one fails at load."""
        from modelgate.config_refs import reference_problems  # needs the provider registry

        problems = reference_problems(self)
        if problems:
            raise ReferenceProblems(problems)
        return self


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from every source, or ConfigError with one line per problem."""
    if config is not None:
        overrides["config"] = config
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(explain(exc, Settings)) from None
    except SettingsError as exc:  # a variable holding a section is not JSON
        raise ConfigError([source_line(exc)]) from None
