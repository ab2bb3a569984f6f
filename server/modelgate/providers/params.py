"""Which `GenerationConfig` fields an upstream API takes, declared once per API as data.

Each request-builder module declares an `UpstreamParams` beside the code that
writes the body; its backend's `generation_params(target, operation)` says which
one a deployment uses. The catalog folds that into a `ParamGate` per deployment
at load time, and the router refuses or drops every other field the caller set
(routing/admission.py), so a field never vanishes silently. A field the proto
gains later is in no declaration until a builder sends it: refused, not lost.

Chat requests also carry features outside GenerationConfig (reasoning, prompt
caching, see `FEATURES`): an API declares where each lands in `takes`, and a
deployment takes one only when its model's catalog entry also claims the
capability the feature needs (`FEATURE_CAPABILITY`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias

from google.protobuf.message import Message

from modelgate.v1 import generation_pb2

if TYPE_CHECKING:
    from modelgate.providers.base import Backend, Target

log = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = tuple(f.name for f in generation_pb2.GenerationConfig.DESCRIPTOR.fields)
"""Every GenerationConfig field, in proto order (the proto is the one list)."""
_BY_PRESENCE = frozenset(
    f.name for f in generation_pb2.GenerationConfig.DESCRIPTOR.fields if f.has_presence
)
"""Fields set or not by presence; the others (repeated, or plain strings such as
`extra_json`) are set when non-empty."""
JSON_TWINS = {"extra_json": "extra"}
"""A JSON-text field and the deprecated Struct field it replaces: one parameter, so an
upstream that takes one takes the other, in the same place."""

Operation: TypeAlias = Literal["chat", "complete"]
"""Chat and StreamChat, or Complete and StreamComplete (a stream uses its unary's body)."""

MERGED = "(merged into the body)"
"""Where `extra` goes for HTTP upstreams: its keys become top-level body fields."""

FEATURES: tuple[str, ...] = (
    "reasoning.effort",
    "reasoning.budget_tokens",
    "reasoning.include_thoughts",
    "prompt_cache.key",
    "prompt_cache.retention",
    "cache_breakpoint",
)
"""Chat request features outside GenerationConfig, by field path (`cache_breakpoint`
stands for every CacheBreakpoint of messages, parts and tools)."""
FEATURE_CAPABILITY: Mapping[str, str | None] = MappingProxyType(
    {
        name: None
        if name.startswith("prompt_cache.")
        else "prompt_caching"
        if name == "cache_breakpoint"
        else "reasoning"
        for name in FEATURES
    }
)
"""The `Capabilities` flag a model's catalog entry must claim for each feature. The
automatic-cache options (`prompt_cache.*`, OpenAI) claim none: they are hints every
model of an API that takes them accepts, so the API's declaration alone decides."""


@dataclass(frozen=True, slots=True)
class UpstreamParams:
    """The fields one upstream API takes, each with where it lands in the request body.

    `sends` maps a field name to its body path (`top_k`, `options.num_predict`),
    or to a parenthesised note where it has no single key (`extra`, echo).
    """

    api: str
    """The API's name, used in refusals and the README table."""
    sends: Mapping[str, str]
    takes: Mapping[str, str] = field(default_factory=dict)
    """Chat features (`FEATURES`) the API takes, each with where it lands."""
    refused: frozenset[str] = field(init=False)
    """The fields it cannot take: refused or dropped, per the runtime's policy."""
    _probes: tuple[tuple[str, bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.sends) - set(FIELDS)
        if unknown:
            raise ValueError(f"{self.api}: not GenerationConfig fields: {sorted(unknown)}")
        unknown = set(self.takes) - set(FEATURES)
        if unknown:
            raise ValueError(f"{self.api}: not chat features: {sorted(unknown)}")
        object.__setattr__(self, "takes", MappingProxyType(dict(self.takes)))
        sends = dict(self.sends)
        for twin, original in JSON_TWINS.items():
            if original in sends:
                sends.setdefault(twin, sends[original])
        object.__setattr__(self, "sends", MappingProxyType(sends))
        refused = tuple(name for name in FIELDS if name not in sends)
        object.__setattr__(self, "refused", frozenset(refused))
        object.__setattr__(self, "_probes", tuple((n, n in _BY_PRESENCE) for n in refused))

    def unsupported(self, generation: Message) -> tuple[str, ...]:
        """The fields set in `generation` that this API cannot take, in proto order.

        On the hot path: one presence probe per field the API lacks (none for most),
        cheaper than listing every field the request set.
        """
        found: tuple[str, ...] = ()
        for name, by_presence in self._probes:
            if generation.HasField(name) if by_presence else len(getattr(generation, name)):
                found += (name,)
        return found

    def variant(self, api: str, **changes: str) -> UpstreamParams:
        """A related API: these fields added or renamed, the rest (and `takes`) as here."""
        return UpstreamParams(api, {**self.sends, **changes}, self.takes)


PASSED_THROUGH = UpstreamParams(
    "a plugin backend",
    {name: "(passed to the backend)" for name in FIELDS},
    {name: "(passed to the backend)" for name in FEATURES},
)
"""For backends that declare nothing: they get the whole request and own its fields."""


def params_of(backend: Backend, target: Target, operation: Operation) -> UpstreamParams:
    """The backend's declaration for `target`, or PASSED_THROUGH when it declares none."""
    return backend.generation_params(target, operation) or PASSED_THROUGH


DROPPED_PARAMS_KEY = "dropped_params"
"""Answer metadata key: the fields (`generation.seed,reasoning.effort`, `user`) a runtime
with `unsupported_params: drop` was sent without."""


@dataclass(frozen=True, slots=True)
class ParamGate:
    """What one deployment does with GenerationConfig fields, decided at catalog load."""

    runtime: str
    chat: UpstreamParams = PASSED_THROUGH
    complete: UpstreamParams = PASSED_THROUGH
    drop: bool = False
    """The runtime's `unsupported_params: drop`: send without the field instead of refusing."""
    lacking: Mapping[str, str] = field(default_factory=dict)
    """Chat features (`FEATURES`) this deployment cannot take -> why not (for refusals)."""
    warned: set[str] = field(default_factory=set, compare=False)
    """Fields already logged as dropped; one set per runtime, shared by its deployments."""

    def warn_dropped(self, operation: Operation, names: tuple[str, ...]) -> None:
        """Log each dropped field once per runtime at WARNING: an operator chose to lose it."""
        api = (self.chat if operation == "chat" else self.complete).api
        for name in names:
            if name not in self.warned:
                self.warned.add(name)
                log.warning(
                    "runtime %s sends requests without %s (%s; unsupported_params: drop)",
                    self.runtime,
                    name,
                    self.lacking.get(name) or f"{api} has no such parameter",
                )


OPEN_GATE = ParamGate("")
"""Takes every field (deployments whose backend could not be created never run)."""


def feature_gaps(params: UpstreamParams, capabilities: Message) -> dict[str, str]:
    """The chat features a deployment lacks, each with why, decided once at catalog load.

    A feature is taken when the API has a place for it (`params.takes`) and the
    model's `Capabilities` claim what it needs (`FEATURE_CAPABILITY`).
    """
    gaps: dict[str, str] = {}
    for name in FEATURES:
        capability = FEATURE_CAPABILITY[name]
        if name not in params.takes:
            gaps[name] = f"{params.api} has no such parameter"
        elif capability is not None and not getattr(capabilities, capability):
            gaps[name] = f"its catalog entry does not list capability `{capability}`"
    return gaps
