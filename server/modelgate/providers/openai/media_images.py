"""OpenAI image generation (`POST /v1/images/generations`) as GenerateImage events.

The answer is one JSON document (`ImagesResponse`: `data[]` of `b64_json` or `url`, with
`revised_prompt`; `usage` for GPT image models; see the openai SDK's
`types/images_response.py`). Its size is capped (IMAGE_ANSWER_MAX_BYTES), and each
image's base64 text is decoded one slice at a time into `ImageChunk`s of at most
MEDIA_CHUNK_BYTES, so no decoded image is ever held whole beside its text.

`response_format` is sent only to DALL-E models (`b64_json`: their default is a URL that
expires); GPT image models refuse the field and always answer base64. A `url` answer all
the same (an OpenAI-compatible server) is fetched under the image fetch rules
(providers/image_fetch.py: no private addresses unless `allow_private_image_urls`,
checked redirects, 20 MiB, the caller's deadline and 30 s); a refused fetch is
UNAVAILABLE UPSTREAM_INVALID_RESPONSE naming the image.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp

from modelgate.errors import upstream_invalid_response, upstream_timeout
from modelgate.providers.base import MEDIA_CHUNK_BYTES, CallContext, Target
from modelgate.providers.http import HttpUpstream
from modelgate.providers.image_fetch import FETCH_SECONDS, ImageFetcher, Refused
from modelgate.providers.structs import IMAGE_MAGIC
from modelgate.providers.upstream_json import count, obj, objects, parse_object, text
from modelgate.v1 import generation_pb2, image_pb2

IMAGE_ANSWER_MAX_BYTES = 128 << 20
"""Largest image answer read (ten 1536x1024 PNGs in base64 are about 60 MB); a longer
one is UPSTREAM_INVALID_RESPONSE rather than unbounded memory."""
B64_SLICE = MEDIA_CHUNK_BYTES // 3 * 4
"""Base64 characters decoded at a time: a multiple of 4 that decodes to at most 1 MiB."""

FORMATS = {
    image_pb2.IMAGE_FORMAT_PNG: "png",
    image_pb2.IMAGE_FORMAT_JPEG: "jpeg",
    image_pb2.IMAGE_FORMAT_WEBP: "webp",
}
BACKGROUNDS = {
    image_pb2.IMAGE_BACKGROUND_AUTO: "auto",
    image_pb2.IMAGE_BACKGROUND_OPAQUE: "opaque",
    image_pb2.IMAGE_BACKGROUND_TRANSPARENT: "transparent",
}
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}

Event = image_pb2.GenerateImageResponse


def image_body(target: Target, request: image_pb2.GenerateImageRequest) -> dict[str, Any]:
    """The JSON body: every field the caller set, under OpenAI's name."""
    body: dict[str, Any] = {"model": target.upstream_name, "prompt": request.prompt}
    optional: dict[str, Any] = {
        "n": request.count,
        "size": request.size,
        "quality": request.quality,
        "style": request.style,
        "output_format": FORMATS.get(request.output_format),
        "output_compression": request.output_compression,
        "background": BACKGROUNDS.get(request.background),
        "user": request.user,
    }
    body.update({key: value for key, value in optional.items() if value})
    if target.upstream_name.startswith("dall-e"):
        body["response_format"] = "b64_json"
    return body


