"""What the admin API checks before it acts: the admin credential, and the key settings.

Admin keys (`admin.keys`) are SHA-256 digests like caller keys but a separate list:
a caller key is never an admin one. The admin API needs one whether caller auth is
on or off (an open admin API could mint keys), and with none configured it refuses
every call. An admin secret is held by the redactor from its first use on.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from modelgate.admin.v1 import admin_pb2
from modelgate.config import Settings
from modelgate.errors import GatewayError, invalid_argument
from modelgate.errors.key_factories import admin_credential_invalid, admin_credential_missing
from modelgate.redactor import REDACTOR

KEY_ID = re.compile(r"^[a-z0-9._-]{1,64}$")
MAX_METADATA = 16
UPDATABLE = frozenset(
    {
        "allowed_models",
        "requests_per_minute",
        "tokens_per_minute",
        "budgets",
        "metadata",
        "expire_time",
    }
)
"""`UpdateKeyRequest.update_mask` paths (the proto's comment)."""


def bearer(metadata: Any) -> str:
    """The secret of `authorization: Bearer <secret>`, or ""."""
    for name, value in metadata or ():
        if name == "authorization" and isinstance(value, str):
            scheme, _, secret = value.partition(" ")
            return secret.strip() if scheme.lower() == "bearer" else ""
    return ""


def authorize(settings: Settings, metadata: Any) -> str:
    """The admin key id of the call; UNAUTHENTICATED without a credential, PERMISSION_DENIED
    for anything but an admin key."""
    secret = bearer(metadata)
    if not secret:
        raise admin_credential_missing()
    if not settings.admin.keys:
        raise admin_credential_invalid("no admin key is configured (admin.keys): refused")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    for key in settings.admin.keys:
        if key.sha256.lower() == digest:
            REDACTOR.hold([secret])
            return key.id
    raise admin_credential_invalid("this is not an admin key (caller keys are refused)")


def key_problems(key: admin_pb2.ApiKey, prefix: str, paths: frozenset[str]) -> GatewayError | None:
    """INVALID_ARGUMENT for bad values among the fields in `paths`, or None."""
    problems: list[tuple[str, str]] = []
    if "requests_per_minute" in paths and key.requests_per_minute < 0:
        problems.append((f"{prefix}.requests_per_minute", "must be >= 0"))
    if "tokens_per_minute" in paths and key.tokens_per_minute < 0:
        problems.append((f"{prefix}.tokens_per_minute", "must be >= 0"))
    if "metadata" in paths and len(key.metadata) > MAX_METADATA:
        problems.append((f"{prefix}.metadata", f"at most {MAX_METADATA} entries"))
    if "allowed_models" in paths:
        problems += [
            (f"{prefix}.allowed_models[{i}]", "must not be empty")
            for i, model in enumerate(key.allowed_models)
            if not model
        ]
    if "budgets" in paths:
        periods: set[int] = set()
        for i, budget in enumerate(key.budgets):
            where = f"{prefix}.budgets[{i}]"
            if budget.period == admin_pb2.BUDGET_PERIOD_UNSPECIFIED:
                problems.append((f"{where}.period", "is required"))
            elif budget.period in periods:
                problems.append((f"{where}.period", "at most one budget per period"))
            periods.add(budget.period)
            if budget.max_cost_usd < 0 or budget.max_tokens < 0:
                problems.append((where, "caps must be >= 0"))
    return invalid_argument(problems) if problems else None
