"""The settings' sources made strict: nothing an operator wrote is dropped without a word.

pydantic-settings ignores `MODELGATE_*` variables that name no setting and reads the
YAML file leniently (a repeated key silently wins, a broken file is a traceback). Here
an unknown variable is handed to validation as an extra input, so it is refused with
the other errors, and the YAML file is read with duplicate keys and syntax errors
reported as one line with the file, line and column.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    YamlConfigSettingsSource,
)
from typing_extensions import override

from modelgate.config_errors import ConfigError
from modelgate.config_paths import DOTENV_LABEL, ENV_PREFIX, env_name_problem

READ_BY_OTHER_PROGRAMS = frozenset(
    {
        "MODELGATE_API_KEY",  # the CLI's and callers' key (docs: clients/python/README.md)
        "MODELGATE_ADMIN_KEY",  # the admin credential of `modelgate keys` and `usage`
        "MODELGATE_TARGET",  # the gateway address of the CLI, clients and polyglot tests
        "MODELGATE_BENCH_CACHE",  # bench/
        "MODELGATE_TOOLS_CACHE",  # scripts/check-deploy
        "MODELGATE_TOOLS_INSTALL_TIMEOUT",  # scripts/check-deploy
        "MODELGATE_SETUP_APT_WAIT",  # scripts/setup
        "MODELGATE_REAL_UPSTREAMS",  # scripts/real-upstreams and tests/real_upstreams
        "MODELGATE_UPSTREAMS_CACHE",  # scripts/real-upstreams
    }
)
"""`MODELGATE_*` names that are not settings but are ours: other modelgate programs read
them, so they share the gateway's environment. Any other `MODELGATE_*` name is a typo
(tests/unit/test_config_env.py keeps this list equal to what the code reads)."""


class StrictEnv(PydanticBaseSettingsSource):
    """An env or .env source that passes unknown `MODELGATE_*` names on as extra inputs.

    The settings forbid extras, so each becomes an error naming the variable; the
    source itself never sees them, so they cannot half-build a section either.
    """

    def __init__(self, inner: EnvSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self.inner = inner
        self.unknown: dict[str, Any] = {}
        label = DOTENV_LABEL if isinstance(inner, DotEnvSettingsSource) else ""
        kept: dict[str, str | None] = {}
        for name, value in inner.env_vars.items():
            upper = name.upper()
            if (
                upper.startswith(ENV_PREFIX)
                and upper not in READ_BY_OTHER_PROGRAMS
                and env_name_problem(inner.settings_cls, upper)
            ):
                self.unknown[label + upper] = value
            else:
                kept[name] = value
        inner.env_vars = kept

    @override
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.inner.get_field_value(field, field_name)

    @override
    def __call__(self) -> dict[str, Any]:
        return {**self.inner(), **self.unknown}


def config_path(sources: list[PydanticBaseSettingsSource]) -> Path | None:
    """The file named by `config=`, else MODELGATE_CONFIG from the environment, else .env.

    A named file that is not there is an error: a wrong mount must not start the
    gateway with defaults.
    """
    for source in sources:
        raw = source().get("config")
        if raw:
            path = Path(raw)
            if not path.is_file():
                what = "not a file" if path.exists() else "not found"
                raise ConfigError([f"config file {what}: {path}"])
            return path
    return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key written twice in one mapping is an error."""

    @override
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable) or key == "<<":
                continue
            if key in first_line:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key!r} (first at line {first_line[key]})",
                    problem_mark=key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class StrictYaml(YamlConfigSettingsSource):
    """The YAML config file: one mapping of settings, without repeated keys or `config`."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        self.path = path
        super().__init__(settings_cls, yaml_file=path)

    @override
    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            text = Path(file_path).read_text(encoding="utf-8")
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # a safe loader
        except yaml.MarkedYAMLError as exc:
            raise ConfigError([_yaml_line(self.path, exc)]) from None
        except yaml.YAMLError as exc:
            raise ConfigError([f"{self.path}: invalid YAML: {exc}"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{self.path}: cannot read: {exc}"]) from None
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            kind = type(data).__name__
            raise ConfigError([f"{self.path}: expected a mapping of settings, got a {kind}"])
        if "config" in data:
            raise ConfigError(
                [
                    f"{self.path}: `config`: a config file cannot name another one; "
                    "use --config or MODELGATE_CONFIG"
                ]
            )
        return dict(data)


def _yaml_line(path: Path, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    return f"{where}: invalid YAML: {exc.problem or exc.context}"
