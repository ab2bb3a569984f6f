"""`grpc.health.v1.Health` with the gateway's semantics, written once: `PHASES`.

`""` is liveness (the process is alive and not wedged; Kubernetes' startup and
liveness probes ask it), `modelgate.v1.ModelGateway` is readiness (send calls
here; the readiness probe asks it). The table in docs/operations.md ("Probes
and drain") is checked against `PHASES`, and the drain tests check both
against real Check and Watch calls.

From the drain on, the server takes no new calls, so a probe of either service
fails with UNAVAILABLE; only Watch streams opened earlier see the change. They
get it and then end, so an idle watcher never holds the process past the
in-flight calls (gRPC's reference servicer keeps them open until the grace ends).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal, TypeAlias

import grpc
from grpc_health.v1 import health_pb2

from modelgate.errors import quoted
from modelgate.v1 import gateway_pb2

Status: TypeAlias = health_pb2.HealthCheckResponse.ServingStatus.ValueType
Phase: TypeAlias = Literal["starting", "serving", "draining", "stopped"]
Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

LIVENESS = ""
READINESS = gateway_pb2.DESCRIPTOR.services_by_name["ModelGateway"].full_name
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

PHASES: dict[Phase, dict[str, Status]] = {
    # port bound, state open, catalog loading: calls are answered, nothing is ready
    "starting": {LIVENESS: NOT_SERVING, READINESS: NOT_SERVING},
    "serving": {LIVENESS: SERVING, READINESS: SERVING},
    # SIGTERM until the in-flight calls are done: out of rotation, still alive
    "draining": {LIVENESS: SERVING, READINESS: NOT_SERVING},
    # every call has ended and the port is closed
    "stopped": {LIVENESS: NOT_SERVING, READINESS: NOT_SERVING},
}


class GatewayHealth:
    """Check, List and Watch for the liveness and readiness services, in one `Phase` at a time."""

    def __init__(self) -> None:
        self.phase: Phase = "starting"
        self._changed = asyncio.Event()

    def enter(self, phase: Phase) -> None:
        """Report `phase`'s statuses and wake every Watch stream (from "draining" on, to end)."""
        self.phase = phase
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def status(self, service: str) -> Status | None:
        """What `service` reports now, or None for a service this server does not have."""
        return PHASES[self.phase].get(service)

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: Context
    ) -> health_pb2.HealthCheckResponse:
        """The current status; NOT_FOUND for an unknown service (grpc.health.v1)."""
        status = self.status(request.service)
        if status is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"unknown service {quoted(request.service)}"
            )
        return health_pb2.HealthCheckResponse(status=status)

    async def List(
        self, request: health_pb2.HealthListRequest, context: Context
    ) -> health_pb2.HealthListResponse:
        """Both services' statuses at once."""
        return health_pb2.HealthListResponse(
            statuses={
                service: health_pb2.HealthCheckResponse(status=status)
                for service, status in PHASES[self.phase].items()
            }
        )

    async def Watch(
        self, request: health_pb2.HealthCheckRequest, context: Context
    ) -> AsyncIterator[health_pb2.HealthCheckResponse]:
        """The status now and at every change (SERVICE_UNKNOWN for an unknown service);
        from the drain on, the last change is sent and the stream ends."""
        last: Status | None = None
        while True:
            changed = self._changed
            status = self.status(request.service)
            if status is None:
                status = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
            if status != last:
                yield health_pb2.HealthCheckResponse(status=status)
                last = status
            if self.phase in ("draining", "stopped"):
                return
            await changed.wait()
