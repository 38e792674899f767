"""Wire shapes of rooms, join tokens and cameras."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CameraCreate",
    "CameraOut",
    "ParticipantOut",
    "RoomCreate",
    "RoomOut",
    "TokenCreate",
    "TokenOut",
    "TrackOut",
]

Kind = Literal["video_call", "conference", "entrance"]
Media = Literal["audio", "audio_video"]


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    name: str = Field(min_length=1, max_length=200)
    media: Media = "audio_video"
    max_participants: int | None = Field(
        default=None, ge=1, le=100, description="default: 2 for video_call, 16 otherwise"
    )
    empty_timeout_s: int = Field(default=300, ge=1, le=86400)
    device_id: str | None = Field(default=None, description="required for admin keys")


class TrackOut(BaseModel):
    key: str
    kind: str
    mime_type: str | None


class ParticipantOut(BaseModel):
    identity: str
    display_name: str
    via: str = Field(description="signal, whip, whep or camera")
    can_publish: bool
    can_subscribe: bool
    tracks: list[TrackOut]


class RoomOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    customer_id: str
    device_id: str
    kind: str
    name: str
    media: str
    max_participants: int
    empty_timeout_s: int
    live: bool = False
    participants: list[ParticipantOut] = Field(default_factory=list)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identity: str = Field(min_length=1, max_length=64, pattern=r"^[^/\s]+$")
    display_name: str | None = Field(default=None, max_length=100)
    can_publish: bool = True
    can_subscribe: bool = True
    ttl: int = Field(default=3600, ge=1, le=86400, description="seconds, at most 24 h")


class TokenOut(BaseModel):
    token: str
    room_id: str
    identity: str
    expires_at: datetime
    signal_url: str
    whip_url: str
    whep_url: str


class CameraCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room_id: str
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^rtsps?://", max_length=1000)
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)


class CameraOut(BaseModel):
    id: str
    created_at: datetime
    room_id: str
    name: str
    url: str
    status: str = Field(description="connecting, live, retrying or stopped")
    last_error: str | None = None
    packets: int = 0
    reconnects: int = 0
