"""Message slots: quota-checked writes against the ``prompts.hold`` entitlement."""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from motmedia.db import new_id, utcnow
from motmedia.entitlements import service as entitlements
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput, NotFound
from motmedia.prompts.models import MessageSlot
from motmedia.tenants.auth import Principal

__all__ = ["FEATURE", "MAX_SLOT", "count_slots", "delete_slot", "put_slot"]

FEATURE = "prompts.hold"
MAX_SLOT = 99  # PBX message numbers; how many may be filled at once is the quota
KINDS = ("hold", "recording_notice")
MAX_TEXT = 2000


def count_slots(session: Session, device_id: str) -> int:
    stmt = select(func.count()).select_from(MessageSlot).where(MessageSlot.device_id == device_id)
    return session.scalar(stmt) or 0


entitlements.register_usage_counter(FEATURE, count_slots)


def put_slot(
    *,
    session: Session,
    policy: Policy,
    principal: Principal | None,
    device: Device,
    slot: int,
    kind: str,
    text: str,
    language: str = "ja",
    voice: str | None = None,
    at: date,
) -> tuple[MessageSlot, bool]:
    """Create or replace message ``slot``; returns (row, created).

    Replacing a filled slot uses no quota. Filling an empty one takes one unit of the
    quota inside this transaction, so two requests racing for the last unit cannot both
    win (see :func:`entitlements.service.check_and_take`).
    """
    if not 1 <= slot <= MAX_SLOT:
        raise BadInput(f"Slot numbers run from 1 to {MAX_SLOT}.", code="INVALID_SLOT")
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}.", code="INVALID_KIND")
    text = unicodedata.normalize("NFC", text).strip()
    if not text or len(text) > MAX_TEXT:
        raise BadInput(f"The text must have 1 to {MAX_TEXT} characters.", code="INVALID_TEXT")
    existing = session.scalars(
        select(MessageSlot).where(MessageSlot.device_id == device.id, MessageSlot.slot == slot)
    ).first()
    if existing is None:
        entitlements.check_and_take(
            session=session,
            policy=policy,
            principal=principal,
            device_id=device.id,
            feature=FEATURE,
            at=at,
        )
        # Re-read under the lock: a racing request may have filled this very slot.
        existing = session.scalars(
            select(MessageSlot).where(MessageSlot.device_id == device.id, MessageSlot.slot == slot)
        ).first()
    if existing is not None:
        existing.kind, existing.text, existing.language, existing.voice = (
            kind,
            text,
            language,
            voice,
        )
        existing.updated_at = utcnow()
        return existing, False
    row = MessageSlot(
        id=new_id(),
        customer_id=device.customer_id,
        device_id=device.id,
        slot=slot,
        kind=kind,
        text=text,
        language=language,
        voice=voice,
    )
    session.add(row)
    session.flush()
    return row, True


def delete_slot(*, session: Session, device: Device, slot: int) -> None:
    row = session.scalars(
        select(MessageSlot).where(MessageSlot.device_id == device.id, MessageSlot.slot == slot)
    ).first()
    if row is None:
        raise NotFound(f"Message slot {slot} is empty.", code="MESSAGE_SLOT_NOT_FOUND")
    session.delete(row)
