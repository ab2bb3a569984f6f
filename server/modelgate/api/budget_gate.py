"""Budgets around a generating call: reserve an estimate before it, settle its real usage after.

The estimate is an upper bound wherever the gateway can know one, so that the admission
rule of `state.budgets` (admit while spent + held < cap) lets spend pass a cap by one
call at most:

- input tokens: the request's serialized size in bytes (every tokenizer's token covers
  at least one byte of text, so this over-counts, cheaply and never under);
- output tokens: the request's `max_output_tokens`, else the model's, else
  `DEFAULT_OUTPUT_TOKENS` (0 for Embed, which generates none);
- dollars: those tokens at the model's highest input and output prices (for an alias,
  the highest over its deployments and fallbacks).

Settling uses what the call really used: a unary answer's or a stream end's usage and
cost (0 for a response-cache hit, which costs nothing upstream). A call that fails
before any output settles 0 (upstreams do not bill refused calls). A stream cancelled
or failing after output settles an estimate of what the upstream used: input at 4 bytes
a token, output at one token per delta or per 4 bytes of delta, whichever is more,
priced like the reservation. Budgets apply to the generating RPCs only
(`records.GENERATING_RPCS`, the access log's list too).

Media calls (`budget_media`) reserve their per-unit price (images, characters, minutes)
beside their tokens, and settle their answer's or end event's `cost.total_usd` and usage
like any other. One cut short after output settles its whole per-unit estimate plus the
token estimate above, its output at one token per event (image and audio bytes are not
text): upstreams bill media per request, not per byte the caller read.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modelgate.admin.v1 import admin_pb2
from modelgate.api.budget_media import (
    DEFAULT_OUTPUT_TOKENS,
    MediaEstimate,
    media_estimate,
    served_records,
)
from modelgate.config import LimitsConfig
from modelgate.errors import budget_exhausted, state_unavailable
from modelgate.records import GENERATING_RPCS, MEDIA_RPCS
from modelgate.request_streams import requested_model
from modelgate.routing.catalog import Catalog
from modelgate.state.budgets import (
    DEFAULT_HOLD_SECONDS,
    PERIOD_NAMES,
    BudgetStore,
    Reservation,
    lines,
    nanos,
    new_reservation,
    seconds_until,
    window,
)
from modelgate.state.errors import StateUnavailableError
from modelgate.v1 import model_pb2

log = logging.getLogger(__name__)

HELD_RETRY_S = 1.0
"""RetryInfo when calls in flight hold the rest of a budget: they settle soon, often
below their estimates, so the caller may get in well before the period resets."""
BYTES_PER_TOKEN = 4
"""Settling a stream cut short: bytes of text per token (the usual English average)."""
PER = 1e6


@dataclass(frozen=True)
class Price:
    """What a token may cost on the requested model: the highest of each side's prices."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0
    max_output_tokens: int = 0

    def usd(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for these tokens at these prices."""
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / PER


def price_of(records: list[model_pb2.Model]) -> Price:
    """The highest prices any of `records` (what a name may be served by) charges; zero
    when there are none."""
    price = Price()
    for record in records:
        pricing = record.pricing
        price = Price(
            max(
                price.input_per_million,
                pricing.input_per_million_usd,
                pricing.cache_write_per_million_usd,
            ),
            max(
                price.output_per_million,
                pricing.output_per_million_usd,
                pricing.reasoning_per_million_usd,
            ),
            max(price.max_output_tokens, record.max_output_tokens),
        )
    return price


@dataclass
class Hold:
    """A call's reservation and what is needed to settle it."""

    reservation: Reservation
    price: Price
    request_bytes: int
    media: bool = False
    """A media call (`records.MEDIA_RPCS`)."""
    media_usd: float = 0.0
    """A media call's per-unit estimate, settled whole when it is cut short after output."""
    deltas: int = 0
    """Output events seen so far (streams)."""
    delta_bytes: int = 0

    def see(self, event: Any) -> None:
        """Count a stream event that carries output (anything but attempt and end); a media
        call's bytes (images, audio) are not text, so they count as events only."""
        kind = event.WhichOneof("event")
        if kind not in (None, "attempt", "end"):
            self.deltas += 1
            if not self.media:
                self.delta_bytes += getattr(event, kind).ByteSize()

    def used(self, done: Any) -> tuple[float, int]:
        """(dollars, tokens) the call used: `done` is its usage holder, None when it ended
        without one."""
        if done is not None:
            metadata = getattr(done, "metadata", None)
            if metadata is not None and metadata.get("cache") == "hit":
                return 0.0, 0
            cost = done.cost.total_usd if hasattr(done, "cost") else 0.0
            return cost, done.usage.input_tokens + done.usage.output_tokens
        if not self.deltas:
            return 0.0, 0
        input_tokens = math.ceil(self.request_bytes / BYTES_PER_TOKEN)
        output_tokens = max(self.deltas, math.ceil(self.delta_bytes / BYTES_PER_TOKEN))
        usd = self.price.usd(input_tokens, output_tokens) + self.media_usd
        return usd, input_tokens + output_tokens


@dataclass
class BudgetGate:
    """Reserves and settles a key's budgets in the shared store."""

    store: BudgetStore
    catalog: Catalog
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    """The media caps a transcription's estimate is bounded by."""
    fail_open: bool = True
    """When the store cannot answer: admit (WARNING log) or UNAVAILABLE (the
    `state.limiter_on_failure` policy)."""
    hold_seconds: float = DEFAULT_HOLD_SECONDS
    _settling: set[asyncio.Task[None]] = field(default_factory=set)

    async def reserve(
        self, rpc: str, key_id: str, budgets: Sequence[admin_pb2.Budget], request: Any
    ) -> Hold | None:
        """The call's hold (None: nothing to hold); RESOURCE_EXHAUSTED when a budget is spent."""
        if rpc not in GENERATING_RPCS or not budgets:
            return None
        now = datetime.now(UTC)
        counted = lines(key_id, budgets, now)
        if not counted:
            return None
        records = list(served_records(self.catalog, requested_model(request)))
        price = price_of(records)
        media = media_estimate(request, records, self.limits, price.max_output_tokens)
        if media is None:
            output_tokens = 0 if rpc == "Embed" else _output_cap(request, price)
            media = MediaEstimate(0.0, request.ByteSize(), output_tokens)
        input_tokens, output_tokens = media.input_tokens, media.output_tokens
        usd = media.usd + price.usd(input_tokens, output_tokens)
        reservation = new_reservation(counted, usd, input_tokens + output_tokens)
        stamp = now.timestamp()
        try:
            refused = await self.store.reserve(reservation, stamp, stamp + self.hold_seconds)
        except StateUnavailableError as exc:
            if not self.fail_open:
                raise state_unavailable("budget store", exc) from exc
            log.warning("budgets of API key %r not checked, call admitted: %s", key_id, exc)
            return None
        if refused is not None:
            budget = [b for b in budgets if b.max_cost_usd > 0 or b.max_tokens > 0][refused.index]
            name = f"budget:{PERIOD_NAMES[budget.period]}:{refused.unit}"
            wait: float | None = HELD_RETRY_S
            if refused.by_spend:
                until = seconds_until(window(budget.period, now).reset, now)
                wait = None if math.isinf(until) else until
            raise budget_exhausted(key_id, name, wait)
        return Hold(reservation, price, input_tokens, rpc in MEDIA_RPCS, media.usd)

    async def settle(self, hold: Hold, done: Any) -> None:
        """Settle `hold` with what the call used; runs to its end even when the call is
        cancelled meanwhile (a cancelled stream is exactly when it matters)."""
        task = asyncio.create_task(self._settle(hold, done))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)
        await asyncio.shield(task)

    async def _settle(self, hold: Hold, done: Any) -> None:
        usd, tokens = hold.used(done)
        try:
            await self.store.settle(hold.reservation, max(0, nanos(usd)), tokens)
        except StateUnavailableError as exc:
            log.warning(
                "usage of a call (%d tokens, $%.6f) not added to the budgets of API key %r: %s",
                tokens,
                usd,
                hold.reservation.lines[0].key_id,
                exc,
            )


def _output_cap(request: Any, price: Price) -> int:
    generation = getattr(request, "generation", None)
    if generation is not None and generation.HasField("max_output_tokens"):
        return max(0, int(generation.max_output_tokens))
    return price.max_output_tokens or DEFAULT_OUTPUT_TOKENS
