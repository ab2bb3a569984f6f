"""The one retry loop of a logical call: which deployment next, how long to wait, when to stop.

Rules (RELIABILITY.md): only retryable failures are retried; the wait is at
least the upstream's Retry-After, otherwise jittered exponential backoff; a
wait that would pass the caller's deadline fails now with RetryInfo instead;
attempts are bounded per deployment and per call; a deployment whose breaker
is open is skipped; non-retryable failures that another model may not share
(context too long, provider down or misconfigured, an answer that breaks the
provider's API) fall back to the next deployment, other client errors end the
call at once. A deployment that cannot take the request's parameters is skipped
without a call, like an unavailable one. The error a caller gets is the last real
upstream failure (a skipped deployment never hides it), marked final so clients do
not retry what was retried here, with the attempts it took in its metadata.

Breakers hear one verdict per call and deployment (a "visit"), not one per
attempt: the visit failed when its last attempt failed retryably, and a
half-open probe gets one attempt.

Hand-rolled rather than tenacity: tenacity retries one callable, but a call
here moves across deployments, must skip open breakers without calling, and
streams must report each attempt to the caller before it starts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence

from modelgate.config import RoutingConfig
from modelgate.errors import GatewayError, circuit_open, provider_unavailable
from modelgate.providers.base import CallContext
from modelgate.records import host_port
from modelgate.routing.balancer import DeploymentStats, StatsBoard
from modelgate.routing.breaker import Admission
from modelgate.routing.catalog import Deployment
from modelgate.v1 import model_pb2, stream_pb2
from modelgate.v1.errors_pb2 import ErrorReason

log = logging.getLogger(__name__)
retry_log = logging.getLogger("modelgate.routing.retries")
"""One line per call that needed retries or fallbacks (its own logger, to filter on)."""

R = ErrorReason
FALLBACK_REASONS = frozenset(
    {
        R.ERROR_REASON_CONTEXT_LENGTH_EXCEEDED,
        R.ERROR_REASON_UPSTREAM_AUTH_FAILED,
        R.ERROR_REASON_UPSTREAM_MODEL_NOT_FOUND,
        R.ERROR_REASON_UPSTREAM_INVALID_RESPONSE,
        R.ERROR_REASON_PROVIDER_UNAVAILABLE,
        R.ERROR_REASON_CIRCUIT_OPEN,
    }
)
_SKIPS = frozenset({R.ERROR_REASON_PROVIDER_UNAVAILABLE, R.ERROR_REASON_CIRCUIT_OPEN})
"""Reasons of deployments skipped without a call: they never replace a real failure."""


def backoff(attempt: int, config: RoutingConfig, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for the `attempt`-th retry (1-based)."""
    ceiling = min(config.backoff_max_seconds, config.backoff_initial_seconds * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def _circuit_open(deployment: Deployment, stats: DeploymentStats) -> GatewayError:
    return circuit_open(
        deployment.record.id, stats.breaker.last_failure, stats.breaker.retry_after()
    )


def _unavailable(deployment: Deployment) -> GatewayError:
    record = deployment.record
    return provider_unavailable(record.id, record.runtime, deployment.unavailable_reason)


class Attempts:
    """Iterates the attempts of one logical call over a plan of deployments."""

    def __init__(
        self,
        plan: Sequence[Deployment],
        board: StatsBoard,
        config: RoutingConfig,
        call: CallContext,
        refusals: Mapping[str, GatewayError] | None = None,
        *,
        streaming: bool = False,
    ) -> None:
        self.plan = plan
        self.streaming = streaming
        """A stream's attempt succeeds at its first output: its latency is time to first token."""
        self.refusals = refusals
        """Model id -> why it cannot take this request's parameters (routing/admission.py)."""
        self.board = board
        self.config = config
        self.call = call
        self.count = 0
        self.kind: stream_pb2.AttemptKind.ValueType = stream_pb2.ATTEMPT_KIND_FIRST
        self.last_error: GatewayError | None = None
        self._position = 0
        self._tries_here = 0
        self._started = 0.0
        self._stats: DeploymentStats | None = None
        self._visit: DeploymentStats | None = None
        """The deployment this call is visiting, until its verdict goes to the breaker."""
        self._admission = Admission.CALL
        self._visit_failure = ""
        """Why the visit's last attempt failed retryably ("" when it did not)."""
        self._record: model_pb2.Model | None = None
        """The deployment of the latest attempt."""

    def next(self) -> Deployment:
        """The deployment for the next attempt; raises the last error when none is left."""
        while self._position < len(self.plan):
            deployment = self.plan[self._position]
            stats = self.board.get(deployment.record.id)
            if deployment.unavailable_reason:
                self._skip(_unavailable(deployment))
                continue
            if self.refusals and deployment.record.id in self.refusals:
                self._skip(self.refusals[deployment.record.id])
                continue
            if self._tries_here >= self.config.max_attempts_per_deployment:
                self._advance()
                continue
            if self.count >= self.config.max_attempts:
                break
            if self._tries_here:
                if not stats.breaker.closed:  # opened by other calls meanwhile
                    self._skip(_circuit_open(deployment, stats))
                    continue
            else:
                admission = stats.breaker.admit()
                if admission == Admission.DENIED:
                    self._skip(_circuit_open(deployment, stats))
                    continue
                self._visit, self._admission = stats, admission
            if self.count:
                self.kind = (
                    stream_pb2.ATTEMPT_KIND_RETRY
                    if self._tries_here
                    else stream_pb2.ATTEMPT_KIND_FALLBACK
                )
            self.count += 1
            self._tries_here += 1
            self._stats = stats
            self._record = deployment.record
            self.call.attempt = self.count
            self.call.attempt_reason = self.last_error.reason_name if self.last_error else ""
            stats.in_flight += 1
            stats.calls += 1
            self._started = time.perf_counter()
            return deployment
        self._end_visit()
        assert self.last_error is not None, "a plan always has at least one deployment"
        raise self._final(self.last_error)

    def _skip(self, error: GatewayError) -> None:
        if self.last_error is None or self.last_error.reason in _SKIPS:
            self.last_error = error
        self._advance()

    def _advance(self) -> None:
        self._end_visit()
        self._position += 1
        self._tries_here = 0

    def _end_visit(self) -> None:
        """Give the breaker this call's one verdict on the deployment it is leaving."""
        stats = self._visit
        if stats is None:
            return
        self._visit = None
        if self._visit_failure:
            stats.breaker.failure(self._admission, self._visit_failure)
        else:
            stats.breaker.release(self._admission)
        self._visit_failure = ""

    def _final(self, error: GatewayError) -> GatewayError:
        """The error that ends the call: final for clients, with the attempts it took."""
        error.final = True
        if self.count > 1:
            error.metadata["attempts"] = str(self.count)
            self._log_call(logging.WARNING, "failed", error)
        return error

    def _log_call(self, level: int, outcome: str, cause: GatewayError) -> None:
        """One line per call that needed retries or fallbacks, at most one per model per
        window: which deployment it ended on, after how many attempts, and why."""
        record = self._record
        assert record is not None, "only a call with attempts needs retries"
        self.board.failure_log.log(
            retry_log,
            level,
            f"attempts:{record.id}",
            "call %s after retries or fallbacks: runtime=%s model=%s attempt=%d kind=%s cause=%s",
            outcome,
            record.runtime,
            record.id,
            self.count,
            stream_pb2.AttemptKind.Name(self.kind).removeprefix("ATTEMPT_KIND_").lower(),
            cause.reason_name,
        )

    def succeeded(self) -> None:
        """The attempt returned (or streamed its first output): record health and latency."""
        stats = self._finish()
        if self.count > 1 and self.last_error is not None:
            self._log_call(logging.INFO, "succeeded", self.last_error)
        stats.breaker.success(self._admission)
        self._visit = None
        self._visit_failure = ""
        stats.observe_latency(time.perf_counter() - self._started, self.streaming)

    def ended_without_verdict(self) -> None:
        """The attempt ended saying nothing about the upstream (cancel); the visit's verdict
        is an earlier attempt's failure, if any."""
        self._finish()
        self._end_visit()

    def _finish(self) -> DeploymentStats:
        stats = self._stats
        assert stats is not None, "succeeded/failed called without a running attempt"
        stats.in_flight -= 1
        self._stats = None
        return stats

    def _log_failure(self, error: GatewayError) -> None:
        """One WARNING per deployment per window, so an outage is visible but no flood."""
        record = self.plan[self._position].record
        http_status = error.metadata.get("http_status")
        self.board.failure_log.warning(
            log,
            record.id,
            "upstream call failed: runtime=%s model=%s at=%s code=%s reason=%s%s: %s",
            record.runtime,
            record.id,
            host_port(record.endpoint) if record.endpoint else "-",
            error.code.name,
            error.reason_name,
            f" http_status={http_status}" if http_status else "",
            error.message,
        )

    def failed_without_retry(self, error: GatewayError) -> GatewayError:
        """A failed attempt that must not be retried (it consumed input that cannot be
        replayed: a streamed upload): recorded like any failure; returns the final error."""
        stats = self._finish()
        stats.observe_failure(error)
        self._log_failure(error)
        self.last_error = error
        if error.retryable:
            stats.failures += 1
            self._visit_failure = error.message
        self._end_visit()
        return self._final(error)

    async def failed(self, error: GatewayError) -> None:
        """Decide after a failed attempt: wait and retry, fall back, or re-raise."""
        stats = self._finish()
        stats.observe_failure(error)
        self._log_failure(error)
        self.last_error = error
        if error.retryable:
            stats.failures += 1
            self._visit_failure = error.message
            if self._admission == Admission.PROBE:
                self._advance()  # the probe's one attempt failed: reopen, move on
                return
        else:
            self._visit_failure = ""  # the upstream answered: no verdict on its health
            if error.reason not in FALLBACK_REASONS:
                self._end_visit()
                raise self._final(error)
            self._advance()
            return
        if self._tries_here >= self.config.max_attempts_per_deployment:
            self._advance()
            return
        delay = max(error.retry_after or 0.0, backoff(self._tries_here, self.config))
        remaining = self.call.remaining()
        if remaining is not None and delay >= remaining:
            if self._position + 1 < len(self.plan):
                self._advance()  # no time to wait here; another deployment may answer now
                return
            error.retry_after = delay
            self._end_visit()
            raise self._final(error)
        try:
            await asyncio.sleep(delay)
        except BaseException:
            self._end_visit()  # the caller left while we waited
            raise
