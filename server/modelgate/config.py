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

import os
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from typing_extensions import override

from modelgate.config_errors import ConfigError, ReferenceProblems, explain, source_line
from modelgate.config_sources import StrictEnv, StrictYaml, config_path
from modelgate.hooks.base import HookConfig
from modelgate.redactor import MIN_SECRET_CHARS, header_secrets, looks_like_credential, url_secrets
from modelgate.state.guard import Bounds

CapabilityName = Literal[
    "chat",
    "completion",
    "embedding",
    "streaming",
    "tools",
    "vision",
    "json_schema",
    "reasoning",
    "prompt_caching",
]

_DEFAULT_CAPABILITIES: list[CapabilityName] = ["chat", "streaming"]

ECHO_RUNTIME = ECHO_MODEL = "echo"
"""The built-in runtime and model that `echo: true` adds (names the catalog may use)."""

CHAT_COMPLETIONS_KINDS = ("openai", "openai_compatible", "lmstudio")
"""Runtime kinds served by the OpenAI backend (Chat Completions and the Responses API)."""
OPENAI_API_HOST = "api.openai.com"
"""OpenAI's own API host: where `previous_response_id` is known to be kept upstream."""
UPSTREAM_MAX_LINE_BYTES = 4 * 1024 * 1024
"""Default of `limits.upstream_max_line_bytes` (also the cap of calls made outside an RPC)."""


PORT_RANGE = (1, 65535)
Port = Annotated[int, Field(ge=PORT_RANGE[0], le=PORT_RANGE[1])]
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
]


def _preset_names(schema: dict[str, Any]) -> None:
    """The schema lists the preset names (read from the table when the schema is built)."""
    from modelgate.providers.openai.presets import PRESETS

    schema["anyOf"] = [{"enum": list(PRESETS), "type": "string"}, {"type": "null"}]


