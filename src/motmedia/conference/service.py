"""Rooms and join tokens: plain functions over the session, no FastAPI.

Every room belongs to one PBX device; what a room may carry is a feature of that
device's Software Usage Contract, asked of the entitlement engine when the room is
created and again whenever a join token is minted (a contract can end meanwhile).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from motmedia.entitlements import service as entitlements
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput
from motmedia.pagination import Page, paginate
from motmedia.tenants.auth import Principal
from motmedia.tenants.scoping import get_scoped, scoped

from . import tokens
from .models import Room, RoomKind, RoomMedia
from .schemas import RoomCreate, TokenCreate

__all__ = [
    "check_room_feature",
    "create_room",
    "delete_room",
    "feature_for",
    "list_rooms",
    "mint_token",
]

DEFAULT_MAX = {RoomKind.VIDEO_CALL: 2, RoomKind.CONFERENCE: 16, RoomKind.ENTRANCE: 16}


def feature_for(kind: str, media: str) -> str:
    """The contract feature a room of ``kind`` carrying ``media`` needs."""
    if kind == RoomKind.VIDEO_CALL:
        return "video.call"
    if kind == RoomKind.ENTRANCE:
        return "video.entrance"
    if kind == RoomKind.CONFERENCE:
        return "conference.video" if media == RoomMedia.AUDIO_VIDEO else "conference.audio"
    raise BadInput(f"unknown room kind {kind!r}", code="INVALID_ROOM_KIND")


def check_room_feature(
    *, session: Session, policy: Policy, principal: Principal | None, room: Room, at: date
) -> Decision:
    """Raises :class:`~motmedia.errors.EntitlementDenied` (403 with its code) on refusal."""
    return entitlements.check(
        session=session,
        policy=policy,
        principal=principal,
        device_id=room.device_id,
        feature=feature_for(room.kind, room.media),
        at=at,
    )


def create_room(
    *, session: Session, policy: Policy, principal: Principal, data: RoomCreate, at: date
) -> Room:
    device_id = data.device_id or principal.device_id
    if not device_id:
        raise BadInput("Name the device: device_id, or use a device key.", code="DEVICE_REQUIRED")
    device = get_scoped(session, Device, device_id, principal)
    if data.kind == RoomKind.VIDEO_CALL and (data.max_participants or 2) > 2:
        raise BadInput("A video call has at most 2 participants.", code="INVALID_ROOM")
    room = Room(
        customer_id=device.customer_id,
        device_id=device.id,
        kind=data.kind,
        name=data.name,
        media=data.media,
        max_participants=data.max_participants or DEFAULT_MAX[data.kind],
        empty_timeout_s=data.empty_timeout_s,
    )
    check_room_feature(session=session, policy=policy, principal=principal, room=room, at=at)
    session.add(room)
    session.flush()
    return room


def list_rooms(
    *, session: Session, principal: Principal, device_id: str | None, cursor: str | None, limit: int
) -> Page[Room]:
    stmt = scoped(select(Room), Room, principal)
    if device_id:
        stmt = stmt.where(Room.device_id == device_id)
    return paginate(session, stmt, Room, cursor=cursor, limit=limit)


def delete_room(*, session: Session, room: Room) -> None:
    session.delete(room)
    session.flush()


def mint_token(
    *,
    session: Session,
    policy: Policy,
    principal: Principal,
    room: Room,
    data: TokenCreate,
    key: bytes,
    now: datetime,
    at: date,
) -> tuple[str, tokens.Grant]:
    check_room_feature(session=session, policy=policy, principal=principal, room=room, at=at)
    return tokens.mint(
        key=key,
        room_id=room.id,
        identity=data.identity,
        display_name=data.display_name or data.identity,
        can_publish=data.can_publish,
        can_subscribe=data.can_subscribe,
        ttl=timedelta(seconds=data.ttl),
        now=now,
    )
