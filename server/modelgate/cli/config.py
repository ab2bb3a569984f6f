"""`modelgate config check|schema`: the parsers here, the work in `modelgate.config_cli`.

Registered without importing the settings (they pull in every state backend), so client
commands start fast; the import happens only when a `config` command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _check(args: argparse.Namespace) -> int:
    from modelgate.config_cli import check

    return check(args.file)


def _schema(_args: argparse.Namespace) -> int:
    from modelgate.config_cli import schema

    return schema()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `config check` and `config schema` to the `modelgate` command."""
    config = commands.add_parser("config", help="check a configuration or print its schema")
    actions = config.add_subparsers(dest="config_command", required=True)
    check = actions.add_parser(
        "check", help="validate file + environment + .env as `serve` would, without serving"
    )
    check.add_argument(
        "file", nargs="?", type=Path, default=None, help="YAML config (env: MODELGATE_CONFIG)"
    )
    check.set_defaults(func=_check)
    schema = actions.add_parser("schema", help="print the config file's JSON Schema")
    schema.set_defaults(func=_schema)
