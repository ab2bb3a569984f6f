"""Run modes (`QUICK`, `FULL`) and the constants every scenario shares: paths, the provider
fakes' models, the streaming fakes' timing, the quiet-machine gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "/modelgate.v1.ModelGateway/"
API_KEY = "bench-key"


@dataclass(frozen=True)
class Mode:
    """Durations and sizes of one benchmark mode."""

    name: str
    duration: float
    warmup: float
    repeats: int
    """A/B repetitions of the points that budgets depend on (median taken)."""
    concurrency: tuple[int, ...]
    stream_levels: tuple[int, ...]
    stream_duration: float
    stream_words: int
    hold_streams: int
    payload_kib: tuple[int, ...]
    embed_inputs: tuple[int, ...]
    litellm_concurrency: tuple[int, ...]
    worker_concurrency: tuple[int, ...]
    profile_seconds: float
    quiet_wait: float
    """Longest wait for the machine to be quiet (other users' CPU) before one run."""
    quiet_budget: float
    """Total quiet-waiting allowed in the whole run."""
    noise_retries: int
    """Re-runs of a load point whose window was busy with other processes' CPU."""
    retry_budget: int
    """Most noise re-runs in the whole run (keeps the total bounded on a busy machine)."""
    feature_repeats: int
    """A/B repetitions of each feature's on/off throughput point ..."""
    budget_repeats: int
    """... and of a feature with a budget (the tracing row): its verdict needs more pairs
    than the machine's noise."""
    feature_latency: bool
    """Also measure each feature's p50 at concurrency 1."""
    litellm_repeats: int
    profile_features: bool
    """Profile the gateway with a feature on when that feature costs over 10%."""
    profile_streaming: bool
    """Profile modelgate and the passthrough holding 100 streams."""
    payload_concurrency: int = 16
    embed_concurrency: int = 4
    feature_concurrency: int = 64


QUICK = Mode(
    name="quick",
    duration=0.8,
    warmup=0.2,
    repeats=1,
    concurrency=(1, 16, 64, 256),
    stream_levels=(1, 100, 1000),
    stream_duration=1.0,
    stream_words=8,
    hold_streams=1000,
    payload_kib=(1, 100, 1024),
    embed_inputs=(1, 2048),
    litellm_concurrency=(16, 64),
    worker_concurrency=(64,),
    profile_seconds=2.0,
    quiet_wait=2.0,
    quiet_budget=10.0,
    noise_retries=0,
    retry_budget=0,
    feature_repeats=1,
    budget_repeats=1,
    feature_latency=False,
    litellm_repeats=1,
    profile_features=False,
    profile_streaming=False,
)
FULL = Mode(
    name="full",
    duration=3.0,
    warmup=1.0,
    repeats=3,
    concurrency=(1, 16, 64, 256),
    stream_levels=(1, 100, 1000),
    stream_duration=4.0,
    stream_words=16,
    hold_streams=1000,
    payload_kib=(1, 100, 1024),
    embed_inputs=(1, 64, 2048),
    litellm_concurrency=(1, 16, 64, 256),
    worker_concurrency=(64,),
    profile_seconds=6.0,
    quiet_wait=10.0,
    quiet_budget=45.0,
    noise_retries=2,
    retry_budget=10,
    feature_repeats=3,
    budget_repeats=15,
    feature_latency=True,
    litellm_repeats=1,
    profile_features=True,
    profile_streaming=True,
)

# Other processes using more than this many CPUs make a window "noisy".
QUIET_CPUS = 0.2
NOISY_SHARE = 0.2

# Scenario 1b: the other providers' fakes, the gateway model routed to each, its upstream name.
PROVIDER_MODELS = {
    "anthropic": ("claude-bench", "claude-sonnet-4-5"),
    "ollama": ("llama-bench", "llama3.2:latest"),
}
PROVIDER_PATHS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "ollama": "/api/chat",
}

# Upstream timing of the streaming fakes: TTFT, then a steady token rate.
STREAM_TTFT_MS = 20.0
STREAM_TOKENS_PER_S = 50.0
HOLD_TTFT_MS = 600_000.0
