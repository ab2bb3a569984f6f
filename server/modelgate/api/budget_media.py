"""What a media call may cost, known before it runs: the reservation of `budget_gate`.

Each estimate is an upper bound of what the call is billed, so that budgets keep their
"at most one call over" rule for media as for text (docs/operations.md "Budgets"):

- GenerateImage: `count` (0: 1) images at the highest per-image price whose row matches
  the request's size and quality (`cost.highest_image_usd`: never below the first
  matching row, which bills);
- Speak: the text's characters at the per-million-characters price;
- Transcribe, StreamTranscribe: an upload's announced `audio_size_bytes` is not a
  duration (an Opus file holds hours in the bytes a WAV spends on minutes), so the
  audio is priced at the gateway's duration cap, `limits.media_max_audio_seconds`.

Token-billed media (gpt-image-1, gpt-4o-mini-tts, gpt-4o-transcribe) is priced by tokens
as text is: input tokens at most the request's bytes, plus for an upload its announced
size (else `limits.media_max_upload_bytes`; audio tokens are far fewer than its bytes);
output tokens the model's `max_output_tokens`, else `DEFAULT_OUTPUT_TOKENS`, per image.
For an alias, each price is the highest over its deployments and fallbacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelgate.config import LimitsConfig
from modelgate.errors import GatewayError
from modelgate.routing.catalog import Catalog
from modelgate.routing.cost import highest_image_usd
from modelgate.v1 import audio_pb2, image_pb2, model_pb2

DEFAULT_OUTPUT_TOKENS = 4096
"""Output tokens reserved when neither the request nor the model caps them."""
PER = 1e6


def served_records(catalog: Catalog, name: str) -> Iterator[model_pb2.Model]:
    """The records of every model `name` (a model id, short name or alias) may be served
    by; none for a name the catalog does not know (the router answers NOT_FOUND anyway)."""
    alias = catalog.aliases.get(name)
    targets = [d.model for d in alias.deployments] + list(alias.fallbacks) if alias else [name]
    for target in targets:
        try:
            yield catalog.resolve(target).record
        except GatewayError:
            continue


@dataclass(frozen=True)
class MediaEstimate:
    """A media call's reservation before the token prices: dollars billed per unit (images,
    characters, minutes) and the tokens it may use."""

    usd: float
    input_tokens: int
    output_tokens: int


def media_estimate(
    request: Any, records: list[model_pb2.Model], limits: LimitsConfig, output_cap: int
) -> MediaEstimate | None:
    """The estimate of a media request (an upload's first message); None for other requests.
    `output_cap` is the highest `max_output_tokens` of `records` (0: none)."""
    per_output = output_cap or DEFAULT_OUTPUT_TOKENS
    size = request.ByteSize()
    if isinstance(request, image_pb2.GenerateImageRequest):
        count = request.count or 1
        per_image = max(
            (highest_image_usd(r.pricing, request.size, request.quality) for r in records),
            default=0.0,
        )
        return MediaEstimate(count * per_image, size, count * per_output)
    if isinstance(request, audio_pb2.SpeakRequest):
        per_million = max(
            (r.pricing.speech_per_million_characters_usd for r in records), default=0.0
        )
        return MediaEstimate(len(request.text) * per_million / PER, size, per_output)
    if isinstance(request, audio_pb2.TranscribeRequest | audio_pb2.StreamTranscribeRequest):
        per_minute = max((r.pricing.transcription_per_minute_usd for r in records), default=0.0)
        announced = request.config.audio_size_bytes
        audio = announced if announced > 0 else limits.media_max_upload_bytes
        minutes = limits.media_max_audio_seconds / 60
        return MediaEstimate(per_minute * minutes, size + audio, per_output)
    return None
