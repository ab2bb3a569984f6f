"""How the fakes put bytes on the wire: JSON replies, paced streams, injected faults.

Split from the server lifecycle so the one place that decides *when* and *how*
bytes (or a TCP reset) reach the client is small enough to audit.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from aiohttp import web

from .scenario import Fault, Timing

FrameKind = Literal["meta", "token", "end"]


@dataclass
class RequestState:
    """Per-request bookkeeping kept outside aiohttp's request mapping."""

    request_id: str
    body: Any
    self_reset: bool = False
    response: web.StreamResponse | None = None
    written: int = 0


class Frame(NamedTuple):
    """One wire write: `token` frames are paced and counted, `end` is the terminator.

    `data` may be a callable so timestamps are taken when the frame is written.
    """

    data: bytes | Callable[[], bytes]
    kind: FrameKind = "meta"


def dumps(obj: Any) -> str:
    """Compact JSON, as the real APIs send it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event; `data` is JSON-encoded unless already a string."""
    payload = data if isinstance(data, str) else dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def ndjson(obj: Any) -> bytes:
    """One newline-delimited JSON line (Ollama streaming)."""
    return (dumps(obj) + "\n").encode()


async def sleep_ms(ms: float) -> None:
    """Sleep for `ms` milliseconds; zero still yields to the loop."""
    await asyncio.sleep(max(ms, 0.0) / 1000)


