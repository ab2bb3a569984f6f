"""Cost of a call from the catalog's per-million-token prices."""

from __future__ import annotations

from modelgate.v1 import generation_pb2, model_pb2


def fill_cost(
    pricing: model_pb2.Pricing, usage: generation_pb2.Usage, cost: generation_pb2.Cost
) -> None:
    """Write the cost of `usage` into `cost` in place (no message copies on the hot path)."""
    if not (pricing.input_per_million_usd or pricing.output_per_million_usd):
        return
    cached = usage.cached_input_tokens
    cached_price = pricing.cached_input_per_million_usd or pricing.input_per_million_usd
    input_usd = (
        (usage.input_tokens - cached) * pricing.input_per_million_usd + cached * cached_price
    ) / 1e6
    output_usd = usage.output_tokens * pricing.output_per_million_usd / 1e6
    cost.input_usd = input_usd
    cost.output_usd = output_usd
    cost.total_usd = input_usd + output_usd
