"""The cost of a call priced by hand: every token once, at the price of its kind."""

from __future__ import annotations

import pytest

from modelgate.routing.cost import fill_cost
from modelgate.v1 import generation_pb2, model_pb2

PRICING = model_pb2.Pricing(
    input_per_million_usd=3.0,
    output_per_million_usd=15.0,
    cached_input_per_million_usd=0.30,
    cache_write_per_million_usd=3.75,
    reasoning_per_million_usd=20.0,
)
USAGE = generation_pb2.Usage(
    input_tokens=10_000,  # 2,000 fresh + 5,000 read from the cache + 3,000 written to it
    cached_input_tokens=5_000,
    cache_creation_input_tokens=3_000,
    output_tokens=1_500,  # 500 of answer + 1,000 of reasoning
    reasoning_tokens=1_000,
    total_tokens=11_500,
)


def _cost(pricing: model_pb2.Pricing, usage: generation_pb2.Usage) -> generation_pb2.Cost:
    cost = generation_pb2.Cost()
    fill_cost(pricing, usage, cost)
    return cost


def test_cache_reads_writes_and_reasoning_are_each_priced_once() -> None:
    cost = _cost(PRICING, USAGE)
    # By hand, in dollars: input 2,000 x 3/1e6 = 0.006; reads 5,000 x 0.30/1e6 = 0.0015;
    # writes 3,000 x 3.75/1e6 = 0.01125; answer 500 x 15/1e6 = 0.0075;
    # reasoning 1,000 x 20/1e6 = 0.02.
    assert cost.cache_read_usd == pytest.approx(0.0015)
    assert cost.cache_write_usd == pytest.approx(0.01125)
    assert cost.input_usd == pytest.approx(0.006 + 0.0015 + 0.01125)  # 0.01875
    assert cost.reasoning_usd == pytest.approx(0.02)
    assert cost.output_usd == pytest.approx(0.0075 + 0.02)  # 0.0275
    assert cost.total_usd == pytest.approx(0.04625)


def test_unset_cache_and_reasoning_prices_fall_back_to_input_and_output() -> None:
    base = model_pb2.Pricing(input_per_million_usd=3.0, output_per_million_usd=15.0)
    cost = _cost(base, USAGE)
    # 10,000 input tokens x 3/1e6 = 0.03 (reads 0.015, writes 0.009); 1,500 x 15/1e6 = 0.0225.
    assert cost.input_usd == pytest.approx(0.03)
    assert cost.cache_read_usd == pytest.approx(0.015)
    assert cost.cache_write_usd == pytest.approx(0.009)
    assert cost.output_usd == pytest.approx(0.0225)
    assert cost.reasoning_usd == pytest.approx(0.015)
    assert cost.total_usd == pytest.approx(0.0525)


def test_a_model_without_prices_costs_nothing() -> None:
    assert _cost(model_pb2.Pricing(), USAGE) == generation_pb2.Cost()
