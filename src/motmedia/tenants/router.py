"""HTTP for customers and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from motmedia.api.deps import CurrentPrincipal, DbSession, State, require_scope
from motmedia.errors import Forbidden
from motmedia.schemas import PageOut
from motmedia.tenants import service
from motmedia.tenants.auth import Principal, Role
from motmedia.tenants.models import ApiKey, Customer
from motmedia.tenants.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    KeyCreate,
    KeyCreated,
    KeyOut,
)
from motmedia.tenants.scoping import get_scoped

router = APIRouter(prefix="/v1", tags=["customers and keys"])

Limit = Annotated[int, Query(ge=1, le=200)]


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        role=Role(key.role),
        scopes=key.scopes.split(),
        customer_id=key.customer_id,
        device_id=key.device_id,
        created_at=key.created_at,
    )


@router.post("/customers", status_code=201, response_model=CustomerOut)
def create_customer(
    body: CustomerCreate,
    session: DbSession,
    _: Annotated[Principal, Depends(require_scope("customers:write"))],
) -> CustomerOut:
    customer = service.create_customer(
        session=session, name=body.name, settings=body.settings.model_dump()
    )
    return CustomerOut.of(customer)


@router.get("/customers", response_model=PageOut[CustomerOut])
def list_customers(
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("customers:read"))],
    cursor: str | None = None,
    limit: Limit = 50,
) -> PageOut[CustomerOut]:
    page = service.list_customers(session=session, principal=principal, cursor=cursor, limit=limit)
    items = [CustomerOut.of(c) for c in page.items]
    return PageOut[CustomerOut](items=items, next_cursor=page.next_cursor)


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(
    customer_id: str,
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("customers:read"))],
) -> CustomerOut:
    return CustomerOut.of(get_scoped(session, Customer, customer_id, principal))


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def patch_customer(
    customer_id: str,
    body: CustomerPatch,
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("settings:write"))],
) -> CustomerOut:
    """Rename (vendor) or replace the tenant's settings (vendor or its own admin)."""
    customer = get_scoped(session, Customer, customer_id, principal)
    if body.name is not None and not principal.has("customers:write"):
        raise Forbidden(
            "Only the vendor renames customers.", code="MISSING_SCOPE", scope="customers:write"
        )
    service.update_customer(
        customer=customer,
        name=body.name,
        settings=body.settings.model_dump() if body.settings is not None else None,
    )
    return CustomerOut.of(customer)


@router.post("/keys", status_code=201, response_model=KeyCreated)
def create_key(
    body: KeyCreate,
    session: DbSession,
    state: State,
    principal: Annotated[Principal, Depends(require_scope("keys:write"))],
) -> KeyCreated:
    key, plaintext = service.create_key(
        session=session,
        actor=principal,
        role=body.role,
        customer_id=body.customer_id,
        device_id=body.device_id,
        scopes=body.scopes,
        name=body.name,
        pepper=state.settings.secret("api_key_pepper"),
        device_lookup=state.services.get("device_lookup"),
    )
    return KeyCreated(**_key_out(key).model_dump(), key=plaintext)


@router.get("/keys", response_model=PageOut[KeyOut])
def list_keys(
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("keys:read"))],
    cursor: str | None = None,
    limit: Limit = 50,
) -> PageOut[KeyOut]:
    page = service.list_keys(session=session, principal=principal, cursor=cursor, limit=limit)
    return PageOut[KeyOut](items=[_key_out(k) for k in page.items], next_cursor=page.next_cursor)


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(
    key_id: str,
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("keys:write"))],
) -> Response:
    service.revoke_key(session=session, principal=principal, key_id=key_id)
    return Response(status_code=204)


@router.get("/me", tags=["customers and keys"])
def whoami(principal: CurrentPrincipal) -> dict[str, object]:
    """Who the presented key is: role, customer, device and scopes."""
    return {
        "key_id": principal.key_id,
        "role": principal.role.value,
        "customer_id": principal.customer_id,
        "device_id": principal.device_id,
        "scopes": sorted(principal.scopes),
    }
