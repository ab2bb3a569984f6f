"""Validation of the media RPCs' requests, every violation at once with its field path.

GenerateImage and Speak are checked whole before routing; a Transcribe upload's config
is checked when its first message arrives (`modelgate.api.media_upload`). Text over
`limits.speech_max_chars` is OUT_OF_RANGE `MEDIA_TOO_LARGE`, not INVALID_ARGUMENT: the
request is well formed, only larger than this gateway takes.
"""

from __future__ import annotations

import math
import re
from typing import Any

from modelgate.config import LimitsConfig
from modelgate.errors import invalid_argument, media_too_large
from modelgate.v1 import audio_pb2, image_pb2

Violations = list[tuple[str, str]]

MAX_IMAGES = 10
"""Images of one GenerateImage call (OpenAI's `n` takes 1 to 10)."""
SPEED_RANGE = (0.25, 4.0)
"""Speak's speed, as OpenAI's `speed` takes it."""
_SIZE = re.compile(r"^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$")
_IMAGE_FORMATS = frozenset(image_pb2.ImageFormat.values())
_BACKGROUNDS = frozenset(image_pb2.ImageBackground.values())
_AUDIO_FORMATS = frozenset(audio_pb2.AudioFormat.values())
_GRANULARITIES = frozenset(audio_pb2.TimestampGranularity.values()) - {
    audio_pb2.TIMESTAMP_GRANULARITY_UNSPECIFIED
}


def _common(out: Violations, path: str, model: str, metadata: Any, limits: LimitsConfig) -> None:
    if not model:
        out.append((f"{path}model", "is required"))
    if len(metadata) > limits.max_metadata_entries:
        out.append((f"{path}metadata", f"at most {limits.max_metadata_entries} entries"))


def validate_generate_image(request: image_pb2.GenerateImageRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for an empty prompt, a count outside 1-10 or a bad option."""
    out: Violations = []
    _common(out, "", request.model, request.metadata, limits)
    if not request.prompt.strip():
        out.append(("prompt", "is required"))
    if not 0 <= request.count <= MAX_IMAGES:
        out.append(("count", f"must be in [1, {MAX_IMAGES}] (0: 1), got {request.count}"))
    if request.size and not _SIZE.match(request.size):
        out.append(("size", 'must be "WIDTHxHEIGHT" or "auto"'))
    if request.output_format not in _IMAGE_FORMATS:
        out.append(("output_format", f"unknown value {request.output_format}"))
    if not 0 <= request.output_compression <= 100:
        out.append(("output_compression", "must be in [0, 100]"))
    if request.background not in _BACKGROUNDS:
        out.append(("background", f"unknown value {request.background}"))
    if out:
        raise invalid_argument(out)


def validate_speak(request: audio_pb2.SpeakRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for empty text, a speed outside 0.25-4 or an unknown format;
    OUT_OF_RANGE for text over `limits.speech_max_chars`."""
    out: Violations = []
    _common(out, "", request.model, request.metadata, limits)
    if not request.text.strip():
        out.append(("text", "is required"))
    low, high = SPEED_RANGE
    if request.HasField("speed") and not (low <= request.speed <= high):
        out.append(("speed", f"must be in [{low}, {high}], got {request.speed:g}"))
    if request.format not in _AUDIO_FORMATS:
        out.append(("format", f"unknown value {request.format}"))
    if out:
        raise invalid_argument(out)
    if len(request.text) > limits.speech_max_chars:
        raise media_too_large("speech_max_chars", limits.speech_max_chars, "characters")


def validate_transcription(config: audio_pb2.TranscriptionConfig, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for a config without model or file name, or a bad option;
    OUT_OF_RANGE when the announced size is already over `limits.media_max_upload_bytes`."""
    out: Violations = []
    _common(out, "config.", config.model, config.metadata, limits)
    if not config.filename:
        out.append(("config.filename", "is required (its extension names the format)"))
    if config.HasField("temperature") and (
        math.isnan(config.temperature) or not 0 <= config.temperature <= 1
    ):
        out.append(("config.temperature", "must be in [0, 1]"))
    for i, granularity in enumerate(config.timestamp_granularities):
        if granularity not in _GRANULARITIES:
            out.append((f"config.timestamp_granularities[{i}]", f"unknown value {granularity}"))
    if config.audio_size_bytes < 0:
        out.append(("config.audio_size_bytes", "must be >= 0"))
    if out:
        raise invalid_argument(out)
    if config.audio_size_bytes > limits.media_max_upload_bytes:
        raise media_too_large("media_max_upload_bytes", limits.media_max_upload_bytes, "bytes")
