"""Assembles and runs the gRPC server: gateway service, health, reflection, drain.

A gateway moves through the health phases of `modelgate.api.health.PHASES` (the
table in docs/operations.md): starting (port bound, catalog loading), serving,
draining (SIGTERM: readiness NOT_SERVING, no new calls, Watch streams end, in-flight
calls finish within `server.grace_seconds`) and stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import Tracer

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.api.admin import AdminServicer
from modelgate.api.auth import caller_key_id
from modelgate.api.auth_gate import AuthGate
from modelgate.api.decoding import HandlerWrapper, TolerantRegistration
from modelgate.api.health import READINESS, GatewayHealth
from modelgate.api.live import Routing, build_routing
from modelgate.api.servicer import ModelGatewayServicer
from modelgate.config import Settings, load_settings
from modelgate.providers.base import Backend
from modelgate.redactor import REDACTOR
from modelgate.reload import Loader, Reloader
from modelgate.routing.catalog import Catalog
from modelgate.routing.router import Router
from modelgate.state.errors import StateUnavailableError
from modelgate.state.factory import State, build_state
from modelgate.telemetry.access_log import AccessLog
from modelgate.telemetry.collector import RoutingCollector
from modelgate.telemetry.metering import MeteredBackend
from modelgate.telemetry.metrics import Metrics
from modelgate.telemetry.middleware import RpcMiddleware
from modelgate.telemetry.startup import log_startup
from modelgate.telemetry.tracing import InstrumentedBackend, setup_tracer
from modelgate.v1 import gateway_pb2_grpc

log = logging.getLogger("modelgate")


class StartupError(Exception):
    """The gateway cannot start where it was told to (a port in use): one line, exit 1."""


SERVICE_NAME = READINESS


def server_options(settings: Settings, *, reuse_port: bool) -> list[tuple[str, int]]:
    """Transport options: message caps and a keepalive policy that accepts clients' pings."""
    server, limits = settings.server, settings.limits
    return [
        ("grpc.max_receive_message_length", limits.max_receive_message_bytes),
        ("grpc.max_send_message_length", limits.max_send_message_bytes),
        ("grpc.keepalive_time_ms", server.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", server.keepalive_timeout_ms),
        ("grpc.http2.min_ping_interval_without_data_ms", server.min_ping_interval_ms),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
    ] + (
        [
            ("grpc.max_connection_age_ms", server.max_connection_age_ms),
            ("grpc.max_connection_age_grace_ms", server.max_connection_age_grace_ms),
        ]
        if server.max_connection_age_ms
        else []
    )


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS (and mutual TLS with a client CA) from PEM files, or None for plaintext."""
    server = settings.server
    if server.tls_cert_file is None or server.tls_key_file is None:
        return None
    pair = (server.tls_key_file.read_bytes(), server.tls_cert_file.read_bytes())
    client_ca = server.tls_client_ca_file.read_bytes() if server.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [pair], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def backend_wrapper(
    tracer: Tracer | None, capture: int, metrics: Metrics | None
) -> Callable[[Backend], Backend] | None:
    """What goes around each backend, or None: metering innermost (it times the upstream
    call, not the span work), tracing outside it. Two wrappers rather than one combined:
    the extra layer is below the noise of `python -m bench.wrapper_cost` for a unary call
    (~0.3 us per stream event), against ~60 us for the span work."""
    if tracer is None and metrics is None:
        return None

    def wrap(backend: Backend) -> Backend:
        if metrics is not None:
            backend = MeteredBackend(backend, metrics.genai)
        if tracer is not None:
            backend = InstrumentedBackend(backend, tracer, capture)
        return backend

    return wrap


class Gateway:
    """One gateway process: start, serve, drain."""

    def __init__(
        self, settings: Settings, *, reuse_port: bool = False, load: Loader | None = None
    ) -> None:
        self.settings = settings
        # Before anything can fail or log: every message from here on is redacted.
        REDACTOR.hold(secret for _, secret in settings.held_secrets())
        telemetry = settings.telemetry
        traced = setup_tracer(telemetry)
        self.tracer_provider = traced[1] if traced else None
        counted = telemetry.metrics or telemetry.metrics_port or telemetry.metrics_otlp
        self.metrics = Metrics(key_label=telemetry.metrics_key_label) if counted else None
        self.access_log = AccessLog(settings.access_log) if settings.access_log.enabled else None
        self.wrap = backend_wrapper(
            traced[0] if traced else None, telemetry.capture_chars(), self.metrics
        )
        self.routing = build_routing(settings, self.wrap, auth=settings.auth.enabled)
        self.collector = RoutingCollector(self.routing.catalog)
        if self.metrics is not None:
            self.metrics.registry.register(self.collector)
        self.middleware = None
        if traced is not None or self.metrics is not None or self.access_log is not None:
            self.middleware = RpcMiddleware(
                tracer=traced[0] if traced else None,
                metrics=self.metrics,
                known_model=self.routing.catalog.knows,
                access=self.access_log,
                caller=caller_key_id.get,
            )
        self.auth_gate = None
        if self.routing.auth is not None:
            refused = self.middleware.refused if self.middleware else None
            self.auth_gate = AuthGate(self.routing.auth, on_refused=refused)
        self.health = GatewayHealth()
        self.server = grpc.aio.server(options=server_options(settings, reuse_port=reuse_port))
        registration = TolerantRegistration(self.server, self._wrapper())
        self.servicer = ModelGatewayServicer(self.routing)
        gateway_pb2_grpc.add_ModelGatewayServicer_to_server(
            self.servicer,
            registration,  # type: ignore[arg-type]  # duck-typed on purpose
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        # Its own credential check (admin keys, never caller keys), so not behind the auth gate.
        admin_pb2_grpc.add_AdminServiceServicer_to_server(AdminServicer(self), self.server)
        reflection.enable_server_reflection(
            (
                SERVICE_NAME,
                admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self.server,
        )
        self.port = 0
        self.state: State | None = None
        self._refresher: asyncio.Task[None] | None = None
        self.reloader = Reloader(self, load or partial(load_settings, settings.config))

    def _wrapper(self) -> HandlerWrapper | None:
        """What goes around each gateway handler, composed once here: auth outermost, so
        telemetry hears of the calls auth refuses."""
        layers: list[HandlerWrapper] = []
        if self.middleware is not None:
            layers.append(self.middleware.wrap)
        if self.auth_gate is not None:
            layers.append(self.auth_gate.wrap)
        if not layers:
            return None

        def wrap(service: str, rpc: str, handler: Any) -> Any:
            for layer in layers:  # innermost first
                handler = layer(service, rpc, handler)
            return handler

        return wrap

    @property
    def catalog(self) -> Catalog:
        """The catalog in force (a reload replaces it)."""
        return self.routing.catalog

    @property
    def router(self) -> Router:
        """The router in force (a reload replaces it)."""
        return self.routing.router

    def swap(self, routing: Routing) -> Routing:
        """Put `routing` in force for every call that starts from now on; returns the old one.

        Synchronous, so no call sees half of it: calls read `servicer.routing` once.
        """
        old, self.routing, self.settings = self.routing, routing, routing.settings
        self.collector.catalog = routing.catalog
        if self.middleware is not None:
            self.middleware.known_model = routing.catalog.knows
        if self.auth_gate is not None and routing.auth is not None:
            self.auth_gate.auth = routing.auth
        self.servicer.routing = routing
        self.ensure_refresher()
        return old

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Bind, load the catalog, then report SERVING; returns the bound port."""
        host = host or self.settings.server.host
        port = self.settings.server.port if port is None else port
        credentials = server_credentials(self.settings)
        address = f"{host}:{port}"
        try:
            if credentials is None:
                self.port = self.server.add_insecure_port(address)
            else:
                self.port = self.server.add_secure_port(address, credentials)
        except RuntimeError:  # grpc's "Failed to bind"; its own log line says why
            self.port = 0
        if not self.port:
            raise StartupError(f"cannot listen on {address}: in use, or not an address here")
        telemetry = self.settings.telemetry
        if self.metrics is not None and telemetry.metrics_port:
            scrape = f"{telemetry.scrape_host(host)}:{telemetry.metrics_port}"
            try:
                self.metrics.serve(telemetry.metrics_port, telemetry.scrape_host(host))
            except OSError as exc:
                raise StartupError(f"cannot serve metrics on {scrape}: {exc.strerror}") from exc
        state = self.settings.state
        self.state = await build_state(
            state.url,
            ttl_seconds=state.conversation_ttl_seconds,
            max_history=state.max_history,
            cache_entries=state.cache_entries,
            max_conversation_bytes=state.memory_max_bytes,
            bounds=state.bounds(),
            usage_retention_hours=state.usage_retention_days * 24,
        )
        self.swap(self.routing.with_state(self.state))
        if self.access_log is not None:
            self.access_log.start()
        await self.server.start()
        await self.catalog.refresh()
        self.ensure_refresher()
        self.reloader.started()
        self.health.enter("serving")
        if self.metrics is not None and telemetry.metrics_otlp:  # last: nothing fails after it
            self.metrics.push_otlp(telemetry.metrics_otlp_interval_seconds)
        log.info("modelgate serving on %s:%d", host, self.port)
        log_startup(self.settings, self.catalog, host, self.port)
        return self.port

    def ensure_refresher(self) -> None:
        """Rediscover periodically once any runtime in force discovers its models."""
        discovering = any(s.config.discover for s in self.catalog.runtimes.values())
        if discovering and self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_forever())

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.discovery_interval_seconds)
            await self.catalog.refresh()

    async def stop(self, grace: float | None = None) -> None:
        """Drain, then stop: readiness NOT_SERVING and no new calls at once, Watch streams
        end, in-flight calls get up to `grace` seconds (see `PHASES`)."""
        grace = self.settings.server.grace_seconds if grace is None else grace
        # The stop's first step refuses new calls (gRPC begins its shutdown before its
        # first await): once a watcher's stream has ended, no new call gets in.
        stopping = asyncio.ensure_future(self.server.stop(grace))
        await asyncio.sleep(0)
        self.health.enter("draining")
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.reloader.stop()
        await stopping
        self.health.enter("stopped")
        await self.catalog.aclose()
        await self.reloader.close_retired()
        if self.metrics is not None:
            await asyncio.to_thread(self.metrics.close)
        if self.access_log is not None:
            await asyncio.to_thread(self.access_log.close)  # writes the lines still queued
        if self.state is not None:
            await self.state.aclose()
        if self.tracer_provider is not None:
            # Flushes the spans still queued, bounded (a hung collector cannot hold the exit).
            await asyncio.to_thread(self.tracer_provider.shutdown)


