"""Wire shapes of the prompt library."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SlotIn", "SlotOut"]


class SlotIn(BaseModel):
    kind: Literal["hold", "recording_notice"] = "hold"
    text: str = Field(min_length=1, max_length=2000)
    language: Literal["ja", "en"] = "ja"
    voice: str | None = Field(default=None, max_length=64)


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: str
    slot: int
    kind: str
    text: str
    language: str
    voice: str | None
    created_at: datetime
    updated_at: datetime