async def generate_image(
    http: HttpUpstream,
    path: str,
    target: Target,
    request: image_pb2.GenerateImageRequest,
    call: CallContext,
) -> AsyncIterator[image_pb2.GenerateImageResponse]:
    """For each image `image` then its `chunk`s, then `end` with the usage."""
    provider = http.provider
    body = image_body(target, request)
    async with http.stream(path, body, call) as response:
        raw = await _read_capped(provider, response)
    answer = parse_object(provider, raw, "its answer")
    del raw
    images = objects(provider, answer.get("data"), "data")
    if not images:
        raise upstream_invalid_response(provider, "answered without images")
    declared = text(provider, answer.get("output_format"), "output_format")
    declared = declared or body.get("output_format", "")
    for index, image in enumerate(images):
        revised = text(provider, image.get("revised_prompt"), f"data[{index}].revised_prompt")
        encoded = text(provider, image.get("b64_json"), f"data[{index}].b64_json")
        url = text(provider, image.get("url"), f"data[{index}].url")
        pieces: Iterator[bytes]
        if encoded:
            pieces = _decoded(provider, encoded, index)
            size = _decoded_size(provider, encoded, index)
        elif url:
            fetched = await _fetch(provider, url, index, target, call)
            pieces = iter(_slices(fetched))
            size = len(fetched)
        else:
            raise upstream_invalid_response(provider, f"sent data[{index}] without an image")
        first = next(pieces, b"")
        started = image_pb2.ImageStarted(
            index=index,
            mime_type=_mime(first, declared),
            revised_prompt=revised,
            size_bytes=size,
        )
        yield Event(image=started)
        for piece in (first, *pieces) if first else ():
            yield Event(chunk=image_pb2.ImageChunk(index=index, data=piece))
        images[index] = {}  # let the image's text go before the next one is decoded
    end = image_pb2.ImageGenerationEnd(image_count=len(images))
    _fill_usage(provider, end.usage, answer.get("usage"))
    yield Event(end=end)


async def _read_capped(provider: str, response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > IMAGE_ANSWER_MAX_BYTES:
        raise _too_long(provider)
    body = bytearray()
    async for piece in response.content.iter_chunked(1 << 16):
        body += piece
        if len(body) > IMAGE_ANSWER_MAX_BYTES:
            raise _too_long(provider)
    return bytes(body)


def _too_long(provider: str) -> Exception:
    return upstream_invalid_response(
        provider, f"sent an image answer longer than {IMAGE_ANSWER_MAX_BYTES} bytes"
    )


def _decoded(provider: str, encoded: str, index: int) -> Iterator[bytes]:
    """The image's bytes, one slice of base64 decoded at a time."""
    for start in range(0, len(encoded), B64_SLICE):
        try:
            yield base64.b64decode(encoded[start : start + B64_SLICE], validate=True)
        except (binascii.Error, ValueError):
            raise upstream_invalid_response(
                provider, f"sent data[{index}].b64_json that is not base64"
            ) from None


def _decoded_size(provider: str, encoded: str, index: int) -> int:
    if len(encoded) % 4:
        raise upstream_invalid_response(
            provider, f"sent data[{index}].b64_json that is not base64 (length)"
        )
    padding = 2 if encoded.endswith("==") else 1 if encoded.endswith("=") else 0
    return len(encoded) // 4 * 3 - padding


def _slices(data: bytes) -> list[bytes]:
    return [data[i : i + MEDIA_CHUNK_BYTES] for i in range(0, len(data), MEDIA_CHUNK_BYTES)]


def _mime(first: bytes, declared: str) -> str:
    """By the bytes' signature, else the answer's or request's format, else PNG."""
    for mime, magic in IMAGE_MAGIC.items():
        if first.startswith(magic):
            return mime
    return MIME_TYPES.get(declared, "image/png")


async def _fetch(provider: str, url: str, index: int, target: Target, call: CallContext) -> bytes:
    remaining = call.remaining()
    budget = FETCH_SECONDS if remaining is None else min(remaining, FETCH_SECONDS)
    try:
        async with asyncio.timeout(max(budget, 0)):
            data, _mime_type = await ImageFetcher().fetch(
                url, allow_private=target.allow_private_urls
            )
    except TimeoutError:
        if budget < FETCH_SECONDS:
            raise upstream_timeout(provider) from None
        reason = f"could not be fetched within {FETCH_SECONDS:g} s"
    except Refused as refused:
        reason = str(refused)
    else:
        return data
    what = f"sent an image URL (data[{index}].url) that {reason}"
    raise upstream_invalid_response(provider, what)


def _fill_usage(provider: str, usage: generation_pb2.Usage, data: Any) -> None:
    """GPT image models' token usage (`input_tokens`, `output_tokens`, `total_tokens`)."""
    data = obj(provider, data, "usage")
    usage.input_tokens = count(provider, data.get("input_tokens"), "usage.input_tokens")
    usage.output_tokens = count(provider, data.get("output_tokens"), "usage.output_tokens")
    total = data.get("total_tokens") or usage.input_tokens + usage.output_tokens
    usage.total_tokens = count(provider, total, "usage.total_tokens")
