"""Per-deployment live statistics and the order in which an alias tries its deployments."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from modelgate.config import RoutingConfig
from modelgate.errors import GatewayError
from modelgate.routing.breaker import CircuitBreaker
from modelgate.routing.health import HealthWindow
from modelgate.telemetry.failure_log import FailureLog


@dataclass(slots=True)
class DeploymentStats:
    """What the router knows about one deployment's recent behaviour."""

    breaker: CircuitBreaker
    health: HealthWindow = field(default_factory=HealthWindow)
    """Recent latency and error rate, reported to callers by ListModels and GetModel."""
    in_flight: int = 0
    latency_ewma: float | None = None
    calls: int = 0
    failures: int = 0
    cache_lookups: int = 0
    cache_hits: int = 0
    alpha: float = field(default=0.2)

    def observe_latency(self, seconds: float, streaming: bool = False) -> None:
        """Fold one successful attempt's latency (a stream's: to its first output) into the
        moving average and the health window."""
        if self.latency_ewma is None:
            self.latency_ewma = seconds
        else:
            self.latency_ewma += self.alpha * (seconds - self.latency_ewma)
        self.health.served(seconds, streaming)

    def observe_failure(self, error: GatewayError) -> None:
        """A failed attempt, for the health window (which ignores the caller's mistakes)."""
        self.health.failed(error)


class StatsBoard:
    """Stats by model id, created on first use."""

    def __init__(self, config: RoutingConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        """The breakers' clock (tests step it instead of sleeping through cooldowns)."""
        self.failure_log = FailureLog(clock=clock)
        """Rate-limits the WARNINGs of failed upstream calls and discoveries, on the same clock."""
        self._stats: dict[str, DeploymentStats] = {}

    def peek(self, model_id: str) -> DeploymentStats | None:
        """The stats of `model_id` if it has any (for scrapes: never creates)."""
        return self._stats.get(model_id)

    def get(self, model_id: str) -> DeploymentStats:
        """The stats of `model_id`."""
        stats = self._stats.get(model_id)
        if stats is None:
            stats = DeploymentStats(
                breaker=CircuitBreaker(self.config, self.clock),
                health=HealthWindow(self.clock),
                alpha=self.config.latency_ewma_alpha,
            )
            self._stats[model_id] = stats
        return stats


def order(
    strategy: str,
    candidates: Sequence[tuple[str, float]],
    board: StatsBoard,
    rng: random.Random | None = None,
) -> list[str]:
    """Model ids of an alias in the order to try them.

    weighted: weighted random sampling without replacement (spreads load by weight);
    least_inflight: fewest calls in progress first (ties keep configuration order);
    lowest_latency: lowest observed latency first, unmeasured ones first so they get measured.
    """
    ids = [model_id for model_id, _ in candidates]
    if strategy == "least_inflight":
        return sorted(ids, key=lambda m: board.get(m).in_flight)
    if strategy == "lowest_latency":
        return sorted(ids, key=lambda m: board.get(m).latency_ewma or 0.0)
    uniform = (rng or random.Random()).uniform if rng else random.uniform
    pool = list(candidates)
    result: list[str] = []
    while pool:
        total = sum(max(w, 0.0) for _, w in pool)
        pick = uniform(0, total) if total > 0 else 0.0
        for index, (model_id, weight) in enumerate(pool):
            pick -= max(weight, 0.0)
            if pick <= 0 or index == len(pool) - 1:
                result.append(model_id)
                pool.pop(index)
                break
    return result
