"""The model catalog: which models exist, where they run, and how names resolve.

Ids are unique across runtimes (`llama3.2:latest@ollama/10.0.0.5:11434`);
a short name (the part before `@`) resolves when exactly one model has it.
Discovered models of local runtimes are replaced wholesale on each refresh,
so a model that vanished from its runtime vanishes here too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from modelgate.config import (
    ECHO_MODEL,
    ECHO_RUNTIME,
    AliasConfig,
    ModelConfig,
    RuntimeConfig,
    Settings,
)
from modelgate.errors import (
    invalid_argument,
    model_ambiguous,
    model_not_found,
)
from modelgate.providers.base import (
    Backend,
    BackendDefaults,
    CallContext,
    Target,
)
from modelgate.providers.params import OPEN_GATE, ParamGate, feature_gaps, params_of
from modelgate.providers.registry import create_backend
from modelgate.records import (
    CAPABILITY_FIELDS,
    has_capability,
    host_port,
    model_record,
)
from modelgate.routing.balancer import StatsBoard
from modelgate.v1 import chat_pb2, model_pb2, tokens_pb2

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


@dataclass(slots=True)
class Deployment:
    """A model on one backend, ready to call."""

    target: Target
    backend: Backend
    unavailable_reason: str = ""
    params: ParamGate = OPEN_GATE
    """The GenerationConfig fields it takes, per operation (checked by routing/admission.py)."""

    @property
    def record(self) -> model_pb2.Model:
        """The model's public record."""
        return self.target.record


@dataclass(slots=True)
class RuntimeState:
    """A configured runtime and what the last discovery found."""

    config: RuntimeConfig
    backend: Backend | None
    error: str = ""
    discovered: list[str] = field(default_factory=list)
    dropped_warned: set[str] = field(default_factory=set)
    """Fields this runtime has logged as dropped (once each, across its deployments)."""


def _echo_entries(settings: Settings) -> tuple[dict[str, RuntimeConfig], list[ModelConfig]]:
    runtime = RuntimeConfig(kind="echo", options={"dimension": settings.echo_dimension})
    model = ModelConfig(
        id=ECHO_MODEL,
        runtime=ECHO_RUNTIME,
        label="Echo (development and test provider)",
        provider="modelgate",
        capabilities=[
            "chat",
            "completion",
            "embedding",
            "streaming",
            "tools",
            "vision",
            "json_schema",
            "image_generation",
            "transcription",
            "speech",
        ],
        context_window=32_768,
        max_output_tokens=32_768,
        embedding_dimension=settings.echo_dimension,
    )
    return {ECHO_RUNTIME: runtime}, [model]


