"""Backend kinds by name: built-ins, `register_provider()` and the entry-point group.

A third-party package adds a backend kind either by calling
`register_provider("mykind", MyBackend)` before the server starts, or by
declaring an entry point in the `modelgate.providers` group whose object is
the factory (the lookup itself, and the built-ins' names, are in `modelgate.plugins`).
A factory takes `(runtime_name, RuntimeConfig)` and returns a `Backend`.

Optional abilities are declared by the accessors `model_manager()`,
`model_describer()` and `token_counter()` (`BackendDefaults` answers None to
each). A plugin backend written before they existed, lacking any of them, is
served through `WithoutAbilities`: every RPC of the `Backend` protocol works,
and it offers none of the optional abilities; a warning says what to add.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from typing_extensions import override

from modelgate.config import RuntimeConfig
from modelgate.plugins import PROVIDERS
from modelgate.providers.base import (
    Backend,
    BackendDefaults,
    CallContext,
    Target,
    ability_accessors,
)
from modelgate.v1 import model_pb2

BackendFactory = Callable[[str, RuntimeConfig], Backend]
ENTRY_POINT_GROUP = PROVIDERS.group
log = logging.getLogger(__name__)


def register_provider(kind: str, factory: BackendFactory) -> None:
    """Make runtimes of `kind` in the catalog use `factory`; overrides built-ins."""
    PROVIDERS.register(kind, factory)


def builtin_kinds() -> tuple[str, ...]:
    """The kinds that ship with the gateway, in declaration order."""
    return tuple(PROVIDERS.builtin)


def known_kinds() -> list[str]:
    """Every kind that can be named in a runtime's `kind`."""
    return PROVIDERS.names()


def factory_for(kind: str) -> BackendFactory:
    """The factory for `kind`: registered, then entry point, then built-in."""
    factory: BackendFactory | None = PROVIDERS.factory(kind)
    if factory is None:
        raise KeyError(f"unknown provider kind {kind!r}; known: {', '.join(known_kinds())}")
    return factory


def _lacks_accessors(backend: Backend) -> list[str]:
    """Accessors missing from a freshly created backend (checked once, before any wrapper):
    a plugin's conformance to the protocol at the boundary, not a lookup of an ability."""
    return [name for name in ability_accessors() if not callable(getattr(backend, name, None))]


def create_backend(name: str, config: RuntimeConfig) -> Backend:
    """A backend for the runtime called `name`, always with the ability accessors."""
    backend = factory_for(config.kind)(name, config)
    missing = _lacks_accessors(backend)
    if not missing:
        return backend
    log.warning(
        "backend of kind %r for runtime %s lacks %s: served without optional abilities "
        "(subclass BackendDefaults and override an accessor to declare one)",
        config.kind,
        name,
        ", ".join(f"{accessor}()" for accessor in missing),
    )
    return WithoutAbilities(backend)


class WithoutAbilities(BackendDefaults):
    """A plugin backend that predates the ability accessors: forwards the RPCs, declares none."""

    def __init__(self, inner: Backend) -> None:
        self._inner = inner
        self.runtime = inner.runtime

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        return await self._inner.chat(target, request, call)

    def stream_chat(self, target: Target, request: Any, call: CallContext) -> AsyncIterator[Any]:
        return self._inner.stream_chat(target, request, call)

    @override
    async def complete(self, target: Target, request: Any, call: CallContext) -> Any:
        return await self._inner.complete(target, request, call)

    @override
    def stream_complete(
        self, target: Target, request: Any, call: CallContext
    ) -> AsyncIterator[Any]:
        return self._inner.stream_complete(target, request, call)

    @override
    async def embed(self, target: Target, request: Any, call: CallContext) -> Any:
        return await self._inner.embed(target, request, call)

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        return await self._inner.count_tokens(target, request, call)

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        return await self._inner.discover()

    @override
    async def aclose(self) -> None:
        await self._inner.aclose()
