"""The start-up summary: what this process serves, in one structured log record.

An operator reading the first lines of a pod's log should learn how it was
configured and what is wrong with that, without `modelgate config check` or a
shell in the pod: a public address without auth, no usable model, and each
runtime that could not be reached are WARNING lines of their own.
"""

from __future__ import annotations

import asyncio
import logging
import os
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from modelgate.config import Settings
from modelgate.config_cli import without_password
from modelgate.records import public_endpoint
from modelgate.routing.catalog import Catalog, RuntimeState
from modelgate.telemetry.tracing import tracing_mode
from modelgate.version import version

log = logging.getLogger("modelgate.startup")


def is_loopback(host: str) -> bool:
    """Whether a bind address is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _sources(settings: Settings) -> list[str]:
    sources = [f"file {settings.config}"] if settings.config else []
    variables = sorted(name for name in os.environ if name.startswith("MODELGATE_"))
    if variables:
        sources.append(f"environment ({len(variables)} MODELGATE_* variables)")
    if Path(".env").is_file():
        sources.append(".env")
    return sources or ["defaults"]


def _reachability(state: RuntimeState) -> str:
    if state.backend is None or state.error:
        return "unreachable"
    if state.config.missing_key_reason():
        return "no API key"
    return "reachable" if state.config.discover else "not probed (static models)"


def _event_loop() -> str:
    """The running loop's implementation ("asyncio", "uvloop"): what runs, not what was asked."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return "none"
    return type(loop).__module__.partition(".")[0]


def summary(settings: Settings, catalog: Catalog, host: str, port: int) -> dict[str, Any]:
    """The facts of the start-up record (no secret: URLs as host, port and path only)."""
    server, telemetry = settings.server, settings.telemetry
    tls = "off"
    if server.tls_cert_file is not None:
        tls = "mutual" if server.tls_client_ca_file is not None else "on"
    metrics = "off"
    if telemetry.metrics_port:
        metrics = f"{telemetry.scrape_host(host)}:{telemetry.metrics_port}"
    elif telemetry.metrics:
        metrics = "counted, not served"
    runtimes: dict[str, dict[str, Any]] = {}
    for name, state in catalog.runtimes.items():
        models = [m for m in catalog.all_ids() if catalog.resolve(m).record.runtime == name]
        runtimes[name] = {
            "kind": state.config.kind,
            "url": public_endpoint(state.config.resolved_base_url()),
            "models": len(models),
            "reachability": _reachability(state),
            **({"cause": state.error} if state.error else {}),
        }
    return {
        "version": version(),
        "config_sources": _sources(settings),
        "listen": f"{host}:{port}",
        "event_loop": _event_loop(),
        "tls": tls,
        "auth": f"on ({len(settings.auth.keys)} keys)" if settings.auth.enabled else "off",
        "state": without_password(settings.state.url or "memory://"),
        "tracing": tracing_mode(telemetry),
        "metrics": metrics,
        "runtimes": runtimes,
    }


def log_startup(settings: Settings, catalog: Catalog, host: str, port: int) -> None:
    """One INFO record with the summary, then a WARNING per problem it shows."""
    facts = summary(settings, catalog, host, port)
    available = [m for m in catalog.all_ids() if not catalog.resolve(m).unavailable_reason]
    log.info(
        "modelgate %s on %s: tls %s, auth %s, state %s, tracing %s, metrics %s, %d of %d "
        "models available",
        facts["version"],
        facts["listen"],
        facts["tls"],
        facts["auth"],
        facts["state"],
        facts["tracing"],
        facts["metrics"],
        len(available),
        len(catalog.all_ids()),
        extra={"startup": facts},
    )
    if not is_loopback(host) and not settings.auth.enabled:
        log.warning(
            "listening on %s without auth: anyone who reaches it can call every model "
            "(set auth.enabled and auth.keys, or bind 127.0.0.1)",
            facts["listen"],
        )
    if not available:
        log.warning("no model is available: every call will fail until one is")
    for name, runtime in facts["runtimes"].items():
        if runtime["reachability"] == "unreachable":
            log.warning(
                "runtime %s at %s is unreachable: %s",
                name,
                runtime["url"] or "(no URL)",
                runtime.get("cause", "unknown cause"),
            )
