"""The ConfigMap's config.yaml and env load in modelgate (scripts/check-deploy, step 4).

Loads the settings the Deployment gives the container (envFrom ConfigMaps, then its own
env, the config file written to the current directory) with modelgate's own strict
Settings, checks the ports the manifests assume, and that the Catalog knows every model,
alias, fallback and deployment. Runs in the project environment (uv run --frozen) from an
empty directory, so no stray .env is read; the caller's MODELGATE_*/OTEL_* settings are
dropped. Prints each problem to stderr and exits 1 if there is any.

Usage: python scripts/deploy_config_loads.py <repository root>
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from modelgate.config import Settings

OWN_PREFIXES = ("MODELGATE_", "OTEL_")
GRPC_PORT = 50051
METRICS_PORT = 9464


def deployment_env(kdir: Path) -> tuple[dict[str, str], str]:
    """The gateway container's environment, and the config.yaml its ConfigMap holds."""
    docs = [d for d in yaml.safe_load_all((kdir / "configmap.yaml").read_text()) if d]
    maps = {d["metadata"]["name"]: d["data"] for d in docs}
    deployment = next(
        d
        for d in yaml.safe_load_all((kdir / "deployment.yaml").read_text())
        if d and d["kind"] == "Deployment"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for ref in container.get("envFrom", []):
        env.update(maps[ref["configMapRef"]["name"]])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    env["MODELGATE_SERVER__HOST"] = "0.0.0.0"  # from the image
    config_yaml: str = maps["modelgate-config"]["config.yaml"]
    return env, config_yaml


def settings_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.server.port != GRPC_PORT:
        problems.append(f"server.port {settings.server.port} != {GRPC_PORT}")
    if settings.server.host != "0.0.0.0":
        problems.append(f"server.host {settings.server.host}")
    if settings.telemetry.metrics_port != METRICS_PORT:
        problems.append(
            f"telemetry.metrics_port {settings.telemetry.metrics_port} != {METRICS_PORT}"
        )
    if not settings.models:
        problems.append("the catalog has no models")
    return problems


async def catalog_problems(settings: Settings) -> list[str]:
    """Every name the settings refer to (models, aliases, fallbacks, deployments) is known."""
    from modelgate.routing.catalog import Catalog

    catalog = Catalog(settings)
    try:
        await asyncio.wait_for(catalog.refresh(), 30)
        names = [m.id for m in settings.models] + list(settings.aliases)
        names += [f for a in settings.aliases.values() for f in a.fallbacks]
        names += [d.model for a in settings.aliases.values() for d in a.deployments]
        return [f"catalog does not know {n!r}" for n in names if not catalog.knows(n)]
    finally:
        await catalog.aclose()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} <repository root>", file=sys.stderr)
        return 2
    for key in list(os.environ):
        if key.startswith(OWN_PREFIXES):
            del os.environ[key]
    env, config_yaml = deployment_env(Path(argv[1]) / "deploy/kubernetes")
    config_file = Path("config.yaml")
    config_file.write_text(config_yaml)
    env["MODELGATE_CONFIG"] = str(config_file.resolve())
    os.environ.update({k: v for k, v in env.items() if k.startswith(OWN_PREFIXES)})

    # Imported once the environment is the Deployment's, as in the container.
    from modelgate.config import load_settings
    from modelgate.config_errors import ConfigError

    try:
        settings = load_settings()  # strict: unknown keys and names, dangling references
    except ConfigError as exc:
        for line in exc.lines:
            print(f"  {line}", file=sys.stderr)
        return 1
    problems = settings_problems(settings)
    problems += asyncio.run(catalog_problems(settings))
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    print(f"ok: {len(settings.models)} models, {len(settings.aliases)} aliases")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
