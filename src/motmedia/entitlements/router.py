"""HTTP for devices, contracts, entitlement decisions, invoices, quotes and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from motmedia.api.deps import DbSession, require_scope
from motmedia.entitlements import billing, service
from motmedia.entitlements.dependencies import CurrentPolicy, business_today
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Contract, Device
from motmedia.entitlements.schemas import (
    AuditOut,
    BatchCheck,
    BatchResult,
    ContractCreate,
    ContractOut,
    ContractPatch,
    DecisionOut,
    DeviceCreate,
    DeviceOut,
    DevicePatch,
    FirstInvoiceOut,
    RepairQuoteOut,
)
from motmedia.errors import BadInput
from motmedia.pagination import paginate
from motmedia.schemas import PageOut
from motmedia.tenants.auth import Principal
from motmedia.tenants.scoping import get_scoped, scoped

router = APIRouter(prefix="/v1", tags=["entitlements"])

Limit = Annotated[int, Query(ge=1, le=200)]
Vendor = Annotated[Principal, Depends(require_scope("devices:write"))]
DeviceReader = Annotated[Principal, Depends(require_scope("devices:read"))]
EntitlementReader = Annotated[Principal, Depends(require_scope("entitlements:read"))]


def _out(decision: Decision) -> DecisionOut:
    return DecisionOut.model_validate(decision.as_dict())


# ---- devices ----


@router.post("/devices", status_code=201, response_model=DeviceOut)
def create_device(
    body: DeviceCreate, session: DbSession, policy: CurrentPolicy, _: Vendor
) -> Device:
    return service.create_device(
        session=session,
        policy=policy,
        customer_id=body.customer_id,
        model=body.model,
        serial=body.serial,
        install_date=body.install_date,
        name=body.name,
    )


@router.get("/devices", response_model=PageOut[DeviceOut])
def list_devices(
    session: DbSession,
    principal: DeviceReader,
    customer_id: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> PageOut[DeviceOut]:
    stmt = scoped(select(Device), Device, principal)
    if customer_id:
        stmt = stmt.where(Device.customer_id == customer_id)
    page = paginate(session, stmt, Device, cursor=cursor, limit=limit)
    return PageOut[DeviceOut](
        items=[DeviceOut.model_validate(d) for d in page.items], next_cursor=page.next_cursor
    )


@router.get("/devices/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, session: DbSession, principal: DeviceReader) -> Device:
    return get_scoped(session, Device, device_id, principal)


@router.patch("/devices/{device_id}", response_model=DeviceOut)
def patch_device(
    device_id: str, body: DevicePatch, session: DbSession, principal: Vendor
) -> Device:
    device = get_scoped(session, Device, device_id, principal)
    if body.name is not None:
        device.name = body.name
    if body.install_date is not None:
        device.install_date = body.install_date
    return device


@router.delete("/devices/{device_id}", status_code=204)
def delete_device(device_id: str, session: DbSession, principal: Vendor) -> Response:
    session.delete(get_scoped(session, Device, device_id, principal))
    return Response(status_code=204)


# ---- contracts ----


@router.post("/devices/{device_id}/contracts", status_code=201, response_model=ContractOut)
def create_contract(
    device_id: str, body: ContractCreate, session: DbSession, principal: Vendor
) -> Contract:
    device = get_scoped(session, Device, device_id, principal)
    return service.create_contract(
        session=session,
        device=device,
        signed_date=body.signed_date,
        end_date=body.end_date,
        kind=body.kind,
    )


@router.get("/devices/{device_id}/contracts", response_model=list[ContractOut])
def list_contracts(device_id: str, session: DbSession, principal: DeviceReader) -> list[Contract]:
    device = get_scoped(session, Device, device_id, principal)
    stmt = select(Contract).where(Contract.device_id == device.id).order_by(Contract.signed_date)
    return list(session.scalars(stmt))


@router.patch("/devices/{device_id}/contracts/{contract_id}", response_model=ContractOut)
def end_contract(
    device_id: str, contract_id: str, body: ContractPatch, session: DbSession, principal: Vendor
) -> Contract:
    contract = get_scoped(session, Contract, contract_id, principal)
    if contract.device_id != device_id:
        raise BadInput("The contract belongs to another device.", code="CONTRACT_DEVICE_MISMATCH")
    if body.end_date is not None and body.end_date < contract.signed_date:
        raise BadInput("A contract cannot end before it is signed.", code="INVALID_CONTRACT_DATES")
    contract.end_date = body.end_date
    return contract


@router.delete("/devices/{device_id}/contracts/{contract_id}", status_code=204)
def delete_contract(
    device_id: str, contract_id: str, session: DbSession, principal: Vendor
) -> Response:
    contract = get_scoped(session, Contract, contract_id, principal)
    if contract.device_id != device_id:
        raise BadInput("The contract belongs to another device.", code="CONTRACT_DEVICE_MISMATCH")
    session.delete(contract)
    return Response(status_code=204)


# ---- decisions ----


@router.get("/devices/{device_id}/entitlements", response_model=list[DecisionOut])
def all_entitlements(
    device_id: str,
    session: DbSession,
    policy: CurrentPolicy,
    principal: EntitlementReader,
    at: date | None = None,
) -> list[DecisionOut]:
    """Every feature of the policy for this device, on ``at`` (default: today in Japan)."""
    device = get_scoped(session, Device, device_id, principal)
    day = at or business_today()
    return [
        _out(
            service.decide_for(
                session=session,
                policy=policy,
                principal=principal,
                device_id=device.id,
                feature=feature,
                at=day,
            )
        )
        for feature in policy.features
    ]


@router.get("/devices/{device_id}/entitlements/{feature}", response_model=DecisionOut)
def one_entitlement(
    device_id: str,
    feature: str,
    session: DbSession,
    policy: CurrentPolicy,
    principal: EntitlementReader,
    at: date | None = None,
) -> DecisionOut:
    device = get_scoped(session, Device, device_id, principal)
    return _out(
        service.decide_for(
            session=session,
            policy=policy,
            principal=principal,
            device_id=device.id,
            feature=feature,
            at=at or business_today(),
        )
    )


@router.post("/entitlements/check", response_model=list[BatchResult])
def batch_check(
    body: BatchCheck, session: DbSession, policy: CurrentPolicy, principal: EntitlementReader
) -> list[BatchResult]:
    """Many (device, feature) questions at once; unknown devices answer ``UNKNOWN_DEVICE``."""
    day = body.at or business_today()
    return [
        BatchResult(
            device_id=item.device_id,
            decision=_out(
                service.decide_for(
                    session=session,
                    policy=policy,
                    principal=principal,
                    device_id=item.device_id,
                    feature=item.feature,
                    at=day,
                )
            ),
        )
        for item in body.checks
    ]


# ---- money ----


@router.get("/devices/{device_id}/first-invoice", response_model=FirstInvoiceOut)
def first_invoice(
    device_id: str,
    contract_date: date,
    session: DbSession,
    policy: CurrentPolicy,
    principal: DeviceReader,
) -> FirstInvoiceOut:
    device = get_scoped(session, Device, device_id, principal)
    inv = billing.first_invoice(device.install_date, contract_date, policy.billing)
    return FirstInvoiceOut(
        device_id=device.id,
        install_date=device.install_date,
        contract_date=contract_date,
        first_month=inv.first_month,
        last_month=inv.last_month,
        months=inv.months,
        rule=inv.rule,
    )


@router.get("/devices/{device_id}/repair-quote", response_model=RepairQuoteOut)
def repair_quote(
    device_id: str,
    session: DbSession,
    policy: CurrentPolicy,
    principal: DeviceReader,
    date: date | None = None,
) -> RepairQuoteOut:
    device = get_scoped(session, Device, device_id, principal)
    day = date or business_today()
    quote = billing.repair_quote(service.device_facts(session, device), day, policy.repair)
    return RepairQuoteOut(
        device_id=device.id,
        date=day,
        free=quote.free,
        reason=quote.reason,
        dispatch_fee_yen=quote.dispatch_fee_yen,
        parts=quote.parts,
        tax_included=quote.tax_included,
    )


# ---- audit ----


@router.get("/audit", response_model=PageOut[AuditOut])
def audit(
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("audit:read"))],
    device_id: str | None = None,
    feature: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> PageOut[AuditOut]:
    page = service.list_audit(
        session=session,
        principal=principal,
        device_id=device_id,
        feature=feature,
        cursor=cursor,
        limit=limit,
    )
    return PageOut[AuditOut](
        items=[AuditOut.model_validate(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.get("/policy/features")
def features(policy: CurrentPolicy, _: EntitlementReader) -> list[dict[str, object]]:
    """The feature keys of the policy, with their titles and rules."""
    return [
        {"feature": key, **rule.model_dump(mode="json")} for key, rule in policy.features.items()
    ]
