"""Which deployments of a plan may take the request's GenerationConfig fields, and how.

Runs once per request against each deployment's `ParamGate`, decided at catalog
load (providers/params.py), so the hot path is one presence probe per field the
deployment's API lacks (none for most). A set field the deployment's API cannot take
either refuses that deployment (the runtime's `unsupported_params: error`, the
default) or is cleared from the copy sent there and named in the answer's
`metadata["dropped_params"]` (`drop`). When every deployment refuses, the call
fails at once with INVALID_ARGUMENT naming each field (`generation.top_k`);
when only some do, `Attempts` skips them in plan order like unavailable ones,
so a refusal is the call's error only when the refusing deployment was the last.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from modelgate.errors import GatewayError, invalid_argument
from modelgate.providers.params import FIELDS, Operation, UpstreamParams
from modelgate.routing.catalog import Deployment
from modelgate.v1 import chat_pb2, completion_pb2

R = TypeVar("R", bound=chat_pb2.ChatRequest | completion_pb2.CompleteRequest)
DROPPED_KEY = "dropped_params"
"""Answer metadata key: the fields (`generation.seed,generation.top_k`) sent without."""

Refused = tuple[Deployment, UpstreamParams, tuple[str, ...]]


@dataclass(slots=True)
class Admission(Generic[R]):
    """A plan with each deployment's verdict on the request's GenerationConfig fields."""

    plan: list[Deployment]
    request: R
    operation: Operation
    refusals: Mapping[str, GatewayError] | None = None
    """Model id -> why it cannot take the request (skipped by `Attempts`)."""
    dropped: Mapping[str, tuple[str, ...]] | None = None
    """Model id -> fields cleared from the request sent there."""

    def request_for(self, deployment: Deployment) -> R:
        """The request as `deployment` gets it: without its dropped fields (on a copy)."""
        names = self.dropped.get(deployment.record.id) if self.dropped else None
        if not names:
            return self.request
        request = copy.deepcopy(self.request)
        for name in names:
            request.generation.ClearField(name)  # type: ignore[arg-type]
        deployment.params.warn_dropped(self.operation, names)
        return request

    def note(self, deployment: Deployment, metadata: MutableMapping[str, str]) -> None:
        """Name the fields `deployment` was sent without in the answer's metadata."""
        names = self.dropped.get(deployment.record.id) if self.dropped else None
        if names:
            metadata[DROPPED_KEY] = ",".join(f"generation.{name}" for name in names)


def admit(plan: list[Deployment], request: R, operation: Operation) -> Admission[R]:
    """Each deployment's verdict; INVALID_ARGUMENT when none can take the request."""
    if not request.HasField("generation"):
        return Admission(plan, request, operation)
    generation = request.generation
    refused: list[Refused] = []
    dropped: dict[str, tuple[str, ...]] = {}
    for deployment in plan:
        gate = deployment.params
        params = gate.chat if operation == "chat" else gate.complete
        names = params.unsupported(generation)
        if not names:
            continue
        if gate.drop:
            dropped[deployment.record.id] = names
        else:
            refused.append((deployment, params, names))
    if not refused:
        return Admission(plan, request, operation, dropped=dropped or None)
    if len(refused) == len(plan):
        raise refusal(refused)
    refusals = {entry[0].record.id: refusal([entry]) for entry in refused}
    return Admission(plan, request, operation, refusals, dropped or None)


def refusal(refused: Sequence[Refused]) -> GatewayError:
    """INVALID_ARGUMENT with one violation per field, naming who cannot take it."""
    violations: list[tuple[str, str]] = []
    for name in FIELDS:
        who = [
            f"model {d.record.id!r} ({params.api}, runtime {d.params.runtime!r})"
            for d, params, names in refused
            if name in names
        ]
        if who:
            violations.append(
                (
                    f"generation.{name}",
                    f"not accepted by {' or '.join(who)} "
                    "(unset it, or set unsupported_params: drop on the runtime)",
                )
            )
    return invalid_argument(violations)
