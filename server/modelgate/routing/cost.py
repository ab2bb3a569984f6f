"""Cost of a call from the catalog's per-million-token prices.

What the token counts mean (generation.proto `Usage`, normalized by every
backend): `input_tokens` is the whole prompt, cache reads
(`cached_input_tokens`) and cache writes (`cache_creation_input_tokens`)
included; `output_tokens` is everything generated, reasoning
(`reasoning_tokens`) included. So each token is priced once:

    fresh input  = input_tokens - cached_input_tokens - cache_creation_input_tokens
    input_usd    = fresh * input + cached * cached_input + written * cache_write
    output_usd   = (output_tokens - reasoning_tokens) * output + reasoning * reasoning

A price left at 0 falls back to the base price of its side (cached_input and
cache_write to input, reasoning to output), as Pricing documents.

Media is billed per unit where the provider bills so (`media_usd`, a part of
`total_usd` in neither input nor output): per image by size and quality (the first
matching `image_prices` row), per minute of transcribed audio, per million characters
of speech input. Token-billed media (gpt-image-1, gpt-4o-transcribe) is priced by its
usage with the token prices, like any other call; a model may have both.
"""

from __future__ import annotations

from modelgate.v1 import generation_pb2, model_pb2

PER = 1e6
"""Prices are per million tokens."""


def fill_cost(
    pricing: model_pb2.Pricing, usage: generation_pb2.Usage, cost: generation_pb2.Cost
) -> None:
    """Write the cost of `usage` into `cost` in place (no message copies on the hot path)."""
    input_price = pricing.input_per_million_usd
    output_price = pricing.output_per_million_usd
    if not (input_price or output_price):
        return
    cached = usage.cached_input_tokens
    written = usage.cache_creation_input_tokens
    fresh = max(usage.input_tokens - cached - written, 0)
    cache_read_usd = cached * (pricing.cached_input_per_million_usd or input_price) / PER
    cache_write_usd = written * (pricing.cache_write_per_million_usd or input_price) / PER
    input_usd = fresh * input_price / PER + cache_read_usd + cache_write_usd
    reasoning = min(usage.reasoning_tokens, usage.output_tokens)
    reasoning_usd = reasoning * (pricing.reasoning_per_million_usd or output_price) / PER
    output_usd = (usage.output_tokens - reasoning) * output_price / PER + reasoning_usd
    cost.input_usd = input_usd
    cost.output_usd = output_usd
    cost.total_usd = input_usd + output_usd
    cost.cache_read_usd = cache_read_usd
    cost.cache_write_usd = cache_write_usd
    cost.reasoning_usd = reasoning_usd


def _matching(pricing: model_pb2.Pricing, size: str, quality: str) -> list[float]:
    """Per-image prices of the rows that match `size` and `quality` (empty matches any)."""
    return [
        row.per_image_usd
        for row in pricing.image_prices
        if row.size in ("", size) and row.quality in ("", quality)
    ]


def image_usd(pricing: model_pb2.Pricing, size: str, quality: str, count: int) -> float:
    """`count` images of `size` and `quality` at the first matching per-image price."""
    prices = _matching(pricing, size, quality)
    return count * prices[0] if prices else 0.0


def highest_image_usd(pricing: model_pb2.Pricing, size: str, quality: str) -> float:
    """The highest matching per-image price: never below what `image_usd` bills an image."""
    return max(_matching(pricing, size, quality), default=0.0)


def transcription_usd(pricing: model_pb2.Pricing, seconds: float) -> float:
    """Per-minute price of `seconds` of transcribed audio."""
    return seconds / 60 * pricing.transcription_per_minute_usd


def speech_usd(pricing: model_pb2.Pricing, characters: int) -> float:
    """Per-million-characters price of a speech input of `characters`."""
    return characters * pricing.speech_per_million_characters_usd / PER


def fill_media_cost(
    pricing: model_pb2.Pricing,
    usage: generation_pb2.Usage,
    cost: generation_pb2.Cost,
    media_usd: float,
) -> None:
    """`fill_cost` for the tokens of `usage`, plus `media_usd` billed per unit."""
    fill_cost(pricing, usage, cost)
    cost.media_usd = media_usd
    cost.total_usd = cost.input_usd + cost.output_usd + media_usd
