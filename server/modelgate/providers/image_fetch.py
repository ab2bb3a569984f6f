"""Image URLs for local runtimes: the gateway fetches them itself, pinned to checked addresses.

A local runtime (Ollama, LM Studio, a runtime with `fetch_images: true`) runs
inside our network, so a URL forwarded to it would be fetched from inside, and
Ollama takes no URLs at all. The gateway fetches such images and sends the
bytes. Every hop passes `addresses`: the URL by `url_refusal`, a name is resolved
once and every answer checked by `address_refusal`, and the connection goes to
the checked address (`Pinned`): a DNS answer that changes between the check and
the connect ("rebinding") cannot move it. Redirects are followed by hand, each
one checked the same way. A refused or failed fetch is INVALID_ARGUMENT on the
image's field; the caller's deadline bounds it all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeAlias

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from typing_extensions import override

from modelgate.errors import invalid_argument, quoted, upstream_timeout
from modelgate.providers.addresses import (
    IPAddress,
    address_refusal,
    host_address,
    url_refusal,
)
from modelgate.providers.base import CallContext, Target
from modelgate.providers.structs import IMAGE_MAGIC
from modelgate.v1 import chat_pb2, content_pb2

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 3
FETCH_SECONDS = 30.0
"""Bound on one image fetch (DNS included) when the caller's deadline is later or unset."""
SOURCE = "image fetch"


class Refused(Exception):
    """An image URL the gateway will not or could not fetch; the text says why."""


@dataclass(frozen=True, slots=True)
class Pinned:
    """A checked URL and the one address its connection may go to."""

    url: yarl.URL
    """The URL to request; a literal host is written canonically (`127.1` as 127.0.0.1)."""
    address: IPAddress


@dataclass(frozen=True, slots=True)
class Fetched:
    """An answer: a body (at most the byte cap), or a redirect's location."""

    status: int
    body: bytes = b""
    location: str | None = None


Transport: TypeAlias = Callable[[Pinned, int], Awaitable[Fetched]]


class _PinnedResolver(AbstractResolver):
    """Answers for the pinned host only, with the checked address: no second lookup."""

    def __init__(self, pinned: Pinned) -> None:
        self.pinned = pinned

    @override
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self.pinned.url.raw_host:
            raise OSError(f"connection to {host} is not pinned")
        address = self.pinned.address
        family = socket.AF_INET if address.version == 4 else socket.AF_INET6
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=family,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    @override
    async def close(self) -> None:
        return None


async def http_get(pinned: Pinned, max_bytes: int) -> Fetched:
    """GET over a connection to `pinned.address` only (Host and TLS name stay the URL's)."""
    connector = aiohttp.TCPConnector(
        resolver=_PinnedResolver(pinned), use_dns_cache=False, force_close=True
    )
    async with (
        aiohttp.ClientSession(connector=connector, trust_env=False) as session,
        session.get(pinned.url, allow_redirects=False, headers={"accept": "image/*"}) as answer,
    ):
        if answer.status in (301, 302, 303, 307, 308):
            return Fetched(answer.status, location=answer.headers.get("location"))
        if answer.status != 200:
            return Fetched(answer.status)
        if (answer.content_length or 0) > max_bytes:
            raise Refused(f"is larger than {max_bytes} bytes")
        body = bytearray()
        async for chunk in answer.content.iter_chunked(1 << 16):
            body += chunk
            if len(body) > max_bytes:
                raise Refused(f"is larger than {max_bytes} bytes")
        return Fetched(answer.status, bytes(body))


