"""Message slots (quota-checked writes against ``prompts.hold``) and tenant reading dictionaries."""

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
from motmedia.prompts.models import CheckColumns, MessageSlot
from motmedia.tenants.auth import Principal
from motmedia.tenants.models import Customer
from motmedia.tenants.service import customer_settings
from motmedia.tts.reading import prepare_dictionary

__all__ = [
    "FEATURE",
    "MAX_SLOT",
    "MAX_TEXT",
    "clean_text",
    "count_slots",
    "delete_slot",
    "get_slot",
    "list_slots",
    "put_slot",
    "reading_dictionary",
]

FEATURE = "prompts.hold"
MAX_SLOT = 99  # PBX message numbers; how many may be filled at once is the quota
KINDS = ("hold", "recording_notice")
MAX_TEXT = 2000


def count_slots(session: Session, device_id: str) -> int:
    stmt = select(func.count()).select_from(MessageSlot).where(MessageSlot.device_id == device_id)
    return session.scalar(stmt) or 0


entitlements.register_usage_counter(FEATURE, count_slots)


def clean_text(text: str, *, what: str = "text", limit: int = MAX_TEXT) -> str:
    """NFC and stripped; 1 to ``limit`` characters, else ``INVALID_TEXT`` (422)."""
    text = unicodedata.normalize("NFC", text).strip()
    if not text or len(text) > limit:
        raise BadInput(f"The {what} must have 1 to {limit} characters.", code="INVALID_TEXT")
    return text


def reading_dictionary(*, session: Session, customer_id: str) -> dict[str, str]:
    """The tenant's reading dictionary (customer setting ``reading_dictionary``: word → kana)."""
    customer = session.get(Customer, customer_id)
    raw = customer_settings(customer).get("reading_dictionary") if customer else None
    if not raw:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise BadInput(
            "The customer's reading_dictionary must map words to kana readings.",
            code="INVALID_READING_DICTIONARY",
        )
    prepare_dictionary(raw)  # a reading that is not kana: INVALID_READING, naming the word
    return dict(raw)


def mark_pending(row: CheckColumns, render_key: str | None) -> None:
    """Queue a new check unless this very render was already checked successfully."""
    if render_key is None or (row.render_key == render_key and row.check_status == "done"):
        return
    row.render_key = render_key
    row.check_status = "pending"
    row.cer = row.check_json = row.checked_at = None


def get_slot(*, session: Session, device: Device, slot: int) -> MessageSlot:
    row = session.scalars(
        select(MessageSlot).where(MessageSlot.device_id == device.id, MessageSlot.slot == slot)
    ).first()
    if row is None:
        raise NotFound(f"Message slot {slot} is empty.", code="MESSAGE_SLOT_NOT_FOUND")
    return row


def list_slots(*, session: Session, device: Device) -> list[MessageSlot]:
    stmt = select(MessageSlot).where(MessageSlot.device_id == device.id).order_by(MessageSlot.slot)
    return list(session.scalars(stmt))


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
    ssml: bool = False,
    render_key: str | None = None,
    at: date,
) -> tuple[MessageSlot, bool]:
    """Create or replace message ``slot``; returns (row, created).

    Replacing a filled slot uses no quota. Filling an empty one takes one unit of the
    quota inside this transaction, so two requests racing for the last unit cannot both
    win (see :func:`entitlements.service.check_and_take`). ``render_key`` is the key of the
    16 kHz render made before this call; given, the row's check becomes ``pending``.
    """
    if not 1 <= slot <= MAX_SLOT:
        raise BadInput(f"Slot numbers run from 1 to {MAX_SLOT}.", code="INVALID_SLOT")
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}.", code="INVALID_KIND")
    text = clean_text(text)
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
        existing.kind, existing.text, existing.language = kind, text, language
        existing.voice, existing.ssml = voice, ssml
        existing.updated_at = utcnow()
        mark_pending(existing, render_key)
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
        ssml=ssml,
    )
    mark_pending(row, render_key)
    session.add(row)
    session.flush()
    return row, True


def delete_slot(*, session: Session, device: Device, slot: int) -> None:
    session.delete(get_slot(session=session, device=device, slot=slot))
