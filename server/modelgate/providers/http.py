"""The lean HTTP path to upstreams: one pooled aiohttp session per runtime.

Measured (issue 9): the official SDKs' request building and response parsing
cost about 4x the throughput of raw aiohttp + orjson, so the hot endpoints
(chat, streaming, completions, embeddings, and since issue 14 OpenAI's
Responses API) go through here, and the SDKs are kept for rarely used,
type-heavy endpoints. The SDK-parsed fake-upstream tests
guard that our bodies stay wire-identical.

Every request carries the caller's remaining deadline as its total timeout, so
an expired caller never keeps an upstream request (and its tokens) running;
leaving the `stream()` context closes the connection at once.

Streams are split into lines here rather than by aiohttp's readline: its 128 KiB line
limit ended calls with a big tool-call argument, and splitting whole reads costs less per
line (`uv run python -m bench.line_reading`: 0.7-0.8 us against 1.8-3.5 us when a read
holds 16 events, the same within noise at one event per read). A line, or an SSE event,
longer than `limits.upstream_max_line_bytes` ends the call UPSTREAM_INVALID_RESPONSE, so
one stream holds at most about twice that.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeAlias

import aiohttp
import orjson

from modelgate.errors import (
    GatewayError,
    upstream_invalid_response,
    upstream_timeout,
    upstream_unavailable,
)
from modelgate.providers.base import CallContext
from modelgate.providers.upstream_errors import classify_body
from modelgate.providers.upstream_json import parse
from modelgate.records import host_port

DEFAULT_CONNECTIONS = 4096
"""Pooled connections per runtime (runtime option `max_connections`). Each open stream
holds one, so this must exceed the streams a process serves at once: the bench measured
1,000 concurrent streams queueing behind aiohttp's usual 100 and an earlier cap of 256."""

HEAD_LINE_BYTES = 1 << 16
"""Longest HTTP status or header line (aiohttp's `max_line_size`); body lines are capped
by `CallContext.max_line_bytes` instead."""
SSE_TYPES = frozenset({"text/event-stream"})
"""The SSE spec's one content type: anything else (an HTML error page) is not a stream."""
JSON_TYPES = frozenset({"application/json"})
"""What a unary answer should say it is; JSON under another type is read all the same,
and the type is named only when the body is not JSON (an HTML error page)."""
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/json"})
"""Ollama's NDJSON type; application/json too, since each line is checked anyway."""

ErrorClassifier: TypeAlias = Callable[[str, bytes, int, Mapping[str, str]], GatewayError]
"""(provider, raw body, HTTP status, headers) -> the failure: how an API's error bodies read
(`classify_body` for OpenAI-style bodies, Gemini's google.rpc.Status in gemini/errors.py)."""


ERROR_BODY_BYTES = 1 << 16
"""What is read of an error answer: enough for any provider's error JSON (the message is
cut to 500 characters anyway); the rest is dropped with the connection."""


