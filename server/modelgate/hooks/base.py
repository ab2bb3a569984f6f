"""The hook contract, the chain that runs hooks in order, and where hooks come from.

A hook may implement any of: `before(request)` (inspect or rewrite the request
in place, or veto it by raising GatewayError), `after(request, response)` for
unary answers, and `on_chunk(request, event)` for every stream event. Every RPC
that carries content runs them: Chat, StreamChat, Complete, StreamComplete and
Embed (whose answer, vectors, holds no text but still passes `after`). Hooks are
named in config (`hooks: [{name: redact, options: {...}}]`) and found among the
built-ins, `register_hook()` calls and the `modelgate.hooks` entry-point group.
With no hooks configured no hook layer is assembled at all: zero cost
(`modelgate.routing.hook_layers`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

import grpc
from pydantic import BaseModel, ConfigDict, Field

from modelgate.errors import GatewayError

ENTRY_POINT_GROUP = "modelgate.hooks"
_BUILTIN = {"redact": "modelgate.hooks.redaction:RedactionHook"}
_registered: dict[str, Callable[..., Any]] = {}


class HookConfig(BaseModel):
    """One configured hook."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


def register_hook(name: str, factory: Callable[..., Any]) -> None:
    """Make `name` usable in the `hooks` config; `factory(**options)` builds the hook."""
    _registered[name] = factory


def known_hooks() -> list[str]:
    """Every name that can appear in the `hooks` config: built-ins, registered, plugins."""
    plugins = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(_BUILTIN) | set(_registered) | plugins)


def hook_factory(name: str) -> Callable[..., Any]:
    """What builds hook `name` from its options; ValueError naming the known hooks if none."""
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            factory: Callable[..., Any] = ep.load()
            return factory
    if name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        built_in: Callable[..., Any] = getattr(importlib.import_module(module), attr)
        return built_in
    raise ValueError(f"unknown hook {name!r}; known: {', '.join(known_hooks())}")


def veto(message: str, **metadata: str) -> GatewayError:
    """The error a hook raises to refuse a request (INVALID_ARGUMENT, REQUEST_REJECTED)."""
    return GatewayError(
        grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_REJECTED", message, metadata=metadata
    )


class HookChain:
    """Configured hooks in order; each stage only visits hooks that implement it."""

    def __init__(self, hooks: Sequence[Any]) -> None:
        self.before_hooks = [h.before for h in hooks if hasattr(h, "before")]
        self.after_hooks = [h.after for h in hooks if hasattr(h, "after")]
        self.chunk_hooks = [h.on_chunk for h in hooks if hasattr(h, "on_chunk")]

    @classmethod
    def from_config(cls, configs: Sequence[HookConfig]) -> HookChain | None:
        """The chain for the config, or None when no hooks are configured."""
        if not configs:
            return None
        return cls([hook_factory(c.name)(**c.options) for c in configs])

    async def before(self, request: Any) -> None:
        """Run every `before` hook; a veto propagates as GatewayError."""
        for hook in self.before_hooks:
            await hook(request)

    async def after(self, request: Any, response: Any) -> None:
        """Run every `after` hook on a unary answer."""
        for hook in self.after_hooks:
            await hook(request, response)

    def on_chunk(self, request: Any, event: Any) -> None:
        """Run every chunk hook on one stream event (in place, synchronously: hot path)."""
        for hook in self.chunk_hooks:
            hook(request, event)
