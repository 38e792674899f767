"""Rooms and entrance cameras as stored rows; the live media state is in :mod:`.registry`."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from motmedia.db import Base, IdMixin
from motmedia.entitlements import models as _entitlements  # noqa: F401  (FK targets: devices)

__all__ = ["Camera", "Room", "RoomKind", "RoomMedia"]


class RoomKind:
    VIDEO_CALL = "video_call"  # two people
    CONFERENCE = "conference"  # many people, audio or audio+video
    ENTRANCE = "entrance"  # one camera publishes, staff watch
    ALL = (VIDEO_CALL, CONFERENCE, ENTRANCE)


class RoomMedia:
    AUDIO = "audio"
    AUDIO_VIDEO = "audio_video"
    ALL = (AUDIO, AUDIO_VIDEO)


class Room(IdMixin, Base):
    __tablename__ = "rooms"
    __device_column__ = "device_id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    media: Mapped[str] = mapped_column(String(16))
    max_participants: Mapped[int] = mapped_column(Integer)
    empty_timeout_s: Mapped[int] = mapped_column(Integer)


class Camera(IdMixin, Base):
    """An RTSP entrance camera the service pulls and publishes into its room.

    Credentials are stored AES-GCM encrypted (``storage_key``), never in ``url``.
    """

    __tablename__ = "cameras"
    __device_column__ = "device_id"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
