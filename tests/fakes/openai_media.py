"""OpenAI image generation and speech for FakeOpenAI (transcription: openai_transcribe.py).

Wire formats as the openai SDK reads them (`types/images_response.py`, the speech
endpoint's binary answer): `/v1/images/generations` answers one JSON document with
`data[].b64_json` (GPT image models always; DALL-E when `response_format` is
`b64_json`, else a `url` served by this fake under /fake-files/), `revised_prompt` for
dall-e-3 and token `usage` for GPT image models; `/v1/audio/speech` answers the audio
chunked (no Content-Length), in 16 KiB writes paced like tokens, so a slow-by-design
fake plays a long stream. Pixels are small unless `size` asks for more (a `1024x1024`
image is about 3 MB of incompressible PNG: the chunking tests use it).
"""

from __future__ import annotations

import base64
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .base import Frame
from .media_bytes import SAMPLE_RATE, mp3_frames, png, wav
from .plan import rid
from .scenario import Fault, Reply

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI

DEFAULT_SIDE = 32
"""Pixels per side when `size` is absent or "auto" (the real default, 1024, is slow to make)."""
SPEECH_WRITE_BYTES = 16 * 1024
SAMPLES_PER_CHAR = SAMPLE_RATE // 20
"""Speech length follows the text: 50 ms of audio per character."""
SPEECH_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_SIZE = re.compile(r"^(\d{1,4})x(\d{1,4})$")
_SIGNATURES = {"jpeg": b"\xff\xd8\xff\xe0", "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 "}


def image_bytes(prompt: str, size: str, output_format: str) -> bytes:
    """A PNG of the asked size; JPEG and WebP answers carry their signature before it."""
    match = _SIZE.match(size)
    width, height = (int(match[1]), int(match[2])) if match else (DEFAULT_SIDE, DEFAULT_SIDE)
    return _SIGNATURES.get(output_format, b"") + png(width, height, prompt)


async def handle_images(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """POST /v1/images/generations."""
    body, bad = fake.check(request, "prompt")
    if bad is not None:
        return fake.error_response(request, bad)
    model = str(body.get("model") or "dall-e-2")
    gpt_image = model.startswith("gpt-image")
    if gpt_image and "response_format" in body:
        unknown = fake.bad_request(
            "Unknown parameter: 'response_format'.", "response_format", "unknown_parameter"
        )
        return fake.error_response(request, unknown)
    behaviour = fake.next_behaviour(request)
    fault = behaviour if isinstance(behaviour, Fault) else None
    prompt = str(body["prompt"])
    output_format = str(body.get("output_format", "png"))
    count = int(body.get("n") or 1)
    data = []
    for index in range(count):
        image = image_bytes(f"{prompt}#{index}", str(body.get("size", "auto")), output_format)
        item: dict[str, Any] = {}
        if gpt_image or body.get("response_format") == "b64_json":
            item["b64_json"] = base64.b64encode(image).decode()
        else:
            name = rid("img-", 24) + ".png"
            fake.hosted_files[name] = image
            item["url"] = f"{fake.url}/fake-files/{name}"
        if model == "dall-e-3":
            item["revised_prompt"] = f"A detailed picture of {prompt}"
        data.append(item)
    out: dict[str, Any] = {"created": int(time.time()), "data": data}
    if gpt_image:
        words = len(prompt.split())
        out |= {
            "background": body.get("background", "opaque"),
            "output_format": output_format,
            "quality": body.get("quality", "high"),
            "size": body.get("size", "1024x1024"),
            "usage": {
                "input_tokens": words,
                "input_tokens_details": {"image_tokens": 0, "text_tokens": words},
                "output_tokens": 272 * count,
                "output_tokens_details": {"image_tokens": 272 * count, "text_tokens": 0},
                "total_tokens": words + 272 * count,
            },
        }
    return await fake.unary(request, out, timing=fake.timing, tokens=1, fault=fault)


async def handle_hosted_file(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """GET /fake-files/{name}: an image a DALL-E `url` answer points at."""
    found = fake.hosted_files.get(request.match_info["name"])
    if found is None:
        return web.Response(status=404)
    return web.Response(body=found, content_type="image/png")


def speech_audio(text: str, response_format: str) -> bytes:
    """Audio whose length follows the text: WAV or raw PCM silence, else MP3-framed blocks."""
    samples = max(len(text), 1) * SAMPLES_PER_CHAR
    if response_format == "wav":
        return wav(samples)
    if response_format == "pcm":
        return bytes(samples * 2)
    return mp3_frames(samples * 2 // 417 + 1)


async def handle_speech(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """POST /v1/audio/speech: the audio, chunked as it is "synthesized"."""
    body, bad = fake.check(request, "model", "input", "voice")
    if bad is not None:
        return fake.error_response(request, bad)
    response_format = str(body.get("response_format", "mp3"))
    if response_format not in SPEECH_TYPES:
        return fake.error_response(
            request,
            fake.bad_request(
                f"Invalid value: '{response_format}'. Supported values are: "
                "'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.",
                "response_format",
                "invalid_value",
            ),
        )
    behaviour = fake.next_behaviour(request)
    fault = behaviour if isinstance(behaviour, Fault) else None
    if fault is not None and fault.kind == "stream_error":  # audio has no in-band error
        fault = Fault.reset_mid_stream(fault.after_chunks or 1)
    timing = behaviour.timing(fake.timing) if isinstance(behaviour, Reply) else fake.timing
    audio = speech_audio(str(body["input"]), response_format)
    frames = [
        Frame(audio[i : i + SPEECH_WRITE_BYTES], "token")
        for i in range(0, len(audio), SPEECH_WRITE_BYTES)
    ]
    frames.append(Frame(b"", "end"))
    return await fake.stream(
        request, frames, timing=timing, fault=fault, content_type=SPEECH_TYPES[response_format]
    )