async def _body_prefix(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """The body's first `limit` bytes, and whether that was all of it. A longer body's
    connection is closed: the rest is never read, so it cannot be reused."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:  # one byte past `limit` tells a body of exactly `limit` from more
        chunk = await response.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
    response.close()
    return b"".join(parts)[:limit], False


async def read_answer(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole answer body, or ProtocolFault as soon as it passes `limit` bytes (by its
    Content-Length before any of it is read, else while it arrives): an upstream, or a
    proxy in front of it, cannot make the gateway hold an unbounded answer."""
    length = response.content_length
    if length is not None:
        if length > limit:
            response.close()
            raise ProtocolFault(f"announced an answer of {length} bytes, over the {limit} cap")
        return await response.read()  # the common case: aiohttp reads exactly `length`
    body, whole = await _body_prefix(response, limit)
    if not whole:
        raise ProtocolFault(f"sent an answer of more than {limit} bytes")
    return body


async def read_error_body(response: aiohttp.ClientResponse) -> bytes:
    """The first `ERROR_BODY_BYTES` of an error answer (all of a normal one)."""
    body, _ = await _body_prefix(response, ERROR_BODY_BYTES)
    return body


class ProtocolFault(Exception):
    """A body that breaks its wire format, found where the provider is not known:
    `HttpUpstream.stream` raises it as UPSTREAM_INVALID_RESPONSE naming the provider."""


class HttpUpstream:
    """JSON and streaming requests to one base URL with fixed headers."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        connections: int = DEFAULT_CONNECTIONS,
        query: Mapping[str, str] | None = None,
        errors: ErrorClassifier = classify_body,
    ) -> None:
        self.provider = provider
        self.query = dict(query or {}) or None
        """URL query parameters on every request (Azure's `api-version`)."""
        self._classify = errors
        self.base_url = base_url.rstrip("/")
        self.where = host_port(self.base_url)
        """host:port named in transport errors (never the URL: it may carry credentials)."""
        self.headers = {"content-type": "application/json", **headers}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The pooled session, created inside the running loop on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300),
                headers=self.headers,
                json_serialize=lambda value: orjson.dumps(value).decode(),
                read_bufsize=1 << 16,
                max_line_size=HEAD_LINE_BYTES,
                max_field_size=HEAD_LINE_BYTES,
            )
        return self._session

    def _timeout(self, call: CallContext) -> aiohttp.ClientTimeout:
        remaining = call.remaining()
        if remaining is not None and remaining <= 0:
            raise upstream_timeout(self.provider)
        return aiohttp.ClientTimeout(total=remaining)

    def _error(self, response: aiohttp.ClientResponse, raw: bytes) -> GatewayError:
        return self._classify(self.provider, raw, response.status, response.headers)

    async def request_json(
        self, method: str, path: str, body: Any, call: CallContext
    ) -> tuple[Any, Mapping[str, str]]:
        """Send `body` as JSON, return the parsed JSON answer and its headers.

        `path` is relative to the base URL, or absolute (LM Studio's listing
        lives beside its /v1 root).
        """
        data = orjson.dumps(body) if body is not None else None
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        try:
            async with self.session().request(
                method,
                url,
                data=data,
                params=self.query,
                timeout=self._timeout(call),
                headers=call.trace_headers or None,
            ) as response:
                if response.status >= 400:
                    raise self._error(response, await read_error_body(response))
                raw = await read_answer(response, call.max_answer_bytes)
                if not raw:
                    return None, response.headers
                kind = response.content_type
                what = "its answer" if kind in JSON_TYPES else f"its {kind} answer"
                return parse(self.provider, raw, what), response.headers
        except TimeoutError as exc:
            raise upstream_timeout(self.provider) from exc
        except aiohttp.ClientError as exc:
            raise upstream_unavailable(self.provider, _transport_failure(exc, self.where)) from exc
        except ProtocolFault as exc:
            raise upstream_invalid_response(self.provider, str(exc)) from None

    async def post_json(
        self, path: str, body: Any, call: CallContext
    ) -> tuple[Any, Mapping[str, str]]:
        """POST JSON, return JSON."""
        return await self.request_json("POST", path, body, call)

    @contextlib.asynccontextmanager
    async def stream(
        self,
        path: str,
        body: Any,
        call: CallContext,
        *,
        form: aiohttp.MultipartWriter | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """POST and yield the open response once headers are in (status already checked).

        `body` goes as JSON, or `form` (multipart/form-data, its parts written as they are
        produced: an upload streamed from the caller) instead. Leaving the block closes the
        connection, so a cancelled caller stops the upstream generation immediately.
        """
        headers = dict(call.trace_headers)
        if form is not None:
            headers["content-type"] = form.content_type  # the session's default is JSON
        try:
            async with self.session().post(
                self.base_url + path,
                data=orjson.dumps(body) if form is None else form,
                params=self.query,
                timeout=self._timeout(call),
                headers=headers or None,
            ) as response:
                if response.status >= 400:
                    raise self._error(response, await read_error_body(response))
                try:
                    yield response
                except BaseException:
                    response.close()  # drop the connection: never reuse a half-read stream
                    raise
        except TimeoutError as exc:
            raise upstream_timeout(self.provider) from exc
        except aiohttp.ClientPayloadError as exc:
            raise upstream_unavailable(
                self.provider, f"stream from {self.where} broke off"
            ) from exc
        except aiohttp.ClientError as exc:
            raise upstream_unavailable(self.provider, _transport_failure(exc, self.where)) from exc
        except ProtocolFault as exc:
            raise upstream_invalid_response(self.provider, str(exc)) from None

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)


