"""Recordings, their transcription jobs, and webhooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin, utcnow
from motmedia.entitlements import models as _entitlements  # noqa: F401  (FK targets: devices)

__all__ = ["Job", "JobStatus", "Recording", "Webhook", "WebhookDelivery"]


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the input can never be transcribed (bad audio): not retried
    DEAD = "dead"  # retries exhausted; last_error says why
    FINAL = (DONE, FAILED, DEAD)


class Recording(IdMixin, Base):
    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("device_id", "idempotency_key", name="uq_recordings_device_idem"),
    )
    __device_column__ = "device_id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    call_id: Mapped[str | None] = mapped_column(String(200), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    direction: Mapped[str | None] = mapped_column(String(16), default=None)
    caller: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    callee: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    extension: Mapped[str | None] = mapped_column(String(32), default=None)
    parties: Mapped[str | None] = mapped_column(String(200), default=None)  # "caller,agent"
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED, index=True)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    codec: Mapped[str | None] = mapped_column(String(32), default=None)
    channels: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    transcript_json: Mapped[str | None] = mapped_column(Text, default=None)
    transcript_text: Mapped[str | None] = mapped_column(Text, default=None)
    metrics_json: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    audio_deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Job(IdMixin, Base):
    """The source of truth for a transcription: claimed under a lease that heartbeats extend."""

    __tablename__ = "jobs"

    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
    worker_id: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Webhook(IdMixin, Base):
    __tablename__ = "webhooks"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))  # HMAC key shared with the receiver


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_deliveries"

    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(Text)  # the JSON body, signed as sent
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
