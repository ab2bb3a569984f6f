"""Errors of runtime keys, their budgets and the admin API (a second factories module, so
neither passes 400 lines; `tests/unit/test_error_reasons.py` checks both)."""

from __future__ import annotations

import grpc

from modelgate.errors.gateway_error import GatewayError, bounded, quoted
from modelgate.v1.errors_pb2 import ErrorReason

R = ErrorReason
_STATUS = grpc.StatusCode


def api_key_revoked(key_id: str, why: str) -> GatewayError:
    """UNAUTHENTICATED for a key that was revoked or has expired (`why`)."""
    return GatewayError(
        _STATUS.UNAUTHENTICATED,
        R.ERROR_REASON_API_KEY_REVOKED,
        f"API key {key_id!r} {why}",
        metadata={"api_key": key_id},
    )


def admin_credential_missing() -> GatewayError:
    """UNAUTHENTICATED: an admin call without `authorization: Bearer <admin key>`."""
    return GatewayError(
        _STATUS.UNAUTHENTICATED,
        R.ERROR_REASON_ADMIN_CREDENTIAL_INVALID,
        "missing admin key: send metadata `authorization: Bearer <admin key>`",
    )


def admin_credential_invalid(why: str) -> GatewayError:
    """PERMISSION_DENIED: a caller key, an unknown key, or no admin key configured."""
    return GatewayError(
        _STATUS.PERMISSION_DENIED, R.ERROR_REASON_ADMIN_CREDENTIAL_INVALID, f"admin API: {why}"
    )


def key_not_found(key_id: str) -> GatewayError:
    """NOT_FOUND for an id no key has."""
    return GatewayError(
        _STATUS.NOT_FOUND,
        R.ERROR_REASON_KEY_NOT_FOUND,
        f"no API key {quoted(key_id)}",
        metadata={"api_key": bounded(key_id)},
    )


def key_read_only(key_id: str) -> GatewayError:
    """FAILED_PRECONDITION: a configuration key changed through the admin API."""
    return GatewayError(
        _STATUS.FAILED_PRECONDITION,
        R.ERROR_REASON_KEY_READ_ONLY,
        f"API key {key_id!r} comes from the configuration file (auth.keys): change it there",
        metadata={"api_key": key_id},
    )


def key_revoked_unchangeable(key_id: str) -> GatewayError:
    """FAILED_PRECONDITION: an update of a revoked key."""
    return GatewayError(
        _STATUS.FAILED_PRECONDITION,
        R.ERROR_REASON_API_KEY_REVOKED,
        f"API key {key_id!r} is revoked and cannot be changed",
        metadata={"api_key": key_id},
    )


def key_exists(key_id: str) -> GatewayError:
    """ALREADY_EXISTS for a CreateKey whose id is taken."""
    return GatewayError(
        _STATUS.ALREADY_EXISTS,
        R.ERROR_REASON_INVALID_REQUEST,
        f"API key {key_id!r} already exists",
        violations=[("key.id", "already exists")],
    )


def key_store_full(max_keys: int) -> GatewayError:
    """RESOURCE_EXHAUSTED: the store holds its maximum of keys (revoked ones included)."""
    return GatewayError(
        _STATUS.RESOURCE_EXHAUSTED,
        R.ERROR_REASON_QUOTA_EXCEEDED,
        f"the key store holds its maximum of {max_keys} keys",
        quota_violations=[("admin:keys", f"at most {max_keys} keys")],
    )


def budget_exhausted(key_id: str, budget: str, wait: float | None) -> GatewayError:
    """RESOURCE_EXHAUSTED for a spent budget; `budget` is `budget:<period>:usd|tokens`,
    `wait` the seconds until it has room again (None: a total budget, never)."""
    when = "it never resets" if wait is None else f"retry in {wait:.0f}s"
    return GatewayError(
        _STATUS.RESOURCE_EXHAUSTED,
        R.ERROR_REASON_BUDGET_EXHAUSTED,
        f"API key {key_id!r} has used up its {budget}; {when}",
        metadata={"api_key": key_id, "budget": budget},
        retry_after=wait,
        quota_violations=[(key_id, budget)],
    )
