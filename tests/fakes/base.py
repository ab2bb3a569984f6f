"""Shared machinery for the fake upstreams: lifecycle, recording, auth, scripting.

Provider modules only describe their wire format (routes, bodies, frames); the
server plumbing lives here once and the byte-level delivery in `delivery.py`, so
all fakes behave and misbehave identically.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, Self

from aiohttp import web
from typing_extensions import override

from .delivery import Delivery, Frame, RequestState, dumps, ndjson, sleep_ms, sse
from .scenario import (
    Behaviour,
    FakeModel,
    Fault,
    RecordedRequest,
    Scenario,
    Timing,
    as_model,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
__all__ = ["FakeServer", "Frame", "RequestState", "dumps", "ndjson", "sleep_ms", "sse"]


class FakeServer(Delivery):
    """An aiohttp app that plays one provider; subclasses add routes and formats."""

    provider: ClassVar[str] = "fake"
    #: Auth headers the provider accepts besides `Authorization: Bearer`.
    key_headers: ClassVar[tuple[str, ...]] = ()
    #: Paths whose handler reads the body itself as it arrives (uploads): the recording
    #: middleware leaves it unread and records `body` None until the handler fills it.
    streamed_paths: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        *,
        models: Iterable[str | FakeModel] = (),
        latency_ms: float = 0.0,
        ttft_ms: float = 0.0,
        tokens_per_s: float = 0.0,
        required_api_key: str | None = None,
        strict_models: bool = False,
        embedding_dim: int = 8,
    ) -> None:
        self.timing = Timing(latency_ms, ttft_ms, tokens_per_s)
        self.required_api_key = required_api_key
        self.strict_models = strict_models
        self.embedding_dim = embedding_dim
        self.models: list[FakeModel] = [as_model(m) for m in models]
        self.scenario = Scenario()
        self.requests: list[RecordedRequest] = []
        self.max_recorded: int | None = None
        """Keep only about this many recent requests (soaks and benchmarks); None keeps all."""
        self.active_streams = 0
        self.streams_started = 0
        self.disconnects: list[float] = []
        self.disconnected = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._states: dict[int, RequestState] = {}
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application(middlewares=[self._middleware], client_max_size=100 * 2**20)
        self.app.add_routes(self._routes())

    # ----------------------------------------------------------------- subclass API
    def _routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def _new_request_id(self) -> str:
        raise NotImplementedError

    def _auth_fault(self, present: bool) -> Fault:
        raise NotImplementedError

    def _normalize(self, name: str) -> str:
        return name

    # -------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """Base URL (no trailing slash); only valid after start()."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind (port 0 = any free port) and serve on the running loop; returns the URL."""
        self._stopping = False
        runner = web.AppRunner(
            self.app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self._url = f"http://{host}:{bound[1]}"
        return self._url

    async def stop(self) -> None:
        """Cancel in-flight handlers (hung streams included), then close every socket."""
        if self._runner is None:
            return
        self._stopping = True
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        await self._runner.cleanup()
        self._runner = None
        self._url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- scripting API
    def script(self, *behaviours: Behaviour, path: str | None = None) -> None:
        """Queue behaviours consumed one per request (optionally only by `path`)."""
        self.scenario.push(*behaviours, path=path)

    def set_default(self, behaviour: Behaviour | None) -> None:
        """Persistent behaviour once the queue is empty (None restores echo)."""
        self.scenario.default = behaviour

    def reset(self) -> None:
        """Forget scripts, recordings and lifecycle counters (models are kept)."""
        self.scenario.clear()
        self.requests.clear()
        self.disconnects.clear()
        self.disconnected.clear()
        self.streams_started = 0

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Recorded requests for one path."""
        return [r for r in self.requests if r.path == path]

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent recorded request."""
        return self.requests[-1]

    async def wait_for_disconnect(self, within_s: float = 20.0) -> float:
        """Wait for a client disconnect mid-response; returns its monotonic time.

        The default bound is generous on purpose: it only limits how long a failing test
        takes (a passing one returns at the disconnect), so a loaded machine cannot fail it.
        """
        async with asyncio.timeout(within_s):
            await self.disconnected.wait()
        return self.disconnects[-1]

    # ------------------------------------------------------------------- models API
    def set_models(self, models: Iterable[str | FakeModel]) -> None:
        """Replace the served model list."""
        self.models = [as_model(m) for m in models]

    def add_model(self, model: str | FakeModel) -> FakeModel:
        """Serve one more model (replacing a same-named one)."""
        added = as_model(model)
        self.remove_model(added.name)
        self.models.append(added)
        return added

    def remove_model(self, name: str) -> bool:
        """Stop serving a model; False when it was not served."""
        found = self.find_model(name)
        if found is not None:
            self.models.remove(found)
        return found is not None

    def find_model(self, name: str) -> FakeModel | None:
        """The served model with this (provider-normalised) name."""
        key = self._normalize(name)
        return next((m for m in self.models if self._normalize(m.name) == key), None)

    # ------------------------------------------------------------------- middleware
    @override
    def state(self, request: web.Request) -> RequestState:
        """Bookkeeping of an in-flight request (id, parsed body, fault flags)."""
        return self._states[id(request)]

    def body_of(self, request: web.Request) -> Any:
        """The request body as parsed by the recording middleware (JSON or bytes)."""
        return self.state(request).body

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        streamed = request.path in self.streamed_paths
        raw = b"" if streamed else await request.read()
        body: Any = None if streamed else raw
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        request_id = self._new_request_id()
        self._states[id(request)] = RequestState(request_id, body)
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                raw=raw,
                at=time.monotonic(),
                request_id=request_id,
            )
        )
        if self.max_recorded is not None and len(self.requests) > 2 * self.max_recorded:
            del self.requests[: -self.max_recorded]
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            denied = self._check_auth(request)
            if denied is not None:
                return self.error_response(request, denied)
            return await handler(request)
        except asyncio.CancelledError:
            if not self._stopping and not self.state(request).self_reset:
                self._note_disconnect()
            raise
        except ConnectionResetError:
            self._note_disconnect()
            resp = self.state(request).response
            return resp if resp is not None else web.Response(status=499)
        finally:
            self._tasks.discard(task)
            self._states.pop(id(request), None)

    def _note_disconnect(self) -> None:
        self.disconnects.append(time.monotonic())
        self.disconnected.set()

    def _check_auth(self, request: web.Request) -> Fault | None:
        if self.required_api_key is None:
            return None
        keys = [request.headers.get(h) for h in self.key_headers]
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            keys.append(auth[7:].strip())
        given = [k for k in keys if k]
        if self.required_api_key in given:
            return None
        return self._auth_fault(bool(given))

    def next_behaviour(self, request: web.Request, *, inference: bool = True) -> Behaviour | None:
        """Consume this request's scripted behaviour."""
        return self.scenario.next(request.path, inference=inference)
