"""The configuration a call reads, as one reference: a reload swaps it whole.

Each RPC reads `Routing` once at its start and keeps it to the end, so a call in
flight finishes on the catalog, limits and keys it began with, and the old catalog's
upstream connections are closed only when no call holds it any more (`modelgate.reload`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from modelgate.api.auth import Authenticator
from modelgate.api.budget_gate import BudgetGate
from modelgate.api.local_models import LocalModels
from modelgate.config import LimitsConfig, Settings
from modelgate.hooks.base import HookChain
from modelgate.providers.base import Backend
from modelgate.routing.assembly import assemble
from modelgate.routing.catalog import Catalog
from modelgate.routing.layers import Calls
from modelgate.routing.media import MediaRouter
from modelgate.routing.memory import Memory
from modelgate.routing.prompts import PromptCatalog
from modelgate.routing.router import Router
from modelgate.state.factory import State


@dataclass(slots=True, eq=False, weakref_slot=True)
class Routing:
    """Catalog, router, the layers in front of it, limits and caller keys of one configuration."""

    settings: Settings
    limits: LimitsConfig
    catalog: Catalog
    router: Router
    pipeline: Calls
    """What content RPCs call: the configured layers, ending at `router`."""
    hooks: HookChain | None
    prompts: PromptCatalog
    """The catalog's prompt templates (ListPrompts, GetPrompt, the template layer)."""
    local_models: LocalModels
    auth: Authenticator | None
    media: MediaRouter
    """What the media RPCs call: the router's plans and attempts, and the usage totals."""

    def with_state(self, state: State) -> Routing:
        """This configuration over the opened (process-wide) state backend: the pipeline
        reassembled with continuity, cache and totals, shared rate limits and budgets for the
        keys."""
        if self.auth is not None:
            fail_open = self.settings.state.limiter_on_failure == "open"
            self.auth.use_limiter(state.limiter, fail_open=fail_open)
            gate = BudgetGate(state.budgets, self.catalog, self.limits, fail_open=fail_open)
            self.auth.use_budgets(gate)
            self.auth.use_store(state.keys)
        memory = Memory(state, self.settings.state)
        return dataclasses.replace(
            self,
            pipeline=assemble(self.router, self.hooks, memory, self.prompts),
            media=MediaRouter(self.router, memory),
        )


def build_routing(
    settings: Settings,
    wrap: Callable[[Backend], Backend] | None,
    *,
    auth: bool,
    state: State | None = None,
) -> Routing:
    """A routing snapshot for `settings` (backends created, nothing discovered yet); without
    `state` its pipeline has no layer that needs one (`Routing.with_state` adds them)."""
    catalog = Catalog(settings, wrap=wrap)
    router = Router(catalog, settings.routing)
    hooks = HookChain.from_config(settings.hooks)
    prompts = PromptCatalog(settings.prompts)
    authenticator = Authenticator(settings.auth) if auth else None
    routing = Routing(
        settings,
        settings.limits,
        catalog,
        router,
        assemble(router, hooks, None, prompts),
        hooks,
        prompts,
        LocalModels(catalog),
        authenticator,
        MediaRouter(router, None),
    )
    return routing if state is None else routing.with_state(state)
