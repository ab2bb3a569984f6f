"""The hook contract, the chain that runs hooks in order, and where hooks come from.

A hook may implement any of: `before(request)` (inspect or rewrite the request
in place, or veto it by raising GatewayError), `after(request, response)` for
unary answers, and `on_chunk(request, event)` for every stream event. Every RPC
that carries content runs them: Chat, StreamChat, Complete, StreamComplete and
Embed (whose answer, vectors, holds no text but still passes `after`). Hooks are
named in config (`hooks: [{name: redact, options: {...}}]`) and found among the
built-ins, `register_hook()` calls and the `modelgate.hooks` entry-point group
(`modelgate.plugins`); their config, `HookConfig`, is part of the settings.
With no hooks configured no hook layer is assembled at all: zero cost
(`modelgate.routing.hook_layers`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from modelgate.config import HookConfig
from modelgate.errors import GatewayError, request_rejected
from modelgate.plugins import HOOKS

ENTRY_POINT_GROUP = HOOKS.group


def register_hook(name: str, factory: Callable[..., Any]) -> None:
    """Make `name` usable in the `hooks` config; `factory(**options)` builds the hook."""
    HOOKS.register(name, factory)


def known_hooks() -> list[str]:
    """Every name that can appear in the `hooks` config: built-ins, registered, plugins."""
    return HOOKS.names()


def hook_factory(name: str) -> Callable[..., Any]:
    """What builds hook `name` from its options; ValueError naming the known hooks if none."""
    factory = HOOKS.factory(name)
    if factory is None:
        raise ValueError(f"unknown hook {name!r}; known: {', '.join(known_hooks())}")
    return factory


def veto(message: str, **metadata: str) -> GatewayError:
    """The error a hook raises to refuse a request (INVALID_ARGUMENT, REQUEST_REJECTED)."""
    return request_rejected(message, metadata)


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
