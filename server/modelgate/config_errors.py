"""Configuration errors as an operator reads them: one line per problem, naming its path.

pydantic's own text is three lines per error and names no alternative; these lines say
where (`runtimes.openai.base_ulr`, `MODELGATE_SEVER__PORT`), what, and what was meant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from modelgate.config_paths import DOTENV_LABEL, ENV_PREFIX, dotted, env_name_problem, unknown_key

_SECRET_PARTS = ("key", "sha256", "header", "url", "secret", "token", "password")
_SHOWN_INPUT_CHARS = 60
_UNPARSED = re.compile(r'field "(\w+)" from source "(\w+)"')
_SERVICE_LINK = re.compile(
    r"MODELGATE_(?:[A-Z0-9]+(?:_[A-Z0-9]+)*_)?(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?"
    r"|PORT(?:_\d+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)?)"
)


class ConfigError(ValueError):
    """The configuration cannot be used; `lines` says why, one problem per line."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


class ReferenceProblems(ValueError):
    """Names in the configuration that point nowhere: (key path, message) pairs.

    Raised by the settings' own validator, so pydantic carries it; `explain` unpacks it.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"`{path}`: {message}" for path, message in self.problems))


def explain(error: ValidationError, root: type[BaseModel]) -> list[str]:
    """One line per problem of a failed settings validation."""
    lines: list[str] = []
    for detail in error.errors():
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, ReferenceProblems):
            lines += [f"`{path}`: {message}" for path, message in cause.problems]
        else:
            lines.append(_line(detail, root))
    return lines


def _line(detail: ErrorDetails, root: type[BaseModel]) -> str:
    loc = detail["loc"]
    if detail["type"] == "extra_forbidden":
        name = str(loc[-1])
        if len(loc) == 1 and name.removeprefix(DOTENV_LABEL).startswith(ENV_PREFIX):
            return env_line(root, name, detail.get("input"))
        return f"`{dotted(loc)}`: {unknown_key(root, loc)}"
    message = detail["msg"].removeprefix("Value error, ")
    path = dotted(loc)
    shown = _shown_input(path, detail.get("input"))
    text = f"{message}{shown}"
    return f"`{path}`: {text}" if path else text


def env_line(root: type[BaseModel], name: str, value: object) -> str:
    """The line for a `MODELGATE_*` variable (`.env:` when from .env) that names no setting."""
    where = ".env" if name.startswith(DOTENV_LABEL) else "environment"
    name = name.removeprefix(DOTENV_LABEL)
    problem = env_name_problem(root, name) or "unknown setting"
    if _looks_like_service_link(name, value):
        problem += (
            " (if Kubernetes set it for a Service: `enableServiceLinks: false` in the pod spec "
            "stops that)"
        )
    return f"{where} variable `{name}`: {problem}"


def _looks_like_service_link(name: str, value: object) -> bool:
    """A variable Kubernetes injects for a Service (`MODELGATE_PORT=tcp://10.0.0.1:50051`)."""
    if not _SERVICE_LINK.fullmatch(name):
        return False
    if "_SERVICE_" in name or re.search(r"_PORT_\d+_", name):
        return True
    return isinstance(value, str) and value.startswith(("tcp://", "udp://", "sctp://"))


def source_line(error: Exception) -> str:
    """The line for a value pydantic-settings could not even parse (a section not in JSON)."""
    found = _UNPARSED.search(str(error))
    cause = f": {error.__cause__}" if error.__cause__ else ""
    if found is None:
        return f"{error}{cause}"
    field, source = found.groups()
    where = ".env" if source.startswith("DotEnv") else "environment"
    name = f"{ENV_PREFIX}{field.upper()}"
    return f"{where} variable `{name}` (or `{name}__...`): not valid JSON{cause}"


def _shown_input(path: str, value: object) -> str:
    """`(got ...)` for short scalar inputs; never for anything that may be a secret."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    if any(part in path.lower() for part in _SECRET_PARTS):
        return ""
    text = repr(value)
    return f" (got {text})" if len(text) <= _SHOWN_INPUT_CHARS else ""
