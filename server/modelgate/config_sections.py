"""The operating sections of the settings: server, limits, routing, telemetry, auth, state
and hooks (the catalog's runtimes, models and aliases are in config_catalog.py).

Every section is strict (`Section`): a misspelt key fails naming the closest known one.
Imported through `modelgate.config`, which assembles them into `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelgate.admin.v1 import admin_pb2
from modelgate.state.guard import Bounds

UPSTREAM_MAX_LINE_BYTES = 4 * 1024 * 1024
"""Default of `limits.upstream_max_line_bytes` (also the cap of calls made outside an RPC)."""
UPSTREAM_MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""Default of `limits.upstream_max_answer_bytes` (and the cap outside an RPC): the largest
gRPC message the gateway sends by default, so no answer that could be relayed is refused."""


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
    media_max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    """One Transcribe upload, in bytes (OpenAI's own cap is 25 MB): OUT_OF_RANGE
    `MEDIA_TOO_LARGE` as soon as the upload passes it, before it is read whole."""
    media_max_audio_seconds: float = Field(default=3600.0, gt=0)
    """Audio duration of one upload, where the gateway can know it (a WAV header)."""
    speech_max_chars: int = Field(default=4096, ge=1)
    """Characters of one Speak text (OpenAI's `input` takes at most 4096)."""
    upstream_max_line_bytes: int = Field(default=UPSTREAM_MAX_LINE_BYTES, ge=1024)
    """Longest SSE/NDJSON line (and SSE event) taken from an upstream: a stream holds at most
    about twice this in memory; a longer one ends the call UPSTREAM_INVALID_RESPONSE."""
    upstream_max_answer_bytes: int = Field(default=UPSTREAM_MAX_ANSWER_BYTES, ge=1024)
    """Largest whole (not streamed) answer body taken from an upstream: a JSON chat answer,
    embeddings, images as base64, a transcript. A larger one ends the call
    UPSTREAM_INVALID_RESPONSE before it is read whole."""


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
    metrics_key_label: bool = False
    """Label the token and cost series with `api_key_id` (series grow with keys x models:
    for small fleets; per-key spend is otherwise the usage totals' to tell)."""

    def capture_chars(self) -> int:
        """Characters of content a span attribute keeps; 0 when capture is off."""
        return self.capture_content_max_chars if self.capture_content else 0

    def scrape_host(self, server_host: str) -> str:
        """Where the metrics endpoint listens: `metrics_host`, else the server's own host."""
        return self.metrics_host or server_host


class AccessLogConfig(Section):
    """One JSON line per generating call (`modelgate.access`), on its own switch: it does not
    follow `log_level` (docs/operations.md "Access log")."""

    enabled: bool = True
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of successful calls logged; a failed or cancelled call is always logged."""
    file: Path | None = None
    """Write to this file (rotated by size) instead of stdout."""
    file_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    """With `file`: rotate when the file would pass this size."""
    file_backups: int = Field(default=5, ge=1, le=100)
    """With `file`: rotated files kept (`access.log.1` ...); older ones are deleted."""
    include_content: bool = False
    """Add the prompt and the answer (redacted like captured spans): opt-in only."""
    content_max_chars: int = Field(default=4096, ge=1, le=1_000_000)
    """With `include_content`: characters of content the input and the output each keep."""
    queue_lines: int = Field(default=10_000, ge=1)
    """Lines waiting for the writer thread; past it lines are dropped, and counted on the
    next line written (`dropped_before`): a stalled stdout never stalls calls."""


class BudgetConfig(Section):
    """A spend and/or token cap of one key per UTC day, UTC month or in total."""

    period: Literal["day", "month", "total"]
    max_cost_usd: float = Field(default=0, ge=0)
    """Most US dollars per period, priced with the catalog's `pricing` (0: no spend cap)."""
    max_tokens: int = Field(default=0, ge=0)
    """Most input + output tokens per period (0: no token cap)."""

    @model_validator(mode="after")
    def _has_a_cap(self) -> BudgetConfig:
        if self.max_cost_usd <= 0 and self.max_tokens <= 0:
            raise ValueError("a budget needs max_cost_usd or max_tokens above 0")
        return self

    def to_proto(self) -> admin_pb2.Budget:
        """The budget as the admin API models it."""
        return admin_pb2.Budget(
            period=admin_pb2.BudgetPeriod.Value(f"BUDGET_PERIOD_{self.period.upper()}"),
            max_cost_usd=self.max_cost_usd,
            max_tokens=self.max_tokens,
        )


class ApiKeyConfig(Section):
    """One caller key, stored as its SHA-256 hex digest (never the key itself)."""

    id: str
    sha256: str = Field(repr=False)
    models: list[str] = Field(default_factory=list)
    """Models and aliases the key may use (empty: all)."""
    requests_per_minute: int = Field(default=0, ge=0, le=2**31 - 1)
    """Token-bucket request rate (0: unlimited); whole requests, as the admin API's `ApiKey`."""
    tokens_per_minute: int = Field(default=0, ge=0)
    """Token-bucket budget of input + output tokens (0: unlimited), shared through the state
    backend; a call's tokens are debited when it ends."""
    budgets: list[BudgetConfig] = Field(default_factory=list)
    """Spend and token budgets per period, at most one per period (docs/operations.md
    "Budgets")."""

    @field_validator("budgets")
    @classmethod
    def _one_budget_per_period(cls, budgets: list[BudgetConfig]) -> list[BudgetConfig]:
        periods = [budget.period for budget in budgets]
        repeated = sorted({p for p in periods if periods.count(p) > 1})
        if repeated:
            raise ValueError(f"at most one budget per period; repeated: {', '.join(repeated)}")
        return budgets


class AuthConfig(Section):
    """Optional API-key auth: `authorization: Bearer <key>` metadata."""

    enabled: bool = False
    keys: list[ApiKeyConfig] = Field(default_factory=list)


class AdminKeyConfig(Section):
    """One admin credential, stored as its SHA-256 hex digest (never the key itself)."""

    id: str = Field(min_length=1)
    sha256: str = Field(repr=False, pattern="^[0-9a-fA-F]{64}$")


class AdminConfig(Section):
    """The admin API (`modelgate.admin.v1.AdminService`, same port): served only to these
    keys, whether caller auth is on or off; with none, every admin call is refused."""

    keys: list[AdminKeyConfig] = Field(default_factory=list)


class StateConfig(Section):
    """Shared state: conversations, response cache, usage totals (memory, SQLite or Redis)."""

    url: str | None = None
    """None/"memory://" (default), "sqlite:///path.db" or "redis://host:port/db"."""
    conversation_ttl_seconds: float = 24 * 3600.0
    max_history: int = 256
    cache_entries: int = 10_000
    cache_ttl_seconds: float = 3600.0
    cache_scope: Literal["key", "shared"] = "key"
    """`key`: a cached answer is served only to the key that caused it; `shared`: to any
    caller (more hits, but a caller can tell from the latency what another one asked)."""
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
    usage_retention_days: int = Field(default=90, ge=1, le=3660)
    """How long hourly usage (the admin API's GetUsage) is kept; older hours are dropped."""
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
