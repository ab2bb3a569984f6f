"""`modelgate config check|schema`, and loading settings for any command that needs them.

`check` loads a configuration exactly as `serve` does (file, environment, .env) and
says what the gateway would run, without starting it; `schema` prints the JSON Schema
of the config file for editors (shipped as docs/config.schema.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from modelgate.config import ECHO_MODEL, ECHO_RUNTIME, Settings, load_settings
from modelgate.config_errors import ConfigError

EXIT_CONFIG = 2
"""Exit code of every configuration error (argparse uses 2 for usage errors too)."""


def settings_or_exit(config: Path | None, **overrides: Any) -> Settings:
    """The settings, or each problem on its own `error:` line on stderr and exit 2."""
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        fail(exc.lines)


def fail(lines: list[str]) -> NoReturn:
    """Print configuration problems, one `error:` line each, and exit 2."""
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(EXIT_CONFIG)


def schema_text() -> str:
    """The JSON Schema of the config file, as shipped in docs/config.schema.json."""
    schema = Settings.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "modelgate configuration"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def summary(settings: Settings) -> list[str]:
    """What the gateway would run with these settings, one aspect per line."""
    from modelgate.telemetry.tracing import tracing_mode

    server, telemetry = settings.server, settings.telemetry
    tls = "plaintext"
    if server.tls_cert_file is not None:
        tls = "mutual TLS" if server.tls_client_ca_file is not None else "TLS"
    runtimes = {ECHO_RUNTIME: "echo (built in)"} if settings.echo else {}
    for name, runtime in settings.runtimes.items():
        details = [runtime.kind]
        url = runtime.resolved_base_url()
        if url:
            details.append(without_password(url))
        if runtime.discover:
            details.append("discovers models")
        missing = runtime.missing_key_reason()
        if missing:
            details.append(f"{missing}: its models are listed unavailable")
        runtimes[name] = ", ".join(details)
    models = ([ECHO_MODEL] if settings.echo else []) + [m.id for m in settings.models]
    aliases = [
        f"{name} -> {', '.join(d.model for d in alias.deployments)}"
        + (f" (fallbacks: {', '.join(alias.fallbacks)})" if alias.fallbacks else "")
        for name, alias in settings.aliases.items()
    ]
    metrics = "off"
    if telemetry.metrics_port:
        metrics = f"on, scraped at {telemetry.scrape_host(server.host)}:{telemetry.metrics_port}"
    elif telemetry.metrics:
        metrics = "counted, no scrape endpoint (metrics_port 0)"
    auth = settings.auth
    lines = [
        f"config file: {settings.config or 'none (defaults, environment, .env)'}",
        f"server: {server.host}:{server.port}, {tls}",
        f"runtimes ({len(runtimes)}):",
        *(f"  {name}: {details}" for name, details in runtimes.items()),
        f"models ({len(models)}): {', '.join(models) or '-'}",
        f"aliases ({len(aliases)}): {'; '.join(aliases) or '-'}",
        f"state: {without_password(settings.state.url or 'memory://')}",
        f"auth: {f'on, {len(auth.keys)} keys' if auth.enabled else 'off'}",
        f"hooks: {', '.join(h.name for h in settings.hooks) or '-'}",
        f"telemetry: tracing {tracing_mode(telemetry)}, metrics {metrics}",
    ]
    return lines


def without_password(url: str) -> str:
    """`url` with its password, if any, as `***` (for summaries and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def check(file: Path | None) -> int:
    """`modelgate config check`: the summary of a valid configuration, or its errors (exit 2)."""
    settings = settings_or_exit(file)
    print("\n".join(summary(settings)))
    print("ok: the configuration is valid")
    return 0


def schema() -> int:
    """`modelgate config schema`: the config file's JSON Schema on stdout."""
    sys.stdout.write(schema_text())
    return 0