async def serve(
    settings: Settings, *, reuse_port: bool = False, load: Loader | None = None
) -> None:
    """Run until SIGINT/SIGTERM, then drain and return; SIGHUP reloads the configuration."""
    gateway = Gateway(settings, reuse_port=reuse_port, load=load)
    await gateway.start()
    # Everything allocated so far lives for the whole process: keep it out of GC passes
    # (the bench measured the collector at ~3% of a busy gateway).
    gc.freeze()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, gateway.reloader.request, "SIGHUP")
    await stopping.wait()
    log.info("draining (grace %.1fs)", settings.server.grace_seconds)
    await gateway.stop()
    log.info("stopped")


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """`server.event_loop`: None is asyncio's own loop; uvloop is imported only when chosen."""
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError as exc:  # uvloop has no Windows build
        raise StartupError(f"server.event_loop is {name!r} but uvloop is not installed") from exc
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(settings: Settings, *, reuse_port: bool = False, load: Loader | None = None) -> int:
    """`serve` as a process: 0 after a drain, 1 with a one-line error when the state
    backend cannot be opened within `state.connect_timeout_seconds` (the orchestrator
    restarts us; a gateway without the shared state it was configured for would
    silently split conversations and rate limits)."""
    try:
        with asyncio.Runner(loop_factory=_loop_factory(settings.server.event_loop)) as runner:
            runner.run(serve(settings, reuse_port=reuse_port, load=load))
    except StateUnavailableError as exc:
        print(f"error: state backend unavailable at start-up: {exc}", file=sys.stderr)
        return 1
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