class Catalog:
    """Every model the gateway can route to, by id, short name and alias."""

    def __init__(
        self, settings: Settings, wrap: Callable[[Backend], Backend] | None = None
    ) -> None:
        runtimes = dict(settings.runtimes)
        models = list(settings.models)
        if settings.echo:
            echo_runtimes, echo_models = _echo_entries(settings)
            runtimes = {**echo_runtimes, **runtimes}
            models = [*echo_models, *models]
        self.allow_private_urls = settings.limits.allow_private_image_urls
        self.runtimes: dict[str, RuntimeState] = {}
        for name, config in runtimes.items():
            try:
                backend: Backend | None = create_backend(name, config)
                if wrap is not None and backend is not None:
                    backend = wrap(backend)
                error = ""
            except Exception as exc:  # a broken plugin must not take the gateway down
                log.exception("runtime %s could not be created", name)
                backend, error = None, f"backend could not be created: {type(exc).__name__}"
            self.runtimes[name] = RuntimeState(config, backend, error)
        self._deployments: dict[str, Deployment] = {}
        for model in models:
            self._add(model)
        self.aliases: dict[str, AliasConfig] = dict(settings.aliases)
        self.fallbacks = {model.id: list(model.fallbacks) for model in models if model.fallbacks}
        self.stats = StatsBoard(settings.routing)
        self._short_names: dict[str, list[str]] = {}
        self._reindex()

    def _add(self, model: ModelConfig, discovered: bool = False) -> None:
        state = self.runtimes.get(model.runtime)
        if state is None:
            raise ValueError(f"model {model.id!r} names unknown runtime {model.runtime!r}")
        record = model_record(model, state.config)
        record.discovered = discovered
        reason = state.error or state.config.missing_key_reason()
        if reason:
            record.availability.available = False
            record.availability.reason = reason
        target = Target(
            record=record,
            upstream_name=model.upstream_name or model.id.split("@", 1)[0],
            defaults=dict(model.defaults),
            extra=dict(model.extra),
            options={**state.config.options, **model.options},
            api=model.api or state.config.api,
            conversation=model.resolved_conversation(state.config),
            cache=model.cache,
            allow_private_urls=self.allow_private_urls,
            auto_cache_breakpoints=model.auto_cache_breakpoints,
        )
        gate = _gate(model.runtime, state, target)
        lacking = gate.lacking.get("cache_breakpoint")
        if model.auto_cache_breakpoints and lacking:
            raise ValueError(f"model {model.id!r}: auto_cache_breakpoints, but {lacking}")
        self._deployments[model.id] = Deployment(
            target, state.backend or _UNAVAILABLE, reason, gate
        )

    def _reindex(self) -> None:
        short: dict[str, list[str]] = {}
        for model_id in self._deployments:
            if "@" in model_id:
                short.setdefault(model_id.split("@", 1)[0], []).append(model_id)
        self._short_names = short

    def resolve(self, name: str) -> Deployment:
        """The deployment for an id or unambiguous short name; NOT_FOUND otherwise."""
        deployment = self._deployments.get(name)
        if deployment is not None:
            return deployment
        candidates = self._short_names.get(name, [])
        if len(candidates) == 1:
            return self._deployments[candidates[0]]
        if len(candidates) > 1:
            raise model_ambiguous(name, candidates)
        raise model_not_found(name, list(self._deployments))

    def ids_with(self, capability: int) -> list[str]:
        """Ids of available models with a capability (for UNIMPLEMENTED hints)."""
        return sorted(
            d.record.id
            for d in self._deployments.values()
            if has_capability(d.record, capability) and not d.unavailable_reason
        )

    def knows(self, name: str) -> bool:
        """Whether `name` is a model id, alias or unambiguous short name (metrics labels)."""
        return (
            name in self._deployments
            or name in self.aliases
            or len(self._short_names.get(name, ())) == 1
        )

    def all_ids(self) -> list[str]:
        """Every model id."""
        return sorted(self._deployments)

    def list_page(self, request: model_pb2.ListModelsRequest) -> model_pb2.ListModelsResponse:
        """One page of models matching the request's filters, sorted by id."""
        violations: list[tuple[str, str]] = []
        if request.page_size < 0 or request.page_size > MAX_PAGE_SIZE:
            violations.append(("page_size", f"must be between 0 and {MAX_PAGE_SIZE}"))
        after = ""
        if request.page_token:
            try:
                after = base64.urlsafe_b64decode(request.page_token.encode()).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                violations.append(("page_token", "is not a token returned by ListModels"))
        if violations:
            raise invalid_argument(violations)
        records = [d.record for d in self._deployments.values()]
        records += [self._alias_record(name, alias) for name, alias in self.aliases.items()]
        records.sort(key=lambda record: record.id)
        matching = [record for record in records if _matches(record, request)]
        start = next((i for i, r in enumerate(matching) if r.id > after), len(matching))
        size = request.page_size or DEFAULT_PAGE_SIZE
        # Live figures for the page only: each deployment's health is computed on demand.
        page = [
            self._live(r) if r.id in self._deployments else r
            for r in matching[start : start + size]
        ]
        token = ""
        if start + size < len(matching):
            token = base64.urlsafe_b64encode(page[-1].id.encode()).decode()
        return model_pb2.ListModelsResponse(
            models=page, next_page_token=token, total_size=len(matching)
        )

    def _live(self, record: model_pb2.Model) -> model_pb2.Model:
        """A copy of the record with its breaker's state and recent health now (the stored
        record stays as configured or discovered)."""
        stats = self.stats.get(record.id)
        live = model_pb2.Model()
        live.CopyFrom(record)
        live.availability.breaker_state = stats.breaker.state
        live.health.CopyFrom(stats.health.report(stats.in_flight))
        return live

    def _alias_record(self, name: str, alias: AliasConfig) -> model_pb2.Model:
        """An alias as a model: the union of its deployments' capabilities."""
        record = model_pb2.Model(id=name, label=name, runtime="alias")
        targets = [d.model for d in alias.deployments] + list(alias.fallbacks)
        record.deployments.extend(targets)
        available = False
        for target in targets:
            deployment = self._deployments.get(target)
            if deployment is None:
                continue
            record.provider = record.provider or deployment.record.provider
            for field_name in CAPABILITY_FIELDS.values():
                if getattr(deployment.record.capabilities, field_name):
                    setattr(record.capabilities, field_name, True)
            available = available or not deployment.unavailable_reason
        record.availability.available = available
        if not available:
            record.availability.reason = "no deployment of the alias is available"
        return record

    def record_of(self, name: str) -> model_pb2.Model:
        """The live record of a model or alias (GetModel)."""
        alias = self.aliases.get(name)
        if alias is not None:
            return self._alias_record(name, alias)
        return self._live(self.resolve(name).record)

    async def refresh(self) -> None:
        """Ask discovering runtimes what they serve now; a runtime that is down is reported."""
        for name, state in self.runtimes.items():
            if not state.config.discover or state.backend is None:
                continue
            try:
                found = await state.backend.discover()
            except Exception as exc:
                state.error = f"discovery failed: {type(exc).__name__}"
                self._log_discovery_failure(name, state, exc)
                continue
            state.error = ""
            self._replace_discovered(name, state, found or [])
        self._reindex()

    def _log_discovery_failure(self, name: str, state: RuntimeState, exc: Exception) -> None:
        """Name the runtime, where it is and why (not just the type), at most once a window."""
        url = state.config.resolved_base_url()
        self.stats.failure_log.warning(
            log,
            f"discovery:{name}",
            "discovery of runtime %s failed: at=%s cause=%s: %s",
            name,
            host_port(url) if url else "its default URL",
            type(exc).__name__,
            getattr(exc, "message", None) or str(exc) or "(no message)",
        )

    def _replace_discovered(
        self, name: str, state: RuntimeState, found: list[model_pb2.Model]
    ) -> None:
        for model_id in state.discovered:
            deployment = self._deployments.get(model_id)
            if deployment is not None and deployment.record.discovered:
                del self._deployments[model_id]
        state.discovered = []
        for record in found:
            if record.id in self._deployments:
                continue  # configured entries win over discovered ones
            record.discovered = True
            record.availability.available = True
            target = Target(
                record=record,
                upstream_name=record.id.split("@", 1)[0],
                options=dict(state.config.options),
                api=state.config.api,
                conversation=state.config.default_conversation(state.config.api),
                allow_private_urls=self.allow_private_urls,
            )
            assert state.backend is not None
            self._deployments[record.id] = Deployment(
                target, state.backend, params=_gate(name, state, target)
            )
            state.discovered.append(record.id)

    async def aclose(self) -> None:
        """Close every backend's connections."""
        await asyncio.gather(
            *(s.backend.aclose() for s in self.runtimes.values() if s.backend is not None),
            return_exceptions=True,
        )


