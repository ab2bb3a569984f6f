"""Named factories of one plugin kind: built-ins, `register()` calls and an entry-point group.

Backend kinds (`modelgate.providers`) and hooks (`modelgate.hooks`) are found the
same way, so the lookup is written once here. It sits below the config: loading the
settings checks every `kind` and hook name against these groups (config_refs.py)
without importing the providers or hooks themselves; built-ins are named by import
path and loaded on first use (a gateway without Anthropic models never imports the
Anthropic SDK).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any


class PluginGroup:
    """One kind of plugin: looked up registered first, then entry point, then built-in."""

    def __init__(self, group: str, builtin: Mapping[str, str], *, cache: bool) -> None:
        self.group = group
        """The entry-point group third-party packages declare plugins in."""
        self.builtin = dict(builtin)
        """Name -> "module:attribute" of the plugins that ship with the gateway."""
        self._cache = cache
        self._registered: dict[str, Callable[..., Any]] = {}
        self._loaded: dict[str, Callable[..., Any]] = {}

    def register(self, name: str, factory: Callable[..., Any]) -> None:
        """Make `name` resolve to `factory`; overrides an entry point or built-in."""
        self._registered[name] = factory

    def names(self) -> list[str]:
        """Every name that can be configured: built-ins, registered, entry points."""
        plugins = {ep.name for ep in entry_points(group=self.group)}
        return sorted(set(self.builtin) | set(self._registered) | plugins)

    def is_builtin(self, name: str) -> bool:
        """Whether `name` is built by the gateway's own plugin (no registered or
        entry-point plugin takes its place), so the gateway knows what it reads."""
        if name not in self.builtin or name in self._registered:
            return False
        return not any(ep.name == name for ep in entry_points(group=self.group))

    def factory(self, name: str) -> Callable[..., Any] | None:
        """What builds plugin `name`, or None when no source knows it."""
        if name in self._registered:
            return self._registered[name]
        if name in self._loaded:
            return self._loaded[name]
        found: Callable[..., Any] | None = None
        for ep in entry_points(group=self.group):
            if ep.name == name:
                found = ep.load()
                break
        if found is None and name in self.builtin:
            module, attr = self.builtin[name].split(":")
            found = getattr(importlib.import_module(module), attr)
        if found is not None and self._cache:
            self._loaded[name] = found
        return found


PROVIDERS = PluginGroup(
    "modelgate.providers",
    {
        "echo": "modelgate.providers.echo_factory:create",
        "openai": "modelgate.providers.openai.backend:create",
        "openai_compatible": "modelgate.providers.openai.backend:create",
        "lmstudio": "modelgate.providers.openai.backend:create_lmstudio",
        "anthropic": "modelgate.providers.anthropic.backend:create",
        "ollama": "modelgate.providers.ollama.backend:create",
        "gemini": "modelgate.providers.gemini.backend:create",
    },
    cache=True,
)
"""Backend kinds; a factory takes `(runtime_name, RuntimeConfig)` and returns a Backend."""

HOOKS = PluginGroup(
    "modelgate.hooks", {"redact": "modelgate.hooks.redaction:RedactionHook"}, cache=False
)
"""Hooks; a factory takes the configured `options` as keyword arguments."""
