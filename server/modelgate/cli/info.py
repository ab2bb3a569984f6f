"""`modelgate models`, `count-tokens` and `health`: what the gateway serves and whether it can."""

from __future__ import annotations

import argparse

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from modelgate.cli import connection
from modelgate.cli.output import add_json_flag, stdout
from modelgate.cli.prompt import add_prompt, read_prompt
from modelgate.client import from_rpc_error
from modelgate.v1 import model_pb2

_CAPABILITIES = ("chat", "completion", "embedding", "streaming", "tools", "vision", "json_schema")
_HEALTH_TIMEOUT_S = 10.0
_SERVING = health_pb2.HealthCheckResponse.SERVING


def _models(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        models = list(client.list_models())
    if args.json:  # every page as one response, the shape `buf curl` shows for one page
        stdout.json(model_pb2.ListModelsResponse(models=models, total_size=len(models)))
        return 0
    rows = [("ID", "PROVIDER", "RUNTIME", "CAPABILITIES", "AVAILABLE")]
    for model in models:
        have = ",".join(c for c in _CAPABILITIES if getattr(model.capabilities, c))
        available = "yes" if model.availability.available else f"no ({model.availability.reason})"
        rows.append((model.id, model.provider, model.runtime, have, available))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        stdout.line("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _count_tokens(args: argparse.Namespace) -> int:
    with connection.connect(args) as client:
        prompt = read_prompt(args.prompt)
        reply = client.count_tokens(args.model, messages=[prompt], system=args.system)
    if args.json:
        stdout.json(reply)
    else:
        stdout.line(str(reply.input_tokens))
    return 0


def _health(args: argparse.Namespace) -> int:
    """grpc.health.v1 Check; the exit code says SERVING (0) or not (1), for scripts and probes."""
    with connection.connect(args) as client:
        health = health_pb2_grpc.HealthStub(client.channel)
        request = health_pb2.HealthCheckRequest(service=args.service)
        try:
            reply = health.Check(request, timeout=args.timeout or _HEALTH_TIMEOUT_S)
        except grpc.RpcError as exc:
            error = from_rpc_error(exc)
            if error.code == grpc.StatusCode.NOT_FOUND and not error.message:
                error.message = f"the gateway has no health status for service {args.service!r}"
            raise error from exc
    status: int = reply.status
    if args.json:
        stdout.json(reply)
    else:
        stdout.line(health_pb2.HealthCheckResponse.ServingStatus.Name(status))
    return 0 if status == _SERVING else 1


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `models`, `count-tokens` and `health` to the `modelgate` command."""
    models = commands.add_parser("models", parents=[connection.options()], help="list models")
    add_json_flag(models, "print every model as one ListModelsResponse in protobuf JSON")
    models.set_defaults(func=_models)

    count = commands.add_parser(
        "count-tokens",
        parents=[connection.options()],
        help="count the input tokens of a chat prompt",
    )
    add_prompt(count)
    count.add_argument("--model", default="echo", help="model or alias (default: echo)")
    count.add_argument("--system", default=None, help="system prompt, counted too")
    add_json_flag(count)
    count.set_defaults(func=_count_tokens)

    health = commands.add_parser(
        "health",
        parents=[connection.options()],
        help="grpc.health.v1 Check: prints the status; exit code 0 only when SERVING",
    )
    health.add_argument(
        "--service",
        default="",
        help="service to check (default: the whole server; e.g. modelgate.v1.ModelGateway)",
    )
    add_json_flag(health)
    health.set_defaults(func=_health)