class Section(BaseModel):
    """A part of the settings: a misspelt key fails with the closest known one, never vanishes."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class PricingConfig(Section):
    """US dollars per million tokens."""

    input: float = 0.0
    """Per million input tokens not read from or written to the prompt cache."""
    output: float = 0.0
    """Per million output tokens other than reasoning ones."""
    cached_input: float = 0.0
    """Per million input tokens read from the prompt cache (0: same as `input`)."""
    cache_write: float = 0.0
    """Per million input tokens written to the prompt cache (0: same as `input`)."""
    reasoning: float = 0.0
    """Per million reasoning tokens (0: same as `output`)."""


class RuntimeConfig(Section):
    """One place models run: an API account, an Ollama host, an OpenAI-compatible server."""

    kind: str = Field(
        description="backend kind: echo, openai, anthropic, gemini, ollama, lmstudio, ..."
    )
    base_url: str | None = None
    base_url_env: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    api: Literal["chat_completions", "responses"] = "chat_completions"
    discover: bool = False
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    """Extra headers on every upstream request. Values of headers whose names look like
    credentials (authorization, api-key, x-api-key, *token*, *secret*, *key*, ...) are
    secrets: redacted everywhere, and refused when shorter than 8 characters."""
    secret_headers: list[str] = Field(default_factory=list)
    """Further header names (of `headers`) whose values are secrets."""
    options: dict[str, Any] = Field(default_factory=dict)
    reasoning_input: Literal["strip", "reasoning_content", "reasoning"] = "strip"
    """Chat Completions runtimes only (kinds openai, openai_compatible, lmstudio): where the
    plain reasoning parts (format UNSPECIFIED) of assistant messages go back to the server.
    `strip` (default): not sent, and named in the answer's `metadata["dropped_reasoning"]`
    (deepseek-reasoner refuses them in input); `reasoning_content`: DeepSeek thinking mode
    (required after tool calls), vLLM, llama.cpp; `reasoning`: OpenRouter, newer vLLM."""
    unsupported_params: Literal["error", "drop"] = "error"
    """A GenerationConfig field this runtime's API cannot take: refuse the request with
    INVALID_ARGUMENT naming it (`error`), or send without it and say so in the answer's
    `metadata["dropped_params"]` and a WARNING log line (`drop`)."""
    preset: str | None = Field(default=None, json_schema_extra=_preset_names)
    """`kind: openai_compatible` only: a provider of the preset table (README "Providers")
    that fills its base URL, key variable, headers and option defaults and declares its
    quirks. Keys written here win: `base_url(_env)` and `api_key(_env)` replace the
    preset's, `headers` and `options` are merged over its, name by name."""

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, name: str | None) -> str | None:
        from modelgate.providers.openai.presets import PRESETS, unknown_preset

        if name is not None and name not in PRESETS:
            raise ValueError(unknown_preset(name))
        return name

    @model_validator(mode="after")
    def _fill_from_preset(self) -> Self:
        """The preset's values under every key the operator did not write."""
        if self.preset is None:
            return self
        if self.kind != "openai_compatible":
            raise ValueError(f"`preset` needs `kind: openai_compatible` (kind is {self.kind!r})")
        from modelgate.providers.openai.presets import PRESETS

        preset = PRESETS[self.preset]
        written = self.model_fields_set
        if not written & {"base_url", "base_url_env"}:
            if preset.base_url is None:
                raise ValueError(f"preset {preset.name!r} needs `base_url` ({preset.doc})")
            self.base_url = preset.base_url
        if not written & {"api_key", "api_key_env"}:
            self.api_key_env = preset.api_key_env
        mine = {name.lower() for name in self.headers}
        ours = {k: v for k, v in preset.headers.items() if k.lower() not in mine}
        self.headers = {**ours, **self.headers}
        self.options = {**preset.options, **self.options}
        if "reasoning_input" not in written:
            self.reasoning_input = preset.reasoning_input
        return self

    @model_validator(mode="after")
    def _reasoning_input_needs_chat_completions(self) -> Self:
        if self.reasoning_input != "strip" and self.kind not in CHAT_COMPLETIONS_KINDS:
            raise ValueError(
                f"reasoning_input applies to kinds {', '.join(CHAT_COMPLETIONS_KINDS)} only "
                f"(this runtime is kind {self.kind!r})"
            )
        return self

    def resolved_base_url(self) -> str | None:
        """The base URL, the env var named by `base_url_env` winning over the file."""
        if self.base_url_env and os.environ.get(self.base_url_env):
            return os.environ[self.base_url_env]
        return self.base_url

    def resolved_api_key(self) -> str | None:
        """The key from the env var named by `api_key_env`, else the file's `api_key`."""
        if self.api_key_env and os.environ.get(self.api_key_env):
            return os.environ[self.api_key_env]
        return self.api_key

    def missing_key_reason(self) -> str:
        """Why this runtime cannot call its upstream yet ("" when nothing is missing)."""
        if self.api_key_env and not self.resolved_api_key():
            return f"{self.api_key_env} is not set"
        return ""

    def is_openai_proper(self) -> bool:
        """OpenAI itself: `kind: openai` with no base URL (its default) or one on api.openai.com.

        Only there is server-side Responses state known to exist; llama.cpp, vLLM,
        LiteLLM and most compatibles answer 400 to `previous_response_id`.
        """
        if self.kind != "openai":
            return False
        url = self.resolved_base_url()
        return not url or urlsplit(url).hostname == OPENAI_API_HOST

    def default_conversation(self, api: str) -> Literal["upstream", "gateway"]:
        """Where histories live when a model does not say: upstream only on OpenAI proper."""
        return "upstream" if api == "responses" and self.is_openai_proper() else "gateway"

    def held_secrets(self, where: str) -> list[tuple[str, str]]:
        """(setting, secret) pairs of this runtime: keys, credential headers, URL credentials."""
        found: list[tuple[str, str]] = []
        if self.api_key:
            found.append((f"{where}.api_key", self.api_key))
        if self.api_key_env and os.environ.get(self.api_key_env):
            found.append(
                (f"{where}.api_key_env ({self.api_key_env})", os.environ[self.api_key_env])
            )
        urls = [(f"{where}.base_url", self.base_url)]
        if self.base_url_env:
            urls.append(
                (f"{where}.base_url_env ({self.base_url_env})", os.environ.get(self.base_url_env))
            )
        for setting, url in urls:
            found += [(f"{setting} ({part})", value) for part, value in url_secrets(url or "")]
        marked = {name.lower() for name in self.secret_headers}
        unknown = marked - {name.lower() for name in self.headers}
        if unknown:
            raise ValueError(
                f"{where}.secret_headers names headers not in headers: {sorted(unknown)}"
            )
        for name, value in self.headers.items():
            if name.lower() in marked or looks_like_credential(name):
                found += [(f"{where}.headers.{name}", part) for part in header_secrets(value)]
        return found


