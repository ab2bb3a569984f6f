"""Default gRPC service config, per-method timeouts and channel options.

The service config is the one place that says how long each RPC may take
and what is retried. The clients split it in two:

* `retryPolicy` / `retryThrottling` go to the channel (`grpc.service_config`),
  so gRPC retries inside the channel and counts every caller against one
  retry budget per channel.
* `timeout` entries are applied by the client as per-call deadlines, computed
  from the current time when the call starts. They are deliberately not left
  to grpcio: its service-config timeouts fire a second or two early
  (grpc/grpc#34547, grpc/grpc#40633; reproduced on grpcio 1.85: a "10s"
  timeout fired after 8.7 s, anything under ~1.5 s fired at once). Applying
  them as deadlines also gives the precedence callers expect: a per-call
  `timeout=` (or the client-wide `timeout`) *replaces* the method's default
  instead of only being able to shorten it.

Retry semantics worth knowing:

* Only UNAVAILABLE is retried, with exponential backoff and jitter, within
  the call's deadline, and only when the gateway did not already retry it:
  a logical call is retried in one place. The gateway's router retries
  upstream failures itself and sends its final answer (upstream down or
  overloaded, breaker open) with gRPC server pushback
  `grpc-retry-pushback-ms: -1`, which grpcio's retry policy honours. So
  this policy retries what never reached a gateway (connection refused, a
  draining replica) and the rare UNAVAILABLE the gateway did not retry; a
  failing call costs the upstream the gateway's attempts, not 3 times them.
* gRPC *commits* a call as soon as response headers or a message arrive and
  never retries a committed call. A stream that already yielded events is
  therefore never replayed: a failure mid-stream reaches the caller as an
  error. Only streams that fail before the server answered anything (a
  trailers-only UNAVAILABLE, or a connection that never came up) are retried,
  which is safe because nothing was delivered or billed. (The gateway itself
  retries and falls back upstream only before the first delta, too.)
* Other codes are never retried automatically; RESOURCE_EXHAUSTED carries a
  `retry_after` hint that only the caller can honour sensibly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = [
    "DEFAULT_CHANNEL_OPTIONS",
    "DEFAULT_SERVICE_CONFIG",
    "DEFAULT_TIMEOUTS",
    "SERVICE_NAME",
    "build_service_config",
    "channel_options",
    "method_timeouts",
]

SERVICE_NAME: Final = "modelgate.v1.ModelGateway"

DEFAULT_TIMEOUTS: Final[Mapping[str, float | None]] = {
    # Generation: long enough for slow models, short enough to free sockets.
    "Chat": 60.0,
    "Complete": 60.0,
    "StreamChat": 300.0,
    "StreamComplete": 300.0,
    "Embed": 30.0,
    # Metadata lookups answer from the gateway's catalog.
    "ListModels": 10.0,
    "GetModel": 10.0,
    "CountTokens": 10.0,
    "ListRunningModels": 10.0,
    "ListPrompts": 10.0,
    "GetPrompt": 10.0,
    # Local runtime management: loading a large model into memory is slow;
    # pulls download gigabytes, so they get no default (pass a per-call timeout).
    "PullModel": None,
    "DeleteModel": 30.0,
    "LoadModel": 300.0,
    "UnloadModel": 30.0,
}
"""Per-method timeouts in seconds (None: no default deadline)."""


def _duration(seconds: float) -> str:
    """A proto JSON Duration string, e.g. 0.2 -> "0.2s"."""
    if seconds < 0:
        raise ValueError(f"durations must be >= 0, got {seconds}")
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")


def _parse_duration(value: str) -> float:
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"invalid service config duration {value!r}")
    return float(match.group(1))


def build_service_config(
    *,
    timeouts: Mapping[str, float | None] | None = None,
    retry: bool = True,
    max_attempts: int = 3,
    initial_backoff: float = 0.2,
    max_backoff: float = 2.0,
    backoff_multiplier: float = 2.0,
    retry_throttling: bool = True,
) -> dict[str, Any]:
    """A service config dict for `AsyncModelGate(service_config=...)` or `ModelGate(...)`.

    Args:
        timeouts: Per-method overrides of `DEFAULT_TIMEOUTS` by RPC name
            (e.g. {"Chat": 600}); None removes the method's default deadline.
        retry: Retry UNAVAILABLE with exponential backoff, unless the gateway's
            pushback says it already retried (see module doc).
        max_attempts: Total attempts including the first (gRPC caps it at 5).
        initial_backoff: Seconds before the first retry (randomized by gRPC).
        max_backoff: Upper bound of the backoff in seconds.
        backoff_multiplier: Backoff growth per retry.
        retry_throttling: Pause retries while most recent attempts fail, so a
            gateway that is down is not hammered by every client at once.
    """
    merged = dict(DEFAULT_TIMEOUTS)
    for name, value in (timeouts or {}).items():
        if name not in DEFAULT_TIMEOUTS:
            raise ValueError(f"unknown ModelGateway method {name!r}")
        merged[name] = value
    if retry and max_attempts < 2:
        raise ValueError("max_attempts must be >= 2 when retry is enabled")
    policy = {
        "maxAttempts": max_attempts,
        "initialBackoff": _duration(initial_backoff),
        "maxBackoff": _duration(max_backoff),
        "backoffMultiplier": backoff_multiplier,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    method_config: list[dict[str, Any]] = []
    for name, timeout in merged.items():
        entry: dict[str, Any] = {"name": [{"service": SERVICE_NAME, "method": name}]}
        if timeout is not None:
            entry["timeout"] = _duration(timeout)
        if retry:
            entry["retryPolicy"] = dict(policy)
        method_config.append(entry)
    config: dict[str, Any] = {"methodConfig": method_config}
    if retry and retry_throttling:
        # Per channel: tokens start at 20; each failed attempt costs 1, each
        # success earns 0.5, and retries pause while at most 10 remain. So about
        # 10 net failed attempts (a gateway that is down) stop retrying, and a
        # couple of successes per failure bring retries back.
        config["retryThrottling"] = {"maxTokens": 20, "tokenRatio": 0.5}
    return config


DEFAULT_SERVICE_CONFIG: Final[Mapping[str, Any]] = build_service_config()
"""The config clients use unless told otherwise. Treat it as read-only."""


def method_timeouts(service_config: Mapping[str, Any] | None) -> dict[str, float]:
    """Default deadline per ModelGateway method, from a service config's `timeout`s.

    Follows gRPC's matching rules: an entry naming service and method beats
    one naming only the service, which beats an empty (catch-all) name.
    """
    if not service_config:
        return {}
    exact: dict[str, float] = {}
    service_wide: float | None = None
    catch_all: float | None = None
    for entry in service_config.get("methodConfig", ()):
        timeout = entry.get("timeout")
        if timeout is None:
            continue
        seconds = _parse_duration(timeout)
        for name in entry.get("name", ()):
            service = name.get("service", "")
            method = name.get("method", "")
            if not service:
                catch_all = seconds
            elif service == SERVICE_NAME and method:
                exact[method] = seconds
            elif service == SERVICE_NAME:
                service_wide = seconds
    result: dict[str, float] = {}
    for method in DEFAULT_TIMEOUTS:
        for candidate in (exact.get(method), service_wide, catch_all):
            if candidate is not None:
                result[method] = candidate
                break
    return result


def _without_timeouts(service_config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the config for the channel: `timeout`s removed (the client applies them)."""
    config = dict(service_config)
    if "methodConfig" in config:
        config["methodConfig"] = [
            {k: v for k, v in entry.items() if k != "timeout"} for entry in config["methodConfig"]
        ]
    return config


DEFAULT_CHANNEL_OPTIONS: Final[Sequence[tuple[str, int | str]]] = (
    # Ping every 30 s, only while calls are in flight, to notice dead connections
    # during long generations. The gateway accepts pings 10 s apart (and pings
    # without calls), so it never sends GOAWAY too_many_pings to this client.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 0),
    # The gateway sends up to 64 MiB (large embedding batches); gRPC's client
    # default of 4 MiB would fail those with RESOURCE_EXHAUSTED.
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.enable_retries", 1),
    ("grpc.primary_user_agent", "modelgate-client-python/0.1"),
)
"""Channel options every client sets; caller options with the same key win."""


def channel_options(
    service_config: Mapping[str, Any] | None,
    options: Sequence[tuple[str, Any]] = (),
) -> list[tuple[str, Any]]:
    """The channel's options: defaults, the service config (minus timeouts), the caller's.

    Keys are de-duplicated (last one wins) instead of relying on gRPC's
    handling of repeated channel arguments.
    """
    merged: dict[str, Any] = dict(DEFAULT_CHANNEL_OPTIONS)
    if service_config is not None:
        merged["grpc.service_config"] = json.dumps(_without_timeouts(service_config))
    for key, value in options:
        merged[key] = value
    return list(merged.items())
