"""The processes under test (gateways, the passthrough, the fakes) as scenarios see them."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.modes import API_KEY, PROVIDER_MODELS
from bench.procs import Proc, Processes, http_get


@dataclass
class Server:
    """A gRPC server under test (modelgate or the passthrough)."""

    name: str
    port: int
    proc: Proc

    @property
    def pid(self) -> int:
        """Pid of the serving process (the supervisor with --workers > 1)."""
        return self.proc.pid

    @property
    def target(self) -> str:
        """host:port for gRPC clients."""
        return f"127.0.0.1:{self.port}"


STATS_TIMEOUT_S = 10.0
STATS_ATTEMPTS = 3


def fetch_stats(
    url: str, *, timeout: float = STATS_TIMEOUT_S, attempts: int = STATS_ATTEMPTS
) -> dict[str, Any] | None:
    """The fake at `url`'s `/bench/stats`, or None (the reason on stderr) when `attempts`
    tries of `timeout` s each got no answer: on a busy machine a fake can be slow to
    answer, which must cost the run one statistic (reported missing), never the run."""
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(0.2 * attempt)
        try:
            stats = json.loads(http_get(url + "/bench/stats", timeout=timeout))
        except (OSError, ValueError) as exc:  # refused, timed out, cut, not JSON
            problem = f"{type(exc).__name__}: {exc}"
            continue
        if isinstance(stats, dict) and isinstance(stats.get("counts"), dict):
            return stats
        problem = f"unexpected answer {str(stats)[:80]!r}"
    print(f"bench: {url}/bench/stats unavailable ({attempts} tries): {problem}", file=sys.stderr)
    return None


@dataclass
class Fake:
    """One fake upstream process."""

    name: str
    url: str
    proc: Proc

    @property
    def base(self) -> str:
        """The OpenAI base URL (with /v1)."""
        return self.url + "/v1"

    def counts(self) -> dict[str, int] | None:
        """Requests served per path so far; None when the fake did not answer (see
        `fetch_stats`)."""
        stats = fetch_stats(self.url, timeout=STATS_TIMEOUT_S, attempts=STATS_ATTEMPTS)
        return None if stats is None else dict(stats["counts"])

    def last_body(self, path: str) -> bytes:
        """The last raw body POSTed to `path`."""
        return http_get(f"{self.url}/bench/last?path={path}", timeout=10)


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """`base` updated recursively with `overlay` (new dict)."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@contextlib.contextmanager
def stopping(procs: Processes, *servers: Server) -> Iterator[None]:
    """Stop the given servers when the block ends."""
    try:
        yield
    finally:
        for server in servers:
            procs.stop(server.proc)


def gateway_config(fakes: dict[str, Fake], overlay: dict[str, Any] | None = None) -> dict[str, Any]:
    """The catalog: one runtime per fake, models on them, the alias `pool`."""
    fast, stream, hold = fakes["fast"], fakes["stream"], fakes["hold"]

    def runtime(fake: Fake) -> dict[str, Any]:
        return {"kind": "openai", "base_url": fake.base, "api_key": API_KEY}

    config: dict[str, Any] = {
        "echo": False,
        "log_level": "WARNING",
        # Off, as LiteLLM's per-request log is, so runs stay comparable with earlier
        # ones; `python -m bench.compare` measures it on (README "Access log").
        "access_log": {"enabled": False},
        "server": {"host": "127.0.0.1", "grace_seconds": 1},
        "runtimes": {
            "openai": runtime(fast),
            "openai-stream": runtime(stream),
            "openai-hold": runtime(hold),
        },
        "models": [
            {
                "id": "gpt-4o",
                "runtime": "openai",
                "provider": "openai",
                "capabilities": ["chat", "streaming", "embedding"],
            },
            {
                "id": "text-embedding-3-small",
                "runtime": "openai",
                "provider": "openai",
                "capabilities": ["embedding"],
                "embedding_dimension": 1536,
            },
            {
                "id": "gpt-4o-stream",
                "runtime": "openai-stream",
                "upstream_name": "gpt-4o",
                "provider": "openai",
                "capabilities": ["chat", "streaming"],
            },
            {
                "id": "gpt-4o-hold",
                "runtime": "openai-hold",
                "upstream_name": "gpt-4o",
                "provider": "openai",
                "capabilities": ["chat", "streaming"],
            },
        ],
        "aliases": {"pool": {"deployments": [{"model": "gpt-4o"}]}},
    }
    for kind, (model, upstream) in PROVIDER_MODELS.items():
        if kind in fakes:  # the other providers' fakes (scenario 1b)
            config["runtimes"][kind] = {
                "kind": kind,
                "base_url": fakes[kind].url,
                "api_key": API_KEY,
            }
            config["models"].append(
                {
                    "id": model,
                    "runtime": kind,
                    "upstream_name": upstream,
                    "provider": kind,
                    "capabilities": ["chat", "streaming"],
                }
            )
    return deep_merge(config, overlay or {})
