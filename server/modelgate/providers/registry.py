"""Backend kinds by name: built-ins, `register_provider()` and the entry-point group.

A third-party package adds a backend kind either by calling
`register_provider("mykind", MyBackend)` before the server starts, or by
declaring an entry point in the `modelgate.providers` group whose object is
the factory. A factory takes `(runtime_name, RuntimeConfig)` and returns a
`Backend`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from modelgate.config import RuntimeConfig
from modelgate.providers.base import Backend

BackendFactory = Callable[[str, RuntimeConfig], Backend]
ENTRY_POINT_GROUP = "modelgate.providers"

# Built-ins are imported on first use so a gateway without Anthropic models
# never imports the Anthropic SDK.
_BUILTIN: dict[str, str] = {
    "echo": "modelgate.providers.echo_factory:create",
    "openai": "modelgate.providers.openai.backend:create",
    "openai_compatible": "modelgate.providers.openai.backend:create",
    "lmstudio": "modelgate.providers.openai.backend:create_lmstudio",
    "anthropic": "modelgate.providers.anthropic.backend:create",
    "ollama": "modelgate.providers.ollama.backend:create",
}
_registered: dict[str, BackendFactory] = {}


def register_provider(kind: str, factory: BackendFactory) -> None:
    """Make runtimes of `kind` in the catalog use `factory`; overrides built-ins."""
    _registered[kind] = factory


def builtin_kinds() -> tuple[str, ...]:
    """The kinds that ship with the gateway, in declaration order."""
    return tuple(_BUILTIN)


def known_kinds() -> list[str]:
    """Every kind that can be named in a runtime's `kind`."""
    plugins = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(_BUILTIN) | set(_registered) | plugins)


def factory_for(kind: str) -> BackendFactory:
    """The factory for `kind`: registered, then entry point, then built-in."""
    if kind in _registered:
        return _registered[kind]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            factory: BackendFactory = ep.load()
            _registered[kind] = factory
            return factory
    if kind in _BUILTIN:
        module_name, attr = _BUILTIN[kind].split(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _registered[kind] = factory
        return factory
    raise KeyError(f"unknown provider kind {kind!r}; known: {', '.join(known_kinds())}")


def create_backend(name: str, config: RuntimeConfig) -> Backend:
    """A backend for the runtime called `name`."""
    return factory_for(config.kind)(name, config)
