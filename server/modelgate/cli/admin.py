"""`modelgate keys create|list|get|update|revoke` and `modelgate usage`: the admin API.

They send the admin key (`--admin-key`, better MODELGATE_ADMIN_KEY: a flag shows in
`ps`), never the caller key, over the connection flags every client command takes.
`keys create` prints the new secret once: the gateway keeps only its digest. Budgets are
`--budget PERIOD:UNIT=AMOUNT` flags (`budget_flags`); `keys get|list` show each budget's
spend, cap and reset below the keys.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2

from modelgate.admin.v1 import admin_pb2, admin_pb2_grpc
from modelgate.cli import connection
from modelgate.cli.budget_flags import FLAG_HELP, budget_rows, parse_budgets
from modelgate.cli.output import UsageError, add_json_flag, stdout
from modelgate.client import from_rpc_error

T = TypeVar("T")
_TIMEOUT_S = 30.0
_GRANULARITY = {
    "total": admin_pb2.USAGE_GRANULARITY_UNSPECIFIED,
    "hour": admin_pb2.USAGE_GRANULARITY_HOUR,
    "day": admin_pb2.USAGE_GRANULARITY_DAY,
}


def _call(args: argparse.Namespace, rpc: Callable[[admin_pb2_grpc.AdminServiceStub], T]) -> T:
    """`rpc(stub)` with the admin key, on a channel closed afterwards."""
    key = args.admin_key or os.environ.get("MODELGATE_ADMIN_KEY")
    if not key:
        raise UsageError("an admin key is needed: set MODELGATE_ADMIN_KEY (or --admin-key)")
    target = connection.target_of(args)
    creds = connection.credentials(args)
    with grpc.secure_channel(target, creds) if creds else grpc.insecure_channel(target) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        args.call_options = {
            "metadata": (("authorization", f"Bearer {key}"),),
            "timeout": args.timeout or _TIMEOUT_S,
        }
        try:
            return rpc(stub)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc


def _stamp(text: str | None) -> timestamp_pb2.Timestamp | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not an ISO 8601 time: {text!r}") from None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return stamp


def _key_fields(args: argparse.Namespace) -> tuple[admin_pb2.ApiKey, list[str]]:
    """The ApiKey the flags describe, and the fields they set."""
    key, paths = admin_pb2.ApiKey(id=args.id or ""), []
    if args.models is not None:
        key.allowed_models.extend(m for m in args.models.split(",") if m)
        paths.append("allowed_models")
    for name in ("requests_per_minute", "tokens_per_minute"):
        if getattr(args, name) is not None:
            setattr(key, name, getattr(args, name))
            paths.append(name)
    if args.meta is not None:
        for item in args.meta:
            name, sep, value = item.partition("=")
            if not sep:
                raise UsageError(f"--meta takes NAME=VALUE, got {item!r}")
            key.metadata[name] = value
        paths.append("metadata")
    if args.budget is not None:
        key.budgets.extend(parse_budgets(args.budget))
        paths.append("budgets")
    expire = _stamp(args.expires)
    if expire is not None:
        key.expire_time.CopyFrom(expire)
        paths.append("expire_time")
    return key, paths


def _show_keys(args: argparse.Namespace, keys: list[admin_pb2.ApiKey], whole: Any) -> None:
    if args.json:
        stdout.json(whole)
        return
    rows: list[tuple[str, ...]] = [("ID", "SOURCE", "MODELS", "RPM", "TPM", "EXPIRES", "REVOKED")]
    for key in keys:
        rows.append(
            (
                key.id,
                admin_pb2.KeySource.Name(key.source).removeprefix("KEY_SOURCE_").lower(),
                ",".join(key.allowed_models) or "*",
                str(key.requests_per_minute or "-"),
                str(key.tokens_per_minute or "-"),
                key.expire_time.ToJsonString() if key.HasField("expire_time") else "-",
                key.revoke_time.ToJsonString() if key.HasField("revoke_time") else "-",
            )
        )
    _table(rows)
    budgets = budget_rows(keys)
    if budgets:
        stdout.line("")
        _table([("KEY", "BUDGET", "UNIT", "SPENT", "CAP", "RESETS"), *budgets])


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        stdout.line("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _create(args: argparse.Namespace) -> int:
    key, _ = _key_fields(args)
    request = admin_pb2.CreateKeyRequest(key=key)
    reply = _call(args, lambda stub: stub.CreateKey(request, **args.call_options))
    if args.json:
        stdout.json(reply)
    else:
        stdout.line(f"id:     {reply.key.id}")
        stdout.line(f"secret: {reply.secret}")
        stdout.line("(shown once: the gateway keeps only its SHA-256 digest)")
    return 0


def _list(args: argparse.Namespace) -> int:
    keys: list[admin_pb2.ApiKey] = []

    def pages(stub: admin_pb2_grpc.AdminServiceStub) -> None:
        token = ""
        while True:
            request = admin_pb2.ListKeysRequest(
                page_size=1000, page_token=token, show_revoked=args.revoked
            )
            reply = stub.ListKeys(request, **args.call_options)
            keys.extend(reply.keys)
            token = reply.next_page_token
            if not token:
                return

    _call(args, pages)
    _show_keys(args, keys, admin_pb2.ListKeysResponse(keys=keys, total_size=len(keys)))
    return 0


def _get(args: argparse.Namespace) -> int:
    request = admin_pb2.GetKeyRequest(id=args.id)
    reply = _call(args, lambda stub: stub.GetKey(request, **args.call_options))
    _show_keys(args, [reply.key], reply)
    return 0


def _update(args: argparse.Namespace) -> int:
    key, paths = _key_fields(args)
    if not paths:
        raise UsageError(
            "nothing to change: give --models, --rpm, --tpm, --meta, --budget or --expires"
        )
    mask = field_mask_pb2.FieldMask(paths=paths)
    request = admin_pb2.UpdateKeyRequest(key=key, update_mask=mask)
    reply = _call(args, lambda stub: stub.UpdateKey(request, **args.call_options))
    _show_keys(args, [reply.key], reply)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    request = admin_pb2.RevokeKeyRequest(id=args.id)
    reply = _call(args, lambda stub: stub.RevokeKey(request, **args.call_options))
    _show_keys(args, [reply.key], reply)
    return 0


def _usage(args: argparse.Namespace) -> int:
    request = admin_pb2.GetUsageRequest(
        key_id=args.key_id or "", model=args.model or "", granularity=_GRANULARITY[args.by]
    )
    for field, text in (("start_time", args.start), ("end_time", args.end)):
        stamp = _stamp(text)
        if stamp is not None:
            getattr(request, field).CopyFrom(stamp)
    reply = _call(args, lambda stub: stub.GetUsage(request, **args.call_options))
    if args.json:
        stdout.json(reply)
        return 0
    rows: list[tuple[str, ...]] = [
        ("KEY", "MODEL", "PERIOD", "REQUESTS", "INPUT", "OUTPUT", "CACHED", "REASONING", "COST_USD")
    ]
    for row in reply.rows:
        period = row.period_start.ToJsonString() if row.HasField("period_start") else "total"
        counts = (row.requests, row.input_tokens, row.output_tokens, row.cached_input_tokens)
        cells = (row.key_id or "-", row.model, period, *map(str, counts))
        rows.append((*cells, str(row.reasoning_tokens), f"{row.cost_usd:.6f}"))
    _table(rows)
    return 0


def _admin_options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, parents=[connection.options()])
    parser.add_argument(
        "--admin-key",
        metavar="KEY",
        help="admin credential (env: MODELGATE_ADMIN_KEY, which stays out of `ps`)",
    )
    add_json_flag(parser)
    return parser


def _key_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", help="comma-separated models or aliases allowed (empty: all)")
    parser.add_argument("--rpm", dest="requests_per_minute", type=int, help="requests a minute")
    parser.add_argument("--tpm", dest="tokens_per_minute", type=int, help="tokens a minute")
    parser.add_argument("--meta", action="append", metavar="NAME=VALUE", help="metadata entry")
    parser.add_argument("--budget", action="append", metavar="PERIOD:UNIT=AMOUNT", help=FLAG_HELP)
    parser.add_argument("--expires", metavar="ISO8601", help="when the key stops working (UTC)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `keys` and `usage` to the `modelgate` command."""
    keys = commands.add_parser("keys", help="manage caller keys (admin API)")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[_admin_options()], help="create a key")
    create.add_argument("--id", help="key id (default: generated)")
    _key_flags(create)
    create.set_defaults(func=_create)
    listed = actions.add_parser("list", parents=[_admin_options()], help="list keys")
    listed.add_argument("--revoked", action="store_true", help="include revoked keys")
    listed.set_defaults(func=_list)
    for name, func, text in (("get", _get, "show a key"), ("revoke", _revoke, "revoke a key")):
        sub = actions.add_parser(name, parents=[_admin_options()], help=text)
        sub.add_argument("id")
        sub.set_defaults(func=func)
    update = actions.add_parser("update", parents=[_admin_options()], help="change a key")
    update.add_argument("id")
    _key_flags(update)
    update.set_defaults(func=_update)

    usage = commands.add_parser("usage", parents=[_admin_options()], help="usage by key and model")
    usage.add_argument("--key-id", help="only this key id")
    usage.add_argument("--model", help="only this model")
    usage.add_argument("--start", metavar="ISO8601", help="window start (default: first record)")
    usage.add_argument("--end", metavar="ISO8601", help="window end, exclusive (default: now)")
    usage.add_argument("--by", choices=sorted(_GRANULARITY), default="total", help="rows per")
    usage.set_defaults(func=_usage)