class ModelConfig(Section):
    """One catalog entry: a model made by `provider`, served by `runtime`."""

    id: str
    runtime: str
    upstream_name: str | None = None
    label: str = ""
    provider: str = ""
    capabilities: list[CapabilityName] = Field(default_factory=_DEFAULT_CAPABILITIES.copy)
    context_window: int = 0
    max_output_tokens: int = 0
    embedding_dimension: int = 0
    pricing: PricingConfig = Field(default_factory=PricingConfig)
    defaults: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)
    api: Literal["chat_completions", "responses"] | None = None
    conversation: Literal["upstream", "gateway"] | None = None
    """Who keeps the history `previous_response_id` names: the upstream (Responses API
    only; the id is passed through) or the gateway's store (history replayed). Unset:
    `upstream` for `api: responses` on OpenAI proper (`RuntimeConfig.is_openai_proper`),
    else `gateway`."""
    options: dict[str, Any] = Field(default_factory=dict)
    fallbacks: list[str] = Field(default_factory=list)
    cache: bool = False
    """Cache this model's unary answers by default (callers can still bypass or refresh)."""
    auto_cache_breakpoints: bool = False
    """Place prompt-cache breakpoints after the tools and the system prompt of long prompts
    when the caller placed none (the rule: docs/reasoning.md). Needs capability
    `prompt_caching` and an API that takes breakpoints (Anthropic)."""

    def resolved_conversation(self, runtime: RuntimeConfig) -> Literal["upstream", "gateway"]:
        """`conversation`, or its default on `runtime`; `upstream` needs the Responses API."""
        api = self.api or runtime.api
        if self.conversation == "upstream" and api != "responses":
            raise ValueError(
                f"model {self.id!r}: `conversation: upstream` needs `api: responses` "
                "(Chat Completions keeps no conversations upstream)"
            )
        return self.conversation or runtime.default_conversation(api)


class DeploymentConfig(Section):
    """One target of an alias."""

    model: str
    weight: float = 1.0


class AliasConfig(Section):
    """A public name spread over deployments, with fallbacks tried after them."""

    deployments: list[DeploymentConfig] = Field(min_length=1)
    strategy: Literal["weighted", "least_inflight", "lowest_latency"] = "weighted"
    fallbacks: list[str] = Field(default_factory=list)


class LimitsConfig(Section):
    """Caps that keep one caller, or one upstream, from exhausting the gateway (the table in
    docs/operations.md "Limits" lists them all)."""

    max_messages: int = 1024
    max_message_bytes: int = 4 * 1024 * 1024
    max_receive_message_bytes: int = 16 * 1024 * 1024
    max_send_message_bytes: int = 64 * 1024 * 1024
    max_embed_inputs: int = 2048
    max_stop_sequences: int = 16
    max_tools: int = 128
    max_metadata_entries: int = 16
    max_output_tokens: int = 1_000_000
    stream_max_seconds: float = 600.0
    allow_private_image_urls: bool = False
    """Let image URLs name internal hosts, in requests and in the gateway's own fetches for
    local runtimes (off: only public addresses, see `providers.addresses`)."""
    upstream_max_line_bytes: int = Field(default=UPSTREAM_MAX_LINE_BYTES, ge=1024)
    """Longest SSE/NDJSON line (and SSE event) taken from an upstream: a stream holds at most
    about twice this in memory; a longer one ends the call UPSTREAM_INVALID_RESPONSE."""


class RoutingConfig(Section):
    """The one retry loop (SDK retries are off) and the per-deployment circuit breakers."""

    max_attempts_per_deployment: int = Field(default=3, ge=1, le=10)
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_initial_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=8.0, gt=0)
    breaker_window_seconds: float = Field(default=30.0, gt=0)
    """The sliding window over which a deployment's calls are counted."""
    breaker_min_requests: int = Field(default=10, ge=1)
    """Calls in the window before the breaker may open: a few failures never open it."""
    breaker_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    """Share of the window's calls that must have failed (a call counts once, however
    often it was retried; 4xx and answers that break the provider's API never count)."""
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    """How long an open breaker turns calls away before one probe may try again."""
    latency_ewma_alpha: float = Field(default=0.2, gt=0, le=1)


