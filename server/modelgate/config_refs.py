"""Names inside the settings that must point somewhere, checked when they are loaded.

Without this an alias naming a missing model starts fine, is listed as available, and
every call to it fails NOT_FOUND; a misspelt runtime kind shows up as an unavailable
model. Each problem is (key path, message), naming what is known instead.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING

from modelgate.config_options import model_option_problems, runtime_option_problems
from modelgate.config_paths import closest, dotted
from modelgate.plugins import HOOKS, PROVIDERS
from modelgate.state.factory import url_problem

if TYPE_CHECKING:
    from modelgate.config import ServerConfig, Settings

Problem = tuple[str, str]
_LISTED = 12
"""Known names listed in a message, at most (the closest one is offered first)."""


def reference_problems(settings: Settings) -> list[Problem]:
    """Every dangling or contradictory name in `settings`, in file order."""
    names = _Names(settings)
    problems: list[Problem] = []
    kinds = PROVIDERS.names()
    for name, runtime in settings.runtimes.items():
        if runtime.kind not in kinds:
            problems.append(
                (
                    dotted(("runtimes", name, "kind")),
                    _unknown("provider kind", runtime.kind, kinds, None),
                )
            )
        elif PROVIDERS.is_builtin(runtime.kind):
            problems += runtime_option_problems(name, runtime)
    problems += _model_problems(settings, names)
    for alias, config in settings.aliases.items():
        if alias in names.models:
            problems.append(
                (dotted(("aliases", alias)), "an alias cannot have a model's id (it would hide it)")
            )
        for index, deployment in enumerate(config.deployments):
            where = ("aliases", alias, "deployments", index, "model")
            problems += names.check(where, deployment.model)
        for index, fallback in enumerate(config.fallbacks):
            problems += names.check(("aliases", alias, "fallbacks", index), fallback)
    if settings.auth.keys and not settings.auth.enabled:
        problems.append(
            ("auth.enabled", "is false, so `auth.keys` would be ignored: enable auth or drop them")
        )
    for index, key in enumerate(settings.auth.keys):
        for position, model in enumerate(key.models):
            if model not in settings.aliases:
                problems += names.check(("auth", "keys", index, "models", position), model)
    problems += _hook_problems(settings)
    problems += _server_problems(settings.server)
    state_problem = url_problem(settings.state.url or "memory://")
    if state_problem:
        problems.append(("state.url", state_problem))
    return problems


class _Names:
    """The model ids and runtime names a catalog built from the settings would know."""

    def __init__(self, settings: Settings) -> None:
        from modelgate.config import ECHO_MODEL, ECHO_RUNTIME, RuntimeConfig

        self.runtimes = dict(settings.runtimes)
        self.models = [model.id for model in settings.models]
        if settings.echo:
            self.runtimes.setdefault(ECHO_RUNTIME, RuntimeConfig(kind="echo"))
            self.models.append(ECHO_MODEL)
        self.discovering = sorted(n for n, r in self.runtimes.items() if r.discover)

    def check(self, loc: tuple[str | int, ...], name: str) -> list[Problem]:
        """[] when `name` resolves as the catalog would resolve it, else the problem."""
        if name in self.models:
            return []
        short = [m for m in self.models if "@" in m and m.split("@", 1)[0] == name]
        if len(short) == 1:
            return []
        if short:
            return [(dotted(loc), f"model name {name!r} is ambiguous; use one of: {short}")]
        model, at, runtime = name.partition("@")
        if at and runtime in self.discovering:
            return []  # found by discovery, once the runtime answers
        if at and runtime in self.runtimes:
            return [
                (
                    dotted(loc),
                    f"model {name!r} is not configured and runtime {runtime!r} does not "
                    "discover models (`discover: true`)",
                )
            ]
        message = _unknown("model", name, self.models)
        if self.discovering:
            message += f" (a discovered model is named `<name>@<runtime>`, e.g. `{model}@"
            message += f"{self.discovering[0]}`)"
        return [(dotted(loc), message)]


def _model_problems(settings: Settings, names: _Names) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, model in enumerate(settings.models):
        if model.id in first:
            problems.append(
                (dotted(("models", index, "id")), f"{model.id!r} is also models[{first[model.id]}]")
            )
        first.setdefault(model.id, index)
        runtime = names.runtimes.get(model.runtime)
        if runtime is None:
            message = _unknown("runtime", model.runtime, list(names.runtimes))
            problems.append((dotted(("models", index, "runtime")), message))
        else:
            try:
                model.resolved_conversation(runtime)
            except ValueError as exc:
                problems.append((dotted(("models", index, "conversation")), str(exc)))
            if PROVIDERS.is_builtin(runtime.kind):
                problems += model_option_problems(index, model, runtime)
        for position, fallback in enumerate(model.fallbacks):
            problems += names.check(("models", index, "fallbacks", position), fallback)
    return problems


def _hook_problems(settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    hooks = HOOKS.names()
    for index, hook in enumerate(settings.hooks):
        if hook.name not in hooks:
            problems.append(
                (dotted(("hooks", index, "name")), _unknown("hook", hook.name, hooks, None))
            )
            continue
        factory = HOOKS.factory(hook.name)
        assert factory is not None  # the name is known
        parameters = inspect.signature(factory).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            continue  # the hook takes any option: its own constructor judges them
        known = [n for n, p in parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
        for option in hook.options:
            if option not in known:
                guess = closest(option, known)
                hint = f"did you mean `{guess}`?" if guess else f"known: {', '.join(known)}"
                problems.append(
                    (dotted(("hooks", index, "options", option)), f"unknown option; {hint}")
                )
    return problems


def _server_problems(server: ServerConfig) -> list[Problem]:
    """TLS files: both halves of the pair or neither, and each one readable."""
    problems: list[Problem] = []
    cert, key, client_ca = server.tls_cert_file, server.tls_key_file, server.tls_client_ca_file
    if (cert is None) != (key is None):
        missing = "tls_key_file" if key is None else "tls_cert_file"
        present = "tls_cert_file" if key is None else "tls_key_file"
        problems.append(
            (f"server.{present}", f"TLS needs `server.{missing}` too (else: plaintext)")
        )
    if client_ca is not None and (cert is None or key is None):
        problems.append(
            ("server.tls_client_ca_file", "mutual TLS needs `tls_cert_file` and `tls_key_file`")
        )
    for name in ("tls_cert_file", "tls_key_file", "tls_client_ca_file"):
        path: Path | None = getattr(server, name)
        if path is not None and not path.is_file():
            problems.append((f"server.{name}", f"file not found: {path}"))
    return problems


def _unknown(what: str, name: str, known: list[str], limit: int | None = _LISTED) -> str:
    """`unknown model 'gtp-4o'; did you mean 'gpt-4o'? known: ...` (all of them without a
    `limit`: kinds and hooks are few, and a plugin's own name must show)."""
    guess = closest(name, known)
    hint = f"; did you mean {guess!r}?" if guess else ""
    names = sorted(set(known))
    shown = names if limit is None else names[:limit]
    listed = ", ".join(shown) + (", ..." if len(shown) < len(names) else "")
    return f"unknown {what} {name!r}{hint} (known: {listed or 'none'})"