class ImageFetcher:
    """Fetches image URLs under the address rules; `resolver` and `transport` are seams."""

    def __init__(
        self,
        resolver: AbstractResolver | None = None,
        transport: Transport = http_get,
        *,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self.resolver = resolver
        self.transport = transport
        self.max_bytes = max_bytes

    async def pin(self, url: str, *, allow_private: bool = False) -> Pinned:
        """Check `url`, resolve its host once and check every answer; Refused otherwise."""
        refusal = url_refusal(url, allow_private=allow_private)
        if refusal is not None:
            raise Refused(refusal)
        parsed = yarl.URL(url)
        host = parsed.raw_host or ""
        try:
            literal = host_address(host)
        except ValueError as exc:  # only reachable with allow_private (url_refusal says it)
            raise Refused(
                f"has a host that is neither a name nor an address ({quoted(host)})"
            ) from exc
        if literal is not None:
            return Pinned(parsed.with_host(str(literal)), literal)
        resolver = self.resolver or aiohttp.ThreadedResolver()
        try:
            answers = await resolver.resolve(host, parsed.port or 0, family=socket.AF_UNSPEC)
        except OSError as exc:
            raise Refused(f"has a host that does not resolve ({quoted(host)})") from exc
        addresses = [ipaddress.ip_address(answer["host"]) for answer in answers]
        if not addresses:
            raise Refused(f"has a host that does not resolve ({quoted(host)})")
        for address in [] if allow_private else addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise Refused(f"{refusal}: {quoted(host)} resolves to it")
        return Pinned(parsed, addresses[0])

    async def fetch(self, url: str, *, allow_private: bool = False) -> tuple[bytes, str]:
        """The image's bytes and MIME type (by its magic bytes), following checked redirects."""
        for _hop in range(MAX_REDIRECTS + 1):
            pinned = await self.pin(url, allow_private=allow_private)
            try:
                answer = await self.transport(pinned, self.max_bytes)
            except (aiohttp.ClientError, OSError) as exc:
                raise Refused(f"could not be fetched ({type(exc).__name__})") from exc
            if answer.location is not None:
                try:
                    url = str(pinned.url.join(yarl.URL(answer.location)))
                except ValueError as exc:
                    raise Refused("redirects to something that is not a URL") from exc
                continue
            if answer.status != 200:
                raise Refused(f"could not be fetched (HTTP {answer.status})")
            for mime, magic in IMAGE_MAGIC.items():
                if answer.body.startswith(magic):
                    return answer.body, mime
            raise Refused(f"is not one of {', '.join(IMAGE_MAGIC)}")
        raise Refused(f"redirects more than {MAX_REDIRECTS} times")

    async def inline(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatRequest:
        """`request` with every URL image replaced by its fetched bytes (a copy; the same
        request when it has none). INVALID_ARGUMENT names each image that failed."""
        allow_private = target.allow_private_urls
        if not any(_is_url_image(part) for message in request.messages for part in message.parts):
            return request
        copy = request.__class__()
        copy.MergeFrom(request)
        images = {
            f"messages[{i}].parts[{j}].image.url": part.image
            for i, message in enumerate(copy.messages)
            for j, part in enumerate(message.parts)
            if _is_url_image(part)
        }
        remaining = call.remaining()
        budget = FETCH_SECONDS if remaining is None else min(remaining, FETCH_SECONDS)
        fetches = [self.fetch(image.url, allow_private=allow_private) for image in images.values()]
        try:
            async with asyncio.timeout(max(budget, 0)):
                results = await asyncio.gather(*fetches, return_exceptions=True)
        except TimeoutError as exc:
            if budget < FETCH_SECONDS:
                raise upstream_timeout(SOURCE) from exc
            late = f"could not be fetched within {FETCH_SECONDS:g} s"
            raise invalid_argument([(path, late) for path in images]) from exc
        outcome = dict(zip(images, results, strict=True))
        failed = [(path, str(r)) for path, r in outcome.items() if isinstance(r, Refused)]
        if failed:
            raise invalid_argument(failed)
        for path, result in outcome.items():
            if isinstance(result, BaseException):
                raise result
            images[path].data, images[path].mime_type = result
        return copy


def _is_url_image(part: content_pb2.ContentPart) -> bool:
    return part.WhichOneof("data") == "image" and part.image.WhichOneof("source") == "url"
