"""The OpenTelemetry GenAI metrics, recorded with prometheus_client under their Prometheus names.

Names, attributes and bucket boundaries follow the GenAI semantic conventions
(docs/gen-ai/gen-ai-metrics.md of open-telemetry/semantic-conventions); the
names come from `opentelemetry-semantic-conventions` and are mapped the way the
OTel-to-Prometheus rules map them: dots become underscores, the unit `s` adds
`_seconds`, a `{token}` annotation adds nothing. Recording goes straight to
prometheus_client rather than through the OTel SDK: a histogram observation costs
~1 us there, and the children of a label combination are looked up once and kept
(prometheus_client's own `labels()` costs another ~1.4 us per call).

Which side records what: the gateway serves its callers (`gen_ai.server.*`, one
observation per RPC, recorded by the RPC middleware) and is the client of each
upstream (`gen_ai.client.operation.duration`, one observation per upstream attempt,
recorded by `metering.MeteredBackend`, so retries and fallbacks are separate
observations). Token usage is recorded once, per RPC, from the usage the caller is
billed: an attempt-side twin would count a call's tokens again.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as attributes
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as names
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from prometheus_client import CollectorRegistry, Histogram

TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)  # fmt: skip
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)  # fmt: skip
TIME_TO_FIRST_TOKEN_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
                               1.0, 2.5, 5.0, 7.5, 10.0)  # fmt: skip
TIME_PER_OUTPUT_TOKEN_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
                                 1.0, 2.5)  # fmt: skip

INPUT = attributes.GenAiTokenTypeValues.INPUT.value
OUTPUT = attributes.GenAiTokenTypeValues.COMPLETION.value  # "output"
OPERATIONS = {
    "Chat": attributes.GenAiOperationNameValues.CHAT.value,
    "StreamChat": attributes.GenAiOperationNameValues.CHAT.value,
    "Complete": attributes.GenAiOperationNameValues.TEXT_COMPLETION.value,
    "StreamComplete": attributes.GenAiOperationNameValues.TEXT_COMPLETION.value,
    "Embed": attributes.GenAiOperationNameValues.EMBEDDINGS.value,
}
"""The gateway's GenAI RPCs and their `gen_ai.operation.name`; other RPCs are not GenAI calls."""


def prometheus_name(otel_name: str, unit: str = "") -> str:
    """An OTel metric or attribute name as Prometheus spells it (`unit` "s" adds `_seconds`)."""
    return otel_name.replace(".", "_") + ("_seconds" if unit == "s" else "")


OPERATION = prometheus_name(attributes.GEN_AI_OPERATION_NAME)
PROVIDER = prometheus_name(attributes.GEN_AI_PROVIDER_NAME)
REQUEST_MODEL = prometheus_name(attributes.GEN_AI_REQUEST_MODEL)
RESPONSE_MODEL = prometheus_name(attributes.GEN_AI_RESPONSE_MODEL)
ERROR = prometheus_name(ERROR_TYPE)
TOKEN_TYPE = prometheus_name(attributes.GEN_AI_TOKEN_TYPE)
OTEL_ATTRIBUTES = {
    prometheus_name(name): name
    for name in (
        attributes.GEN_AI_OPERATION_NAME,
        attributes.GEN_AI_PROVIDER_NAME,
        attributes.GEN_AI_REQUEST_MODEL,
        attributes.GEN_AI_RESPONSE_MODEL,
        attributes.GEN_AI_TOKEN_TYPE,
        ERROR_TYPE,
        SERVER_ADDRESS,
        SERVER_PORT,
    )
}
"""Prometheus label name -> the conventions' attribute name (for the OTLP push)."""
CALL_LABELS = (OPERATION, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, ERROR)
"""Every GenAI series carries these; `error_type` is empty on success (absent to PromQL)."""

