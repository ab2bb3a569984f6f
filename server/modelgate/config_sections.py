"""The operating sections of the settings: server, limits, routing, telemetry, auth, state
and hooks (the catalog's runtimes, models and aliases are in config_catalog.py).

Every section is strict (`Section`): a misspelt key fails naming the closest known one.
Imported through `modelgate.config`, which assembles them into `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from modelgate.state.guard import Bounds

UPSTREAM_MAX_LINE_BYTES = 4 * 1024 * 1024
"""Default of `limits.upstream_max_line_bytes` (also the cap of calls made outside an RPC)."""


PORT_RANGE = (1, 65535)
Port = Annotated[int, Field(ge=PORT_RANGE[0], le=PORT_RANGE[1])]


class Section(BaseModel):
    """A part of the settings: a misspelt key fails with the closest known one, never vanishes."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


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
    metrics_otlp: bool = False
    """Also push the metrics over OTLP every `metrics_otlp_interval_seconds` (endpoint,
    protocol and headers from the standard OTEL_EXPORTER_OTLP_[METRICS_]* variables)."""
    metrics_otlp_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of root traces recorded; a caller's sampled trace is always continued
    (parent-based). OTEL_TRACES_SAMPLER, when set, wins."""
    capture_content: bool = False
    """Record prompts and completions on spans (GenAI conventions: opt-in only)."""
    capture_content_max_chars: int = Field(default=16384, ge=1, le=1_000_000)
    """With `capture_content`: the characters of content each content attribute keeps
    (input messages, output messages, system instructions); longer content is cut."""

    def capture_chars(self) -> int:
        """Characters of content a span attribute keeps; 0 when capture is off."""
        return self.capture_content_max_chars if self.capture_content else 0

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
    event_loop: Literal["asyncio", "uvloop"] = "asyncio"
    """The asyncio event loop implementation the gateway runs on (fixed until a restart);
    docs/operations.md "Scaling" gives the bench's numbers for each."""
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


class HookConfig(Section):
    """One configured hook."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)
