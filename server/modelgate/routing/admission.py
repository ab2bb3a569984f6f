"""Which deployments of a plan may take the request's parameters and features, and how.

Runs once per request against each deployment's `ParamGate`, decided at catalog
load (providers/params.py), so the hot path is one presence probe per field the
deployment's API lacks (none for most). Checked are the GenerationConfig fields
and, for chat, the features outside it (reasoning, prompt caching, cache
breakpoints: `params.FEATURES`). A set one the deployment cannot take either
refuses that deployment (the runtime's `unsupported_params: error`, the
default) or is cleared from the copy sent there and named in the answer's
`metadata["dropped_params"]` (`drop`). When every deployment refuses, the call
fails at once with INVALID_ARGUMENT naming each field (`generation.top_k`,
`reasoning.effort`, `messages[2].parts[0].cache_breakpoint`); when only some do,
`Attempts` skips them in plan order like unavailable ones, so a refusal is the
call's error only when the refusing deployment was the last.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from modelgate.errors import GatewayError, invalid_argument
from modelgate.providers.params import DROPPED_PARAMS_KEY, Operation, ParamGate
from modelgate.routing.catalog import Deployment
from modelgate.v1 import chat_pb2, completion_pb2

R = TypeVar("R", bound=chat_pb2.ChatRequest | completion_pb2.CompleteRequest)
DROPPED_KEY = DROPPED_PARAMS_KEY
BREAKPOINT: Final = "cache_breakpoint"
_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")

Refused = tuple[Deployment, str, tuple[str, ...]]
"""A deployment, the API it would call, and the field paths it cannot take."""


@dataclass(slots=True)
class Admission(Generic[R]):
    """A plan with each deployment's verdict on the request's fields."""

    plan: list[Deployment]
    request: R
    operation: Operation
    refusals: Mapping[str, GatewayError] | None = None
    """Model id -> why it cannot take the request (skipped by `Attempts`)."""
    dropped: Mapping[str, tuple[str, ...]] | None = None
    """Model id -> field paths cleared from the request sent there."""

    def request_for(self, deployment: Deployment) -> R:
        """The request as `deployment` gets it: without its dropped fields (on a copy)."""
        paths = self.dropped.get(deployment.record.id) if self.dropped else None
        if not paths:
            return self.request
        request = copy.deepcopy(self.request)
        for path in paths:
            clear(request, path)
        deployment.params.warn_dropped(self.operation, tuple(map(feature_of, paths)))
        return request

    def note(self, deployment: Deployment, metadata: MutableMapping[str, str]) -> None:
        """Name the fields `deployment` was sent without in the answer's metadata."""
        paths = self.dropped.get(deployment.record.id) if self.dropped else None
        if paths:
            metadata[DROPPED_KEY] = ",".join(paths)


def feature_of(path: str) -> str:
    """The declared feature behind a path (`tools[0].cache_breakpoint` -> `cache_breakpoint`)."""
    return BREAKPOINT if path.endswith(BREAKPOINT) else path


def clear(message: Any, path: str) -> None:
    """Clear the field at `path` (`reasoning.effort`, `tools[1].cache_breakpoint`) in place."""
    *steps, last = path.split(".")
    for step in steps:
        match = _STEP.fullmatch(step)
        assert match is not None, path
        message = getattr(message, match[1])
        if match[2] is not None:
            message = message[int(match[2])]
    message.ClearField(last)


def breakpoints(request: chat_pb2.ChatRequest) -> list[str]:
    """Paths of every cache breakpoint the request sets, in request order."""
    found: list[str] = []
    for i, message in enumerate(request.messages):
        for j, part in enumerate(message.parts):
            if part.HasField(BREAKPOINT):
                found.append(f"messages[{i}].parts[{j}].{BREAKPOINT}")
        if message.HasField(BREAKPOINT):
            found.append(f"messages[{i}].{BREAKPOINT}")
    for i, tool in enumerate(request.tools):
        if tool.HasField(BREAKPOINT):
            found.append(f"tools[{i}].{BREAKPOINT}")
    return found


def _features(request: chat_pb2.ChatRequest, gates: Sequence[ParamGate]) -> tuple[str, ...]:
    """Paths of the chat features the request sets (breakpoints only looked for when some
    deployment of the plan cannot take them)."""
    found: list[str] = []
    if request.HasField("reasoning"):
        reasoning = request.reasoning
        if reasoning.effort:
            found.append("reasoning.effort")
        if reasoning.HasField("budget_tokens"):
            found.append("reasoning.budget_tokens")
        if reasoning.include_thoughts:
            found.append("reasoning.include_thoughts")
    if request.HasField("prompt_cache"):
        if request.prompt_cache.key:
            found.append("prompt_cache.key")
        if request.prompt_cache.retention:
            found.append("prompt_cache.retention")
    if any(BREAKPOINT in gate.lacking for gate in gates):
        found += breakpoints(request)
    return tuple(found)


def _unsupported(
    deployment: Deployment, request: Any, operation: Operation, features: tuple[str, ...]
) -> tuple[str, ...]:
    gate = deployment.params
    params = gate.chat if operation == "chat" else gate.complete
    names = tuple(f"generation.{n}" for n in params.unsupported(request.generation))
    if features and gate.lacking:
        names += tuple(path for path in features if feature_of(path) in gate.lacking)
    return names


def admit(plan: list[Deployment], request: R, operation: Operation) -> Admission[R]:
    """Each deployment's verdict; INVALID_ARGUMENT when none can take the request."""
    features: tuple[str, ...] = ()
    if operation == "chat":
        features = _features(request, [d.params for d in plan])  # type: ignore[arg-type]
    if not features and not request.HasField("generation"):
        return Admission(plan, request, operation)
    refused: list[Refused] = []
    dropped: dict[str, tuple[str, ...]] = {}
    for deployment in plan:
        names = _unsupported(deployment, request, operation, features)
        if not names:
            continue
        if deployment.params.drop:
            dropped[deployment.record.id] = names
        else:
            gate = deployment.params
            api = (gate.chat if operation == "chat" else gate.complete).api
            refused.append((deployment, api, names))
    if not refused:
        return Admission(plan, request, operation, dropped=dropped or None)
    if len(refused) == len(plan):
        raise refusal(refused)
    refusals = {entry[0].record.id: refusal([entry]) for entry in refused}
    return Admission(plan, request, operation, refusals, dropped or None)


def refusal(refused: Sequence[Refused]) -> GatewayError:
    """INVALID_ARGUMENT with one violation per field, naming who cannot take it and why."""
    violations: list[tuple[str, str]] = []
    paths = list(dict.fromkeys(path for _d, _api, names in refused for path in names))
    for path in paths:
        who = []
        for deployment, api, names in refused:
            if path in names:
                why = deployment.params.lacking.get(feature_of(path)) or f"{api}"
                who.append(
                    f"model {deployment.record.id!r} ({why}, runtime {deployment.params.runtime!r})"
                )
        violations.append(
            (
                path,
                f"not accepted by {' or '.join(who)} "
                "(unset it, or set unsupported_params: drop on the runtime)",
            )
        )
    return invalid_argument(violations)