def _transport_failure(exc: aiohttp.ClientError, where: str) -> str:
    """What went wrong on the wire, naming host:port, e.g. "connection refused by h:443"."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = f"{exc.host}:{exc.port}"
        if isinstance(exc.os_error, ConnectionRefusedError):
            return f"connection refused by {where}"
        return f"cannot connect to {where} ({exc.strerror or type(exc.os_error).__name__})"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"answer from {where} broke off"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"connection to {where} closed before the answer"
    if isinstance(exc, aiohttp.ClientOSError) and exc.errno == errno.ECONNRESET:
        return f"connection reset by {where}"
    return f"transport error with {where} ({type(exc).__name__})"


def _expect(response: aiohttp.ClientResponse, types: frozenset[str], what: str) -> None:
    if response.content_type not in types:
        raise ProtocolFault(f"answered {response.content_type} to a stream request, not {what}")


async def _line_batches(response: aiohttp.ClientResponse, limit: int) -> AsyncIterator[list[bytes]]:
    """The body's lines without their newline, one list per network read; a last line
    without one too. A line longer than `limit` raises ProtocolFault before it is whole."""
    read = response.content.readany
    head: list[bytes] = []  # pieces of a line whose newline has not arrived yet
    held = 0
    while chunk := await read():
        if b"\n" not in chunk:
            held += len(chunk)
            if held > limit:
                raise ProtocolFault(f"sent a line longer than {limit} bytes")
            head.append(chunk)
            continue
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if head:
            head.append(lines[0])
            lines[0] = b"".join(head)
        if held + len(chunk) > limit and max(map(len, lines)) > limit:
            raise ProtocolFault(f"sent a line longer than {limit} bytes")
        head = [tail] if tail else []
        held = len(tail)
        if held > limit:
            raise ProtocolFault(f"sent a line longer than {limit} bytes")
        yield lines
    if head:
        yield [b"".join(head)]


async def sse_events(
    response: aiohttp.ClientResponse, max_line_bytes: int
) -> AsyncIterator[tuple[str, bytes]]:
    """(event, data) pairs of a text/event-stream; `event` is "" when unnamed.

    As the SSE spec asks of clients, other fields (id, retry, comments, unknown names) are
    ignored and an event the body ends before its blank line is dropped (a truncated one).
    """
    _expect(response, SSE_TYPES, "an event stream")
    event = ""
    data: list[bytes] = []
    size = 0
    async for lines in _line_batches(response, max_line_bytes):
        for raw in lines:
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not line:
                if data:
                    yield event, b"\n".join(data)
                event, data, size = "", [], 0
            elif line.startswith(b"data:"):
                value = line[6:] if line.startswith(b"data: ") else line[5:]
                size += len(value) + 1
                if size > max_line_bytes:
                    raise ProtocolFault(f"sent an event longer than {max_line_bytes} bytes")
                data.append(value)
            elif line.startswith(b"event:"):
                try:
                    event = line[6:].strip().decode()
                except UnicodeDecodeError:
                    raise ProtocolFault("sent invalid UTF-8 in an event name") from None


async def ndjson_lines(
    response: aiohttp.ClientResponse, max_line_bytes: int
) -> AsyncIterator[bytes]:
    """Non-empty lines of an NDJSON stream."""
    _expect(response, NDJSON_TYPES, "NDJSON")
    async for lines in _line_batches(response, max_line_bytes):
        for raw in lines:
            line = raw.strip()
            if line:
                yield line