def _matches(record: model_pb2.Model, request: model_pb2.ListModelsRequest) -> bool:
    if request.provider and record.provider != request.provider:
        return False
    if (
        request.runtime
        and record.runtime != request.runtime
        and (record.runtime.split("/", 1)[0] != request.runtime)
    ):
        return False
    if request.capability and not has_capability(record, request.capability):
        return False
    return not (request.available_only and not record.availability.available)


def _gate(runtime: str, state: RuntimeState, target: Target) -> ParamGate:
    """The deployment's parameter declarations and policy, decided once, not per request."""
    if state.backend is None:
        return OPEN_GATE  # unavailable: refused before any parameter matters
    chat = params_of(state.backend, target, "chat")
    return ParamGate(
        runtime,
        chat,
        params_of(state.backend, target, "complete"),
        drop=state.config.unsupported_params == "drop",
        lacking=feature_gaps(chat, target.record.capabilities),
        warned=state.dropped_warned,
    )


class _UnavailableBackend(BackendDefaults):
    """Stands in for a runtime whose backend could not be created.

    Its deployments carry `unavailable_reason`, so the router refuses them with
    FAILED_PRECONDITION before any of these methods could run.
    """

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        raise self._unsupported(target, "Chat")

    def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        raise self._unsupported(target, "StreamChat")

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        raise self._unsupported(target, "CountTokens")


_UNAVAILABLE = _UnavailableBackend()
