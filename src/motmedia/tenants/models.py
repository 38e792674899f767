"""Customers (tenants) and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin

__all__ = ["ApiKey", "Customer"]


class Customer(IdMixin, Base):
    __tablename__ = "customers"

    name: Mapped[str] = mapped_column(String(200))
    # Options that later domains read (PII redaction, retention days, vocabulary...).
    settings_json: Mapped[str] = mapped_column(Text, default="{}")

    # Tenant scoping: a customer row is "owned" by itself.
    @property
    def customer_id(self) -> str:
        return self.id


class ApiKey(IdMixin, Base):
    """A bearer key: ``mot_<id>_<secret>``; only a keyed hash of the secret is stored."""

    __tablename__ = "api_keys"
    __label__ = "api key"

    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[str] = mapped_column(Text, default="")  # space separated
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