KEY_LABEL = "api_key_id"
"""The caller's key id, on the token series (and the cost counter) only when the operator
opts in (`telemetry.metrics_key_label`); "" for calls without auth."""
Key = tuple[str, str, str, str, str]
"""Values of CALL_LABELS, in order."""
ATTEMPT_LABELS = (
    OPERATION,
    PROVIDER,
    REQUEST_MODEL,
    RESPONSE_MODEL,
    prometheus_name(SERVER_ADDRESS),
    prometheus_name(SERVER_PORT),
    ERROR,
)
"""An upstream attempt's labels: the call's, plus the upstream's address ("" when unknown)."""
AttemptKey = tuple[str, str, str, str, str, str, str]
"""Values of ATTEMPT_LABELS, in order."""


@dataclass(slots=True, frozen=True)
class CallSeries:
    """The bound children of one label combination (what a call observes into)."""

    duration: Histogram
    input_tokens: Histogram
    output_tokens: Histogram
    time_to_first_token: Histogram
    time_per_output_token: Histogram


class GenAiMetrics:
    """The GenAI instruments in a registry, with their children cached per label combination.

    Label values are bounded (catalog ids, provider names, status code names; key ids when
    the operator opted in), so the cache is bounded by the same cardinality as the series.
    """

    def __init__(self, registry: CollectorRegistry, *, key_label: bool = False) -> None:
        self.otel_names: dict[str, tuple[str, str]] = {}
        """Prometheus name -> the conventions' (name, unit), for the OTLP push."""

        def histogram(
            name: str, unit: str, doc: str, labels: tuple[str, ...], buckets: tuple[float, ...]
        ) -> Histogram:
            self.otel_names[prometheus_name(name, unit)] = (name, unit)
            return Histogram(
                prometheus_name(name, unit), doc, labels, buckets=buckets, registry=registry
            )

        self.server_duration = histogram(
            names.GEN_AI_SERVER_REQUEST_DURATION,
            "s",
            "GenAI request duration as the gateway serves it (RPC wall time).",
            CALL_LABELS,
            DURATION_BUCKETS,
        )
        self.token_usage = histogram(
            names.GEN_AI_CLIENT_TOKEN_USAGE,
            "{token}",
            "Number of input and output tokens used (billable, as the provider reported).",
            (*CALL_LABELS, TOKEN_TYPE, KEY_LABEL) if key_label else (*CALL_LABELS, TOKEN_TYPE),
            TOKEN_BUCKETS,
        )
        self.time_to_first_token = histogram(
            names.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
            "s",
            "Time to the first output delta of a successful stream.",
            CALL_LABELS,
            TIME_TO_FIRST_TOKEN_BUCKETS,
        )
        self.time_per_output_token = histogram(
            names.GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
            "s",
            "Time per output token after the first, for successful streams.",
            CALL_LABELS,
            TIME_PER_OUTPUT_TOKEN_BUCKETS,
        )
        self.client_duration = histogram(
            names.GEN_AI_CLIENT_OPERATION_DURATION,
            "s",
            "GenAI operation duration as the gateway calls the upstream (per attempt).",
            ATTEMPT_LABELS,
            DURATION_BUCKETS,
        )
        self._series: dict[tuple[Key, str | None], CallSeries] = {}
        self._attempts: dict[AttemptKey, Histogram] = {}

    def series(self, key: Key, key_id: str | None = None) -> CallSeries:
        """The children for `key` (token series: and `key_id`, when not None: the key
        label is on), bound on first use."""
        found = self._series.get((key, key_id))
        if found is None:
            tokens = (*key, INPUT) if key_id is None else (*key, INPUT, key_id)
            output = (*key, OUTPUT) if key_id is None else (*key, OUTPUT, key_id)
            found = self._series[key, key_id] = CallSeries(
                self.server_duration.labels(*key),
                self.token_usage.labels(*tokens),
                self.token_usage.labels(*output),
                self.time_to_first_token.labels(*key),
                self.time_per_output_token.labels(*key),
            )
        return found

    def attempt(self, key: AttemptKey) -> Histogram:
        """The client duration child for `key`, bound on first use."""
        found = self._attempts.get(key)
        if found is None:
            found = self._attempts[key] = self.client_duration.labels(*key)
        return found