class TelemetryConfig(Section):
    """Traces (OpenTelemetry, standard OTEL_* env vars for the exporter) and metrics."""

    tracing: Literal["off", "otlp", "console"] = "off"
    """`off` unless set, or unless OTEL_EXPORTER_OTLP_ENDPOINT is set (then `otlp`)."""
    metrics_port: int = Field(default=0, ge=0, le=PORT_RANGE[1])
    """Prometheus scrape port (0: no endpoint; metrics are still counted when enabled)."""
    metrics_host: str | None = None
    """Address the scrape endpoint binds (unset: the gRPC server's host, so a gateway on
    127.0.0.1 never exposes its metrics on every interface)."""
    metrics: bool = False
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of root traces recorded; a caller's sampled trace is always continued
    (parent-based). OTEL_TRACES_SAMPLER, when set, wins."""
    capture_content: bool = False
    """Record prompts and completions on spans (GenAI conventions: opt-in only)."""

    def scrape_host(self, server_host: str) -> str:
        """Where the metrics endpoint listens: `metrics_host`, else the server's own host."""
        return self.metrics_host or server_host


class ApiKeyConfig(Section):
    """One caller key, stored as its SHA-256 hex digest (never the key itself)."""

    id: str
    sha256: str = Field(repr=False)
    models: list[str] = Field(default_factory=list)
    """Models and aliases the key may use (empty: all)."""
    requests_per_minute: float = 0
    """Token-bucket request rate (0: unlimited)."""
    tokens_per_minute: float = 0
    """Token-bucket budget of input + output tokens (0: unlimited)."""


class AuthConfig(Section):
    """Optional API-key auth: `authorization: Bearer <key>` metadata."""

    enabled: bool = False
    keys: list[ApiKeyConfig] = Field(default_factory=list)


class StateConfig(Section):
    """Shared state: conversations, response cache, usage totals (memory, SQLite or Redis)."""

    url: str | None = None
    """None/"memory://" (default), "sqlite:///path.db" or "redis://host:port/db"."""
    conversation_ttl_seconds: float = 24 * 3600.0
    max_history: int = 256
    cache_entries: int = 10_000
    cache_ttl_seconds: float = 3600.0
    memory_max_bytes: int = 256 * 1024 * 1024
    """Memory backend only: total bytes of stored conversations (oldest evicted first)."""
    operation_timeout_seconds: float = Field(default=Bounds.operation_timeout, gt=0, le=60)
    """SQLite and Redis: the longest one state operation may take (retries, reconnects and
    SQLite's wait on a locked file included); past it the call degrades as if the backend
    were down."""
    connect_timeout_seconds: float = Field(default=Bounds.connect_timeout, gt=0, le=60)
    """SQLite and Redis: opening the backend at start-up (Redis connect and PING); longer
    and the gateway exits with a one-line error."""
    breaker_failure_threshold: int = Field(default=Bounds.breaker_threshold, ge=1)
    """Consecutive failed or timed-out state operations that make the gateway skip the
    backend (calls degrade at once) for `breaker_cooldown_seconds`, then probe it."""
    breaker_cooldown_seconds: float = Field(default=Bounds.breaker_cooldown, gt=0)
    limiter_on_failure: Literal["open", "closed"] = "open"
    """Shared request-rate limit when the backend fails: `open` admits the call (WARNING
    log), `closed` refuses it with UNAVAILABLE."""

    def bounds(self) -> Bounds:
        """The timeouts and breaker settings, as the state layer takes them."""
        return Bounds(
            self.operation_timeout_seconds,
            self.connect_timeout_seconds,
            self.breaker_failure_threshold,
            self.breaker_cooldown_seconds,
        )


class ServerConfig(Section):
    """Listening socket and transport options."""

    host: str = Field(default="127.0.0.1", min_length=1)
    port: Port = 50051
    grace_seconds: float = 20.0
    reload_on_change: bool = False
    """Reload the configuration when the config file changes (checked every 2 s), as on
    SIGHUP: for a Kubernetes ConfigMap mounted as a volume."""
    keepalive_time_ms: int = 60_000
    keepalive_timeout_ms: int = 20_000
    min_ping_interval_ms: int = 10_000
    max_connection_age_ms: int = 300_000
    """Clients reconnect (GOAWAY) after this long, so new replicas get traffic (0: never)."""
    max_connection_age_grace_ms: int = 30_000
    tls_cert_file: Path | None = None
    """PEM certificate chain; with `tls_key_file` the server speaks TLS only."""
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    """PEM CA bundle: when set, clients must present a certificate it signed (mutual TLS)."""


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
    auth: AuthConfig = Field(default_factory=AuthConfig)
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
