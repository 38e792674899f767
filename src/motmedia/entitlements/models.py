"""Devices, their contracts, and the audit log of decisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin, utcnow
from motmedia.tenants import models as _tenants  # noqa: F401  (FK targets: customers)

__all__ = ["AuditEntry", "Contract", "Device"]


class Device(IdMixin, Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("model", "serial", name="uq_devices_model_serial"),)
    __device_column__ = "id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    install_date: Mapped[date] = mapped_column(Date)
    # Bumped by every quota-checked write: the UPDATE takes the row lock (PostgreSQL) or the
    # write lock (SQLite) first, so concurrent writers for one device are serialised.
    quota_seq: Mapped[int] = mapped_column(Integer, default=0)


class Contract(IdMixin, Base):
    __tablename__ = "contracts"
    __device_column__ = "device_id"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), default="software_usage")
    signed_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)


class AuditEntry(IdMixin, Base):
    """One decision: who asked, about which device and feature, and the answer."""

    __tablename__ = "entitlement_audit"
    __label__ = "audit entry"
    __device_column__ = "device_id"

    key_id: Mapped[str | None] = mapped_column(String(36))
    role: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    device_id: Mapped[str | None] = mapped_column(String(36), index=True)
    feature: Mapped[str] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    at_date: Mapped[date] = mapped_column(Date)
    used: Mapped[int | None] = mapped_column(Integer, default=None)
    limit: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
