"""Prompt rows: numbered hold / recording-notice message slots of a device."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin, utcnow

__all__ = ["MessageSlot"]


class MessageSlot(IdMixin, Base):
    """One hold or recording-notice message (お待たせ・通録メッセージ) of a device.

    The PBX addresses messages by number; how many a device may hold at once is the
    ``prompts.hold`` quota (1 without contract, 5 with, 1 on MOT/Mini).
    """

    __tablename__ = "message_slots"
    __table_args__ = (UniqueConstraint("device_id", "slot", name="uq_message_slots_device_slot"),)
    __label__ = "message slot"
    __device_column__ = "device_id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # hold | recording_notice
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    voice: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
