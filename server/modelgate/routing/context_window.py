"""Fail fast, before any upstream call, when input plus max output exceed a context window.

Counting is skipped entirely when the request cannot possibly be too long
(a token is at least one byte, so UTF-8 bytes bound the token count). Only
backends with an exact local tokenizer (`Backend.token_counter()`) can reject;
for the others the upstream decides and CONTEXT_LENGTH_EXCEEDED falls back.
Deployments too small for the request are dropped from the plan, so a fallback
chain reaches a longer-context model without a wasted call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelgate.errors import context_window_exceeded
from modelgate.routing.catalog import Deployment
from modelgate.v1 import content_pb2


def _byte_bound(messages: Sequence[content_pb2.Message]) -> int:
    return sum(message.ByteSize() for message in messages)


def fit_plan(plan: list[Deployment], request: Any) -> list[Deployment]:
    """The deployments whose context window can hold the request; OUT_OF_RANGE if none."""
    generation = request.generation
    output = generation.max_output_tokens if generation.HasField("max_output_tokens") else 0
    # The whole request's size bounds its messages' in one call; the messages' own sum
    # (several calls) only when that is not enough, e.g. with large tool schemas.
    bound = request.ByteSize() + output
    if any(bound > d.record.context_window > 0 for d in plan):
        bound = _byte_bound(request.messages) + output
    fitting: list[Deployment] = []
    first_rejection: tuple[Deployment, int] | None = None
    for deployment in plan:
        window = deployment.record.context_window
        counter = None if not window or bound <= window else deployment.backend.token_counter()
        if counter is None:
            fitting.append(deployment)
            continue
        tokens = counter.local_token_count(deployment.target, request.messages)
        if tokens is None or tokens + output <= window:
            fitting.append(deployment)
        elif first_rejection is None:
            first_rejection = (deployment, tokens)
    if fitting:
        return fitting
    assert first_rejection is not None
    deployment, tokens = first_rejection
    window = deployment.record.context_window
    raise context_window_exceeded(deployment.record.id, tokens, output, window)
