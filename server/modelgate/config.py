"""Gateway settings and the model catalog file, parsed with pydantic-settings.

Precedence, highest first: environment variables (`MODELGATE_*`, nested with
`__`), a `.env` file in the working directory, the YAML config file named by
`MODELGATE_CONFIG` / `--config`, then the defaults below. The defaults alone
give a working gateway: the built-in echo runtime, memory state, no auth.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)
from typing_extensions import override

from modelgate.hooks.base import HookConfig

CapabilityName = Literal[
    "chat", "completion", "embedding", "streaming", "tools", "vision", "json_schema"
]

_DEFAULT_CAPABILITIES: list[CapabilityName] = ["chat", "streaming"]

UPSTREAM_MAX_LINE_BYTES = 4 * 1024 * 1024
"""Default of `limits.upstream_max_line_bytes` (also the cap of calls made outside an RPC)."""


class PricingConfig(BaseModel):
    """US dollars per million tokens."""

    input: float = 0.0
    output: float = 0.0
    cached_input: float = 0.0


class RuntimeConfig(BaseModel):
    """One place models run: an API account, an Ollama host, an OpenAI-compatible server."""

    kind: str = Field(description="backend kind: echo, openai, anthropic, ollama, lmstudio, ...")
    base_url: str | None = None
    base_url_env: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    api: Literal["chat_completions", "responses"] = "chat_completions"
    discover: bool = False
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    options: dict[str, Any] = Field(default_factory=dict)

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


class ModelConfig(BaseModel):
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
    options: dict[str, Any] = Field(default_factory=dict)
    fallbacks: list[str] = Field(default_factory=list)
    cache: bool = False
    """Cache this model's unary answers by default (callers can still bypass or refresh)."""


class DeploymentConfig(BaseModel):
    """One target of an alias."""

    model: str
    weight: float = 1.0


class AliasConfig(BaseModel):
    """A public name spread over deployments, with fallbacks tried after them."""

    deployments: list[DeploymentConfig]
    strategy: Literal["weighted", "least_inflight", "lowest_latency"] = "weighted"
    fallbacks: list[str] = Field(default_factory=list)


class LimitsConfig(BaseModel):
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
    """Let image URLs name loopback, private or link-local hosts (off: SSRF guard)."""
    upstream_max_line_bytes: int = Field(default=UPSTREAM_MAX_LINE_BYTES, ge=1024)
    """Longest SSE/NDJSON line (and SSE event) taken from an upstream: a stream holds at most
    about twice this in memory; a longer one ends the call UPSTREAM_INVALID_RESPONSE."""


class RoutingConfig(BaseModel):
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


class TelemetryConfig(BaseModel):
    """Traces (OpenTelemetry, standard OTEL_* env vars for the exporter) and metrics."""

    tracing: Literal["off", "otlp", "console"] = "off"
    """`off` unless set, or unless OTEL_EXPORTER_OTLP_ENDPOINT is set (then `otlp`)."""
    metrics_port: int = 0
    """Prometheus scrape port (0: no endpoint; metrics are still counted when enabled)."""
    metrics: bool = False
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of root traces recorded; a caller's sampled trace is always continued
    (parent-based). OTEL_TRACES_SAMPLER, when set, wins."""
    capture_content: bool = False
    """Record prompts and completions on spans (GenAI conventions: opt-in only)."""


class ApiKeyConfig(BaseModel):
    """One caller key, stored as its SHA-256 hex digest (never the key itself)."""

    id: str
    sha256: str = Field(repr=False)
    models: list[str] = Field(default_factory=list)
    """Models and aliases the key may use (empty: all)."""
    requests_per_minute: float = 0
    """Token-bucket request rate (0: unlimited)."""
    tokens_per_minute: float = 0
    """Token-bucket budget of input + output tokens (0: unlimited)."""


class AuthConfig(BaseModel):
    """Optional API-key auth: `authorization: Bearer <key>` metadata."""

    enabled: bool = False
    keys: list[ApiKeyConfig] = Field(default_factory=list)


class StateConfig(BaseModel):
    """Shared state: conversations, response cache, usage totals (memory, SQLite or Redis)."""

    url: str | None = None
    """None/"memory://" (default), "sqlite:///path.db" or "redis://host:port/db"."""
    conversation_ttl_seconds: float = 24 * 3600.0
    max_history: int = 256
    cache_entries: int = 10_000
    cache_ttl_seconds: float = 3600.0
    memory_max_bytes: int = 256 * 1024 * 1024
    """Memory backend only: total bytes of stored conversations (oldest evicted first)."""


class ServerConfig(BaseModel):
    """Listening socket and transport options."""

    host: str = "127.0.0.1"
    port: int = 50051
    grace_seconds: float = 20.0
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
        extra="ignore",
    )

    config: Path | None = None
    server: ServerConfig = Field(default_factory=ServerConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    hooks: list[HookConfig] = Field(default_factory=list)
    state: StateConfig = Field(default_factory=StateConfig)
    echo: bool = True
    echo_dimension: int = 16
    discovery_interval_seconds: float = Field(default=30.0, gt=0)
    """How often runtimes with `discover: true` are asked what they serve."""
    runtimes: dict[str, RuntimeConfig] = Field(default_factory=dict)
    models: list[ModelConfig] = Field(default_factory=list)
    aliases: dict[str, AliasConfig] = Field(default_factory=dict)
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

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
        """Env over .env over the YAML file named by MODELGATE_CONFIG (or `config=`)."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        path = _config_path(init_settings)
        if path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)


def _config_path(init_settings: PydanticBaseSettingsSource) -> Path | None:
    explicit = init_settings().get("config")
    raw = explicit if explicit is not None else os.environ.get("MODELGATE_CONFIG")
    return Path(raw) if raw else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from every source; a missing config file is an error, not a silent default."""
    if config is None and os.environ.get("MODELGATE_CONFIG"):
        config = Path(os.environ["MODELGATE_CONFIG"])
    if config is not None and not config.is_file():
        raise FileNotFoundError(f"config file not found: {config}")
    if config is not None:
        overrides["config"] = config
    return Settings(**overrides)
