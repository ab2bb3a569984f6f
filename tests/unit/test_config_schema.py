"""docs/config.schema.json is the settings' JSON Schema, current, and as strict as the gateway.

Editors complete and check config files against it (README "Configuration"), so a
stale copy would offer keys the gateway refuses. Regenerate it with
`uv run modelgate config schema > docs/config.schema.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from modelgate.config_cli import schema_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "docs" / "config.schema.json"


def _deployed_config() -> dict[str, Any]:
    maps = yaml.safe_load_all((ROOT / "deploy/kubernetes/configmap.yaml").read_text())
    config_map = next(d for d in maps if d and d["metadata"]["name"] == "modelgate-config")
    loaded: dict[str, Any] = yaml.safe_load(config_map["data"]["config.yaml"])
    return loaded


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SHIPPED.read_text() == schema_text(), (
        "docs/config.schema.json is stale: run "
        "`uv run modelgate config schema > docs/config.schema.json` and commit it"
    )


def test_the_schema_accepts_the_deployed_catalog_and_refuses_a_misspelt_key() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text()))
    config = _deployed_config()
    assert list(validator.iter_errors(config)) == []
    config["runtimes"]["openai"]["base_ulr"] = "http://h"
    with pytest.raises(jsonschema.ValidationError, match="'base_ulr' was unexpected"):
        validator.validate(config)


def test_the_config_file_cannot_name_itself() -> None:
    assert "config" not in json.loads(SHIPPED.read_text())["properties"]
