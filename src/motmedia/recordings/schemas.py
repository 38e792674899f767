"""Wire shapes of recordings and webhooks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from motmedia.recordings.models import Recording

__all__ = ["RecordingOut", "WebhookCreate", "WebhookCreated", "WebhookOut"]


class RecordingOut(BaseModel):
    id: str
    device_id: str
    status: str
    call_id: str | None
    started_at: datetime | None
    direction: str | None
    caller: str | None
    callee: str | None
    extension: str | None
    parties: list[str] | None
    language: str | None
    size_bytes: int
    sha256: str
    media_type: str
    codec: str | None
    channels: int | None
    duration: float | None
    metrics: dict[str, Any] | None
    error: str | None
    created_at: datetime
    snippet: str | None = Field(default=None, description="with ?q=: the match in <mark>")

    @classmethod
    def of(cls, r: Recording, snippet: str | None = None) -> RecordingOut:
        return cls(
            id=r.id,
            device_id=r.device_id,
            status=r.status,
            call_id=r.call_id,
            started_at=r.started_at,
            direction=r.direction,
            caller=r.caller,
            callee=r.callee,
            extension=r.extension,
            parties=r.parties.split(",") if r.parties else None,
            language=r.language,
            size_bytes=r.size_bytes,
            sha256=r.sha256,
            media_type=r.media_type,
            codec=r.codec,
            channels=r.channels,
            duration=r.duration,
            metrics=json.loads(r.metrics_json) if r.metrics_json else None,
            error=r.error,
            created_at=r.created_at,
            snippet=snippet,
        )


class WebhookCreate(BaseModel):
    url: str = Field(max_length=2000)


class WebhookOut(BaseModel):
    id: str
    url: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the HMAC key; shown once")
