"""The configuration a call reads, as one reference: a reload swaps it whole.

Each RPC reads `Routing` once at its start and keeps it to the end, so a call in
flight finishes on the catalog, limits and keys it began with, and the old catalog's
upstream connections are closed only when no call holds it any more (`modelgate.reload`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modelgate.api.auth import Authenticator
from modelgate.api.local_models import LocalModels
from modelgate.config import LimitsConfig, Settings
from modelgate.hooks.base import HookChain
from modelgate.providers.base import Backend
from modelgate.routing.catalog import Catalog
from modelgate.routing.memory import Memory
from modelgate.routing.router import Router
from modelgate.state.factory import State


@dataclass(slots=True, eq=False, weakref_slot=True)
class Routing:
    """Catalog, router, limits and caller keys built from one configuration."""

    settings: Settings
    limits: LimitsConfig
    catalog: Catalog
    router: Router
    local_models: LocalModels
    auth: Authenticator | None

    def attach(self, state: State, memory: Memory | None = None) -> None:
        """Use the (process-wide) state backend: conversations, cache, shared rate limits."""
        self.router.memory = memory or Memory(state, self.settings.state)
        if self.auth is not None:
            fail_open = self.settings.state.limiter_on_failure == "open"
            self.auth.use_limiter(state.limiter, fail_open=fail_open)


def build_routing(
    settings: Settings, wrap: Callable[[Backend], Backend] | None, *, auth: bool
) -> Routing:
    """A routing snapshot for `settings` (backends created, nothing discovered yet)."""
    catalog = Catalog(settings, wrap=wrap)
    router = Router(catalog, settings.routing, HookChain.from_config(settings.hooks))
    authenticator = Authenticator(settings.auth) if auth else None
    return Routing(settings, settings.limits, catalog, router, LocalModels(catalog), authenticator)