class Delivery:
    """Response writing shared by every fake; FakeServer supplies the hooks."""

    active_streams: int
    streams_started: int

    def state(self, request: web.Request) -> RequestState:
        """Bookkeeping of an in-flight request (id, parsed body, fault flags)."""
        raise NotImplementedError

    def _headers(self, request_id: str) -> dict[str, str]:
        """Headers on every response (request id, rate limits)."""
        return {}

    def _error_body(self, fault: Fault, request: web.Request) -> tuple[int, Any]:
        """(status, JSON body) of an HTTP fault in the provider's real format."""
        raise NotImplementedError

    def _stream_error_frame(self, fault: Fault, request: web.Request) -> bytes:
        raise NotImplementedError

    def _malformed_frame(self, request: web.Request) -> bytes:
        raise NotImplementedError

    # -------------------------------------------------------------- common replies
    def json_response(
        self,
        request: web.Request,
        body: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """A JSON response carrying the provider's standard headers."""
        all_headers = {**self._headers(self.state(request).request_id), **(headers or {})}
        return web.Response(
            text=dumps(body), status=status, content_type="application/json", headers=all_headers
        )

    def error_response(self, request: web.Request, fault: Fault) -> web.Response:
        """An HTTP fault: provider body plus retry headers."""
        status, body = self._error_body(fault, request)
        if fault.body is not None:
            body = fault.body
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            ra = fault.retry_after
            headers.setdefault("retry-after", str(int(ra)) if float(ra).is_integer() else str(ra))
        if fault.retry_after_ms is not None:
            headers.setdefault("retry-after-ms", str(fault.retry_after_ms))
        if fault.should_retry is not None:
            headers.setdefault("x-should-retry", "true" if fault.should_retry else "false")
        if isinstance(body, (bytes, str)):
            all_headers = {**self._headers(self.state(request).request_id), **headers}
            return web.Response(body=body, status=status, headers=all_headers)
        return self.json_response(request, body, status, headers)

    async def pre_fault(
        self, request: web.Request, fault: Fault | None
    ) -> web.StreamResponse | None:
        """Apply the parts of a fault that happen before any response byte."""
        if fault is None:
            return None
        await sleep_ms(fault.latency_ms)
        if fault.kind == "http":
            return self.error_response(request, fault)
        if fault.kind == "raw":
            return await self.raw_response(request, fault)
        if fault.kind == "reset":
            await self._reset(request)
        if fault.kind == "hang" and fault.after_chunks is None:
            await asyncio.Future()
        return None

    async def raw_response(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """`Fault.raw`: its chunks verbatim after the head, then its ending."""
        state = self.state(request)
        resp = web.StreamResponse(
            status=fault.status, headers={**self._headers(state.request_id), **fault.headers}
        )
        state.response = resp
        await resp.prepare(request)
        for chunk in fault.chunks:
            await resp.write(chunk)
        declared = resp.content_length
        short = declared is not None and declared > sum(map(len, fault.chunks))
        if fault.ending == "reset":
            await self._reset(request)
        if fault.ending == "close" or short:
            state.self_reset = True
            if request.transport is not None:
                request.transport.close()
            await asyncio.Future()
        await resp.write_eof()
        return resp

    async def _reset(self, request: web.Request) -> None:
        """Abort the TCP connection with RST; parks until aiohttp cancels the handler."""
        self.state(request).self_reset = True
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        await asyncio.Future()

    async def unary(
        self,
        request: web.Request,
        body: Any,
        *,
        timing: Timing,
        tokens: int,
        fault: Fault | None,
    ) -> web.StreamResponse:
        """A non-streaming answer after the time a real generation would take."""
        early = await self.pre_fault(request, fault)
        if early is not None:
            return early
        rate_s = (max(tokens - 1, 0) / timing.tokens_per_s) if timing.tokens_per_s else 0.0
        await sleep_ms(timing.latency_ms + timing.ttft_ms + rate_s * 1000)
        if fault is None or fault.kind not in ("reset_mid_stream", "truncate", "malformed"):
            if fault is not None and fault.kind == "stream_error":
                return self.error_response(request, fault)
            if fault is not None and fault.kind == "hang":
                await asyncio.Future()
            return self.json_response(request, body)
        payload = dumps(body).encode()
        if fault.kind == "malformed":
            return web.Response(
                body=payload[: len(payload) // 2],
                content_type="application/json",
                headers=self._headers(self.state(request).request_id),
            )
        resp = web.StreamResponse(headers=self._headers(self.state(request).request_id))
        resp.content_type = "application/json"
        resp.content_length = len(payload)
        self.state(request).response = resp
        await resp.prepare(request)
        await resp.write(payload[: len(payload) // 2])
        if fault.kind == "reset_mid_stream":
            await self._reset(request)
        self.state(request).self_reset = True
        if request.transport is not None:
            request.transport.close()
        await asyncio.Future()
        return resp  # pragma: no cover - unreachable, the handler is cancelled

    async def stream(
        self,
        request: web.Request,
        frames: Iterable[Frame],
        *,
        timing: Timing,
        fault: Fault | None,
        content_type: str,
    ) -> web.StreamResponse:
        """Write frames with latency/TTFT/rate pacing and inject a mid-stream fault."""
        early = await self.pre_fault(request, fault)
        if early is not None:
            return early
        await sleep_ms(timing.latency_ms)
        resp = web.StreamResponse(headers=self._headers(self.state(request).request_id))
        resp.content_type = content_type
        if content_type == "text/event-stream":
            resp.headers["Cache-Control"] = "no-cache"
        self.state(request).response = resp
        await resp.prepare(request)
        self.active_streams += 1
        self.streams_started += 1
        try:
            await self._write_frames(request, resp, frames, timing, fault)
            await resp.write_eof()
        finally:
            self.active_streams -= 1
        return resp

    async def _write_frames(
        self,
        request: web.Request,
        resp: web.StreamResponse,
        frames: Iterable[Frame],
        timing: Timing,
        fault: Fault | None,
    ) -> None:
        pending = fault if fault is not None and fault.kind != "http" else None
        sent_tokens = 0
        for frame in frames:
            if (
                pending is not None
                and pending.after_chunks is not None
                and frame.kind != "meta"
                and sent_tokens >= pending.after_chunks
            ):
                done = await self._fire(request, resp, pending)
                pending = None
                if done:
                    return
            if pending is not None and pending.kind == "truncate" and frame.kind == "end":
                return
            if frame.kind == "token":
                delay = (
                    timing.ttft_ms
                    if sent_tokens == 0
                    else (1000 / timing.tokens_per_s if timing.tokens_per_s else 0.0)
                )
                await sleep_ms(delay)
                sent_tokens += 1
            elif frame.kind == "end" and sent_tokens == 0:
                await sleep_ms(timing.ttft_ms)
            await resp.write(frame.data() if callable(frame.data) else frame.data)
            self.state(request).written += 1

    async def _fire(self, request: web.Request, resp: web.StreamResponse, fault: Fault) -> bool:
        """Run a mid-stream fault; True when the body must end here."""
        if fault.kind == "malformed":
            await resp.write(self._malformed_frame(request))
            return False
        if fault.kind == "stream_error":
            await resp.write(self._stream_error_frame(fault, request))
            return True
        if fault.kind == "reset_mid_stream":
            await self._reset(request)
        if fault.kind == "hang":
            await asyncio.Future()
        return True  # truncate
