"""Loaders for the conference routes: the tenant-scoped room, the registry, join tokens."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends

from motmedia.api.deps import AppState, CurrentPrincipal, DbSession, State
from motmedia.db import Database
from motmedia.errors import NotFound
from motmedia.tenants.scoping import get_scoped

from . import tokens
from .models import Room
from .registry import RoomRegistry

__all__ = ["LiveRooms", "ValidRoom", "authorise_token", "load_room", "registry_of", "valid_room"]


def valid_room(room_id: str, principal: CurrentPrincipal, session: DbSession) -> Room:
    # Another tenant's room is a 404 (get_scoped), so room ids cannot be probed.
    return get_scoped(session, Room, room_id, principal)


ValidRoom = Annotated[Room, Depends(valid_room)]


def registry_of(state: State) -> RoomRegistry:
    registry: RoomRegistry = state.services["rooms"]
    return registry


LiveRooms = Annotated[RoomRegistry, Depends(registry_of)]


def _load(db: Database, room_id: str) -> Room:
    with db.session() as session:
        room = session.get(Room, room_id)
        if room is None:
            raise NotFound(f"No room with id {room_id}.", code="ROOM_NOT_FOUND")
        session.expunge(room)
        return room


async def load_room(state: AppState, room_id: str) -> Room:
    """The room by id, without tenant scoping: a join token is the authority here."""
    return await anyio.to_thread.run_sync(_load, state.db, room_id)


async def authorise_token(state: AppState, room_id: str, token: str) -> tuple[Room, tokens.Grant]:
    """Verify a join token for ``room_id`` and load the room (gone rooms are 404)."""
    grant = tokens.verify(key=state.settings.secret("token_signing_key"), token=token,
                          room_id=room_id)  # fmt: skip
    return await load_room(state, room_id), grant
