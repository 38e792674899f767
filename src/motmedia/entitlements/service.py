"""Devices, contracts and decisions against the database. No FastAPI here.

Every decision made through this module is written to the audit log. A refusal is
recorded in its own committed transaction (the caller's work is rolled back), so the log
keeps refusals even though the request that caused them fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motmedia.db import new_id
from motmedia.entitlements.engine import ContractFacts, Decision, DeviceFacts, decide
from motmedia.entitlements.models import AuditEntry, Contract, Device
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput, Conflict, EntitlementDenied
from motmedia.pagination import Page, paginate
from motmedia.tenants.auth import Principal
from motmedia.tenants.models import Customer
from motmedia.tenants.scoping import get_scoped, scoped

__all__ = [
    "UsageCounter",
    "check",
    "check_and_take",
    "create_contract",
    "create_device",
    "decide_for",
    "device_facts",
    "device_owner",
    "list_audit",
    "register_usage_counter",
]

# How a domain counts a device's real usage of a quota feature (e.g. filled hold slots).
UsageCounter = Callable[[Session, str], int]
_usage_counters: dict[str, UsageCounter] = {}


def register_usage_counter(feature: str, counter: UsageCounter) -> None:
    _usage_counters[feature] = counter


def device_owner(session: Session, device_id: str) -> str | None:
    """The customer id of a device, or ``None`` (tenants' key creation uses this)."""
    return session.scalar(select(Device.customer_id).where(Device.id == device_id))


def create_device(
    *,
    session: Session,
    policy: Policy,
    customer_id: str,
    model: str,
    serial: str,
    install_date: date,
    name: str = "",
) -> Device:
    if model not in policy.models:
        known = ", ".join(policy.models)
        raise BadInput(f"Unknown device model {model!r}; known: {known}.", code="UNKNOWN_MODEL")
    if session.get(Customer, customer_id) is None:
        raise BadInput(f"No customer with id {customer_id}.", code="CUSTOMER_NOT_FOUND")
    device = Device(
        id=new_id(),
        customer_id=customer_id,
        model=model,
        serial=serial.strip(),
        install_date=install_date,
        name=name,
        quota_seq=0,
    )
    session.add(device)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"A {model} with serial {serial} is already registered.", code="DEVICE_EXISTS"
        ) from exc
    return device


def create_contract(
    *, session: Session, device: Device, signed_date: date, end_date: date | None, kind: str
) -> Contract:
    if end_date is not None and end_date < signed_date:
        raise BadInput("A contract cannot end before it is signed.", code="INVALID_CONTRACT_DATES")
    for other in session.scalars(
        select(Contract).where(Contract.device_id == device.id, Contract.kind == kind)
    ):
        other_end = other.end_date or date.max
        new_end = end_date or date.max
        if signed_date <= other_end and other.signed_date <= new_end:
            raise Conflict(
                "The device already has a contract of this kind in that period.",
                code="CONTRACT_OVERLAP",
            )
    contract = Contract(
        id=new_id(),
        device_id=device.id,
        customer_id=device.customer_id,
        kind=kind,
        signed_date=signed_date,
        end_date=end_date,
    )
    session.add(contract)
    session.flush()
    return contract


def device_facts(session: Session, device: Device) -> DeviceFacts:
    contracts = session.scalars(select(Contract).where(Contract.device_id == device.id))
    return DeviceFacts(
        id=device.id,
        model=device.model,
        install_date=device.install_date,
        contracts=tuple(ContractFacts(c.signed_date, c.end_date, c.kind) for c in contracts),
    )


def _usage(session: Session, policy: Policy, feature: str, device_id: str) -> int | None:
    rule = policy.features.get(feature)
    if rule is None or rule.quota is None or feature not in _usage_counters:
        return None
    return _usage_counters[feature](session, device_id)


