"""The facts every answer carries, written once by the router from the deployment that served.

Backends fill only what the upstream told them (content, usage, finish reasons,
the provider's response id); who answered, what it cost, how long it took and
how many attempts it needed are the router's to say, for every backend alike.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from modelgate.routing.catalog import Deployment
from modelgate.routing.cost import fill_cost


def new_response_id() -> str:
    """A gateway response id: unguessable, so ids cannot be enumerated across callers."""
    return "resp_" + secrets.token_hex(12)


def set_latency(started: float, latency: Any) -> None:
    """Write the time since `started` into a Duration field in place."""
    elapsed = time.perf_counter() - started
    seconds = int(elapsed)
    latency.seconds = seconds
    latency.nanos = int((elapsed - seconds) * 1e9)


def stamp_served(answer: Any, deployment: Deployment, started: float) -> None:
    """Who served (model, provider, runtime), the cost of its usage and the latency."""
    record = deployment.record
    answer.model = record.id
    answer.provider = record.provider
    answer.runtime = record.runtime
    fill_cost(record.pricing, answer.usage, answer.cost)
    set_latency(started, answer.latency)


def stamp_answer(
    answer: Any, deployment: Deployment, started: float, attempts: int, response_id: str
) -> None:
    """A chat or completion answer (unary, or a stream's end): `stamp_served`, plus the
    gateway id `response_id` (unless the upstream's id is ours: `conversation: upstream`)
    and the number of attempts when it took more than one."""
    if not answer.id:
        answer.id = response_id
    if attempts > 1:
        answer.metadata["attempts"] = str(attempts)
    stamp_served(answer, deployment, started)
