"""Prompt rows: a device's hold / recording-notice message slots and its IVR menus.

Both carry the intelligibility check of their rendered audio (:class:`CheckColumns`):
``render_key`` names the render that was checked, so a check that finishes after the text
changed again is discarded instead of being stored against the new text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin, utcnow

__all__ = ["CheckColumns", "IvrMenu", "MessageSlot"]


class CheckColumns:
    """The round-trip check of a prompt (see :mod:`motmedia.prompts.intelligibility`)."""

    # Cache key of the 16 kHz render the check transcribes (for menus: of all its prompts).
    render_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # pending | done | failed; NULL for rows written before the check existed.
    check_status: Mapped[str | None] = mapped_column(String(16), default=None)
    # Worst character error rate over the row's prompts, on readings (kana for Japanese).
    cer: Mapped[float | None] = mapped_column(Float, default=None)
    # Per prompt: expected reading, what the model heard, CER; or the error of a failed check.
    check_json: Mapped[str | None] = mapped_column(Text, default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageSlot(CheckColumns, IdMixin, Base):
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
    ssml: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    voice: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IvrMenu(CheckColumns, IdMixin, Base):
    """One menu of a device's IVR (auto attendant) tree.

    A device has one tree, stored as one row per menu and always replaced whole (see
    :mod:`motmedia.prompts.ivr`), so the rows never disagree about which menus exist.
    """

    __tablename__ = "ivr_menus"
    __table_args__ = (UniqueConstraint("device_id", "name", name="uq_ivr_menus_device_name"),)
    __label__ = "ivr menu"
    __device_column__ = "device_id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order given in the request
    text: Mapped[str] = mapped_column(Text)
    timeout_text: Mapped[str | None] = mapped_column(Text, default=None)
    invalid_text: Mapped[str | None] = mapped_column(Text, default=None)
    ssml: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"1": {"menu": "sales"}, "2": {"extension": "201"}}
    options_json: Mapped[str] = mapped_column(Text)
    timeout_s: Mapped[int] = mapped_column(Integer, default=5)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    voice: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