def _audit(
    session: Session,
    principal: Principal | None,
    device: Device | None,
    device_id: str | None,
    decision: Decision,
    at: date,
) -> None:
    session.add(
        AuditEntry(
            id=new_id(),
            key_id=principal.key_id if principal else None,
            role=principal.role.value if principal else None,
            customer_id=device.customer_id
            if device
            else (principal.customer_id if principal else None),
            device_id=device.id if device else device_id,
            feature=decision.feature,
            allowed=decision.allowed,
            code=decision.code.value,
            reason=decision.reason,
            at_date=at,
            used=decision.used,
            limit=decision.limit,
        )
    )


def decide_for(
    *,
    session: Session,
    policy: Policy,
    principal: Principal | None,
    device_id: str,
    feature: str,
    at: date,
    requested: int = 0,
) -> Decision:
    """Decide and audit. A device the caller cannot see is ``UNKNOWN_DEVICE``."""
    stmt = select(Device).where(Device.id == device_id)
    if principal is not None:
        stmt = scoped(stmt, Device, principal)
    device = session.scalars(stmt).first()
    facts = device_facts(session, device) if device else None
    used = _usage(session, policy, feature, device.id) if device else None
    decision = decide(policy, facts, feature, at=at, used=used, requested=requested)
    _audit(session, principal, device, device_id, decision, at)
    return decision


def _refuse(
    session: Session, principal: Principal | None, device_id: str, decision: Decision, at: date
) -> EntitlementDenied:
    """Keep the refusal in the audit log although the caller's transaction is abandoned."""
    session.rollback()
    device = session.get(Device, device_id)
    _audit(session, principal, device, device_id, decision, at)
    session.commit()
    return EntitlementDenied(
        decision.reason,
        code=decision.code.value,
        feature=decision.feature,
        reason=decision.reason,
        limit=decision.limit,
        used=decision.used,
    )


def check(
    *,
    session: Session,
    policy: Policy,
    principal: Principal | None,
    device_id: str,
    feature: str,
    at: date,
    take: bool = False,
) -> Decision:
    """Decide; raise :class:`EntitlementDenied` (403) on refusal.

    ``take=True`` is for taking one more unit of a quota, which the caller writes next in
    the same transaction. Its first statement bumps the device's ``quota_seq``: on
    PostgreSQL that holds the row lock, on SQLite the database write lock, until the
    transaction ends. Two requests racing for the last unit are thus serialised, and the
    second one counts the first one's.
    """
    if take:
        session.execute(
            update(Device).where(Device.id == device_id).values(quota_seq=Device.quota_seq + 1)
        )
    decision = decide_for(
        session=session,
        policy=policy,
        principal=principal,
        device_id=device_id,
        feature=feature,
        at=at,
        requested=1 if take else 0,
    )
    if not decision.allowed:
        raise _refuse(session, principal, device_id, decision, at)
    return decision


def check_and_take(
    *,
    session: Session,
    policy: Policy,
    principal: Principal | None,
    device_id: str,
    feature: str,
    at: date,
) -> Decision:
    """:func:`check` with ``take=True``: for quota features such as ``prompts.hold``."""
    return check(
        session=session,
        policy=policy,
        principal=principal,
        device_id=device_id,
        feature=feature,
        at=at,
        take=True,
    )


def list_audit(
    *,
    session: Session,
    principal: Principal,
    device_id: str | None,
    feature: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AuditEntry]:
    stmt = scoped(select(AuditEntry), AuditEntry, principal)
    if device_id:
        stmt = stmt.where(AuditEntry.device_id == device_id)
    if feature:
        stmt = stmt.where(AuditEntry.feature == feature)
    return paginate(session, stmt, AuditEntry, cursor=cursor, limit=limit)


def count_devices(session: Session, customer_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Device).where(Device.customer_id == customer_id)
        )
        or 0
    )


def get_device(session: Session, device_id: str, principal: Principal) -> Device:
    return get_scoped(session, Device, device_id, principal)
