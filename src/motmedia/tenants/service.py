"""Customers and API keys. Plain functions, session passed in, no FastAPI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from motmedia.db import new_id, utcnow
from motmedia.errors import BadInput, Forbidden, NotFound, Unauthorized
from motmedia.pagination import Page, paginate
from motmedia.tenants.auth import (
    ROLE_SCOPES,
    Principal,
    Role,
    format_key,
    generate_secret,
    hash_secret,
    parse_key,
    verify_secret,
)
from motmedia.tenants.models import ApiKey, Customer
from motmedia.tenants.scoping import get_scoped, scoped

__all__ = [
    "authenticate",
    "create_customer",
    "create_key",
    "customer_settings",
    "has_vendor_key",
    "list_customers",
    "list_keys",
    "revoke_key",
    "update_customer",
]

# Lets the entitlements domain validate a device id without this module importing it
# (imports flow tenants → entitlements, never back). Returns the device's customer id.
DeviceLookup = Callable[[Session, str], str | None]


def create_customer(
    *, session: Session, name: str, settings: dict[str, Any] | None = None
) -> Customer:
    name = name.strip()
    if not name:
        raise BadInput("A customer needs a name.", code="INVALID_NAME")
    customer = Customer(
        id=new_id(), name=name, settings_json=json.dumps(settings or {}, ensure_ascii=False)
    )
    session.add(customer)
    session.flush()
    return customer


def update_customer(
    *, customer: Customer, name: str | None = None, settings: dict[str, Any] | None = None
) -> Customer:
    if name is not None:
        if not name.strip():
            raise BadInput("A customer needs a name.", code="INVALID_NAME")
        customer.name = name.strip()
    if settings is not None:
        customer.settings_json = json.dumps(settings, ensure_ascii=False)
    return customer


def customer_settings(customer: Customer) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(customer.settings_json or "{}")
    return value


def list_customers(
    *, session: Session, principal: Principal, cursor: str | None, limit: int
) -> Page[Customer]:
    return paginate(
        session, scoped(select(Customer), Customer, principal), Customer, cursor=cursor, limit=limit
    )


def create_key(
    *,
    session: Session,
    actor: Principal | None,
    role: Role,
    customer_id: str | None,
    device_id: str | None = None,
    scopes: Iterable[str] | None = None,
    pepper: bytes,
    name: str = "",
    device_lookup: DeviceLookup | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is never stored or shown again.

    ``actor`` is ``None`` only for the bootstrap (CLI / first start). A customer admin
    can mint keys for its own customer only, never vendor keys, and never scopes beyond
    the role's.
    """
    if actor is not None and not actor.is_vendor:
        if role is Role.VENDOR:
            raise Forbidden("Only vendor keys can create vendor keys.", code="ROLE_NOT_GRANTABLE")
        if customer_id != actor.customer_id:
            raise NotFound(f"No customer with id {customer_id}.", code="CUSTOMER_NOT_FOUND")
    if role is Role.VENDOR:
        if customer_id is not None or device_id is not None:
            raise BadInput(
                "A vendor key belongs to no customer or device.", code="INVALID_KEY_OWNER"
            )
    else:
        if customer_id is None:
            raise BadInput("This role needs a customer_id.", code="INVALID_KEY_OWNER")
        # Existence check; for customer admins the equality check above covers it.
        if (actor is None or actor.is_vendor) and session.get(Customer, customer_id) is None:
            raise NotFound(f"No customer with id {customer_id}.", code="CUSTOMER_NOT_FOUND")
    if role is Role.DEVICE:
        if device_id is None:
            raise BadInput("A device key needs a device_id.", code="INVALID_KEY_OWNER")
        owner = device_lookup(session, device_id) if device_lookup else None
        if owner != customer_id:
            raise NotFound(f"No device with id {device_id}.", code="DEVICE_NOT_FOUND")
    elif device_id is not None:
        raise BadInput("Only device keys name a device.", code="INVALID_KEY_OWNER")

    allowed = ROLE_SCOPES[role]
    granted = frozenset(scopes) if scopes is not None else allowed
    if extra := granted - allowed:
        raise BadInput(
            f"Scopes not available to role {role.value}: {', '.join(sorted(extra))}.",
            code="INVALID_SCOPES",
        )
    if actor is not None and (beyond := granted - actor.scopes):
        raise Forbidden(
            f"A key cannot grant scopes it does not hold: {', '.join(sorted(beyond))}.",
            code="SCOPE_NOT_GRANTABLE",
        )
    secret = generate_secret()
    key = ApiKey(
        id=new_id(),
        name=name,
        role=role.value,
        scopes=" ".join(sorted(granted)),
        customer_id=customer_id,
        device_id=device_id,
        secret_hash=hash_secret(secret, pepper),
    )
    session.add(key)
    session.flush()
    return key, format_key(key.id, secret)


def authenticate(*, session: Session, token: str, pepper: bytes) -> Principal:
    parsed = parse_key(token)
    if parsed is None:
        raise Unauthorized("The API key is malformed.", code="INVALID_KEY")
    key_id, secret = parsed
    key = session.get(ApiKey, key_id)
    # Hash even when the row is missing, so timing does not tell which ids exist.
    stored = key.secret_hash if key is not None else "0" * 64
    if not verify_secret(secret, stored, pepper) or key is None or key.revoked_at is not None:
        raise Unauthorized("The API key is not valid.", code="INVALID_KEY")
    return Principal(
        key_id=key.id,
        role=Role(key.role),
        customer_id=key.customer_id,
        device_id=key.device_id,
        scopes=frozenset(key.scopes.split()),
    )


def list_keys(
    *, session: Session, principal: Principal, cursor: str | None, limit: int
) -> Page[ApiKey]:
    stmt = scoped(select(ApiKey), ApiKey, principal).where(ApiKey.revoked_at.is_(None))
    return paginate(session, stmt, ApiKey, cursor=cursor, limit=limit)


def revoke_key(*, session: Session, principal: Principal, key_id: str) -> None:
    key = get_scoped(session, ApiKey, key_id, principal)
    if key.role == Role.VENDOR.value and not principal.is_vendor:
        raise NotFound(f"No api key with id {key_id}.", code="API_KEY_NOT_FOUND")
    key.revoked_at = utcnow()


def has_vendor_key(*, session: Session) -> bool:
    stmt = select(ApiKey.id).where(ApiKey.role == Role.VENDOR.value, ApiKey.revoked_at.is_(None))
    return session.scalars(stmt.limit(1)).first() is not None
