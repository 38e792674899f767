"""Live rooms: the in-memory side of a stored room, created on first join.

A :class:`LiveRoom` wraps the forwarding :class:`~.room.Room` with who is in it (browser
sessions, WHIP publishers, WHEP viewers, cameras), the participant limit, and the
empty-room timer. The :class:`RoomRegistry` is the one per app (``state.services["rooms"]``)
and closes every room in the lifespan, so shutdown leaves no peer connection behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from motmedia.errors import Conflict

from .forwarder import TrackForwarder
from .passthrough import PassthroughTrack
from .room import Room

__all__ = ["LiveRoom", "Member", "MemberInfo", "RoomRegistry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MemberInfo:
    identity: str
    display_name: str
    via: str  # "signal", "whip", "whep", "camera"
    can_publish: bool
    can_subscribe: bool

    def as_event(self) -> dict[str, Any]:
        return {"identity": self.identity, "name": self.display_name, "via": self.via}


class Member(Protocol):
    """What a live room needs of a participant, whichever way it joined."""

    info: MemberInfo

    def notify(self, event: dict[str, Any]) -> None:
        """Queue a signalling event; must not block (members without a channel ignore it)."""

    def track_published(self, forwarder: TrackForwarder) -> None:
        """Another member's track is ready: subscribe and renegotiate if this member wants."""

    async def close(self) -> None:
        """Close the member's connections; called once, when it leaves or the room closes."""


class LiveRoom:
    def __init__(
        self,
        room_id: str,
        *,
        max_participants: int,
        empty_timeout_s: float,
        registry: RoomRegistry,
    ) -> None:
        self.room_id = room_id
        self.max_participants = max_participants
        self.empty_timeout_s = empty_timeout_s
        self.room = Room(room_id, on_track=self._track_published)
        self.members: dict[str, Member] = {}
        self.closed = False
        self._registry = registry
        self._empty_timer: asyncio.Task[None] | None = None

    def join(self, member: Member) -> None:
        identity = member.info.identity
        if self.closed:
            raise Conflict("The room has just closed; join again.", code="ROOM_CLOSED")
        if identity in self.members:
            raise Conflict(f"{identity!r} is already in the room.", code="IDENTITY_IN_USE")
        if len(self.members) >= self.max_participants:
            raise Conflict("The room is full.", code="ROOM_FULL", limit=self.max_participants)
        if self._empty_timer is not None:
            self._empty_timer.cancel()
            self._empty_timer = None
        for other in self.members.values():
            other.notify({"type": "participant_joined", "participant": member.info.as_event()})
        self.members[identity] = member

    async def leave(self, identity: str) -> None:
        member = self.members.pop(identity, None)
        if member is None:
            return
        await self.room.remove_participant(identity)
        await member.close()
        for other in self.members.values():
            other.notify({"type": "participant_left", "participant": member.info.as_event()})
        if not self.members and not self.closed:
            self._empty_timer = asyncio.ensure_future(self._close_when_still_empty())

    def leave_later(self, identity: str) -> None:
        """:meth:`leave` from a synchronous callback (a connection state change)."""
        self._registry.later(self.leave(identity))

    def snapshot(self) -> list[tuple[MemberInfo, list[Any]]]:
        tracks = self.room.tracks()
        return [
            (m.info, [t for t in tracks if t.publisher_id == identity])
            for identity, m in self.members.items()
        ]

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._empty_timer is not None and self._empty_timer is not asyncio.current_task():
            self._empty_timer.cancel()
        for member in list(self.members.values()):
            member.notify({"type": "room_closed"})
        members, self.members = list(self.members.values()), {}
        await self.room.close()
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)

    def publish_track(self, identity: str, track: PassthroughTrack) -> TrackForwarder:
        """Forward a track that has no peer connection behind it (an RTSP camera's).

        Does what :meth:`Room._publish` does for a WebRTC receiver; the forwarder is
        stopped when ``identity`` leaves (``remove_participant``) or the track ends.
        """
        room = self.room
        key = f"{identity}/{track.id}"
        forwarder = TrackForwarder(track, key=key, options=room.options)
        room._forwarders[key] = forwarder
        track.on("ended", lambda: room._forget_track(key, forwarder))
        room._later(room._announce(forwarder))
        return forwarder

    def _track_published(self, forwarder: TrackForwarder) -> None:
        publisher = forwarder.key.split("/", 1)[0]
        for identity, member in self.members.items():
            if identity != publisher:
                member.track_published(forwarder)

    async def _close_when_still_empty(self) -> None:
        await asyncio.sleep(self.empty_timeout_s)
        if not self.members:
            log.info("room %s empty for %ss: closing", self.room_id, self.empty_timeout_s)
            await self._registry.close_room(self.room_id)


class Stoppable(Protocol):
    async def stop(self, wait: float = ...) -> None: ...


class RoomRegistry:
    def __init__(self) -> None:
        self._rooms: dict[str, LiveRoom] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._cameras: dict[str, Any] = {}  # camera id -> CameraPuller (see .cameras)

    def add_camera(self, camera_id: str, puller: Stoppable) -> None:
        self._cameras[camera_id] = puller

    def camera(self, camera_id: str) -> Any:
        """The camera's puller (a :class:`~.cameras.CameraPuller`), or ``None``."""
        return self._cameras.get(camera_id)

    async def stop_camera(self, camera_id: str) -> None:
        """Stop pulling a camera; it leaves its room (which stops its forwarder)."""
        puller = self._cameras.pop(camera_id, None)
        if puller is None:
            return
        await puller.stop()
        live = self._rooms.get(puller.room_id)
        if live is not None:
            await live.leave(puller.identity)

    def get(self, room_id: str) -> LiveRoom | None:
        return self._rooms.get(room_id)

    def open(self, room_id: str, *, max_participants: int, empty_timeout_s: float) -> LiveRoom:
        live = self._rooms.get(room_id)
        if live is None or live.closed:
            live = self._rooms[room_id] = LiveRoom(
                room_id,
                max_participants=max_participants,
                empty_timeout_s=empty_timeout_s,
                registry=self,
            )
        return live

    async def close_room(self, room_id: str) -> None:
        live = self._rooms.pop(room_id, None)
        if live is not None:
            await live.close()

    def later(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background, cancelled by :meth:`close`."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        # Camera threads first: each notices its stop event within its read timeout.
        pullers, self._cameras = list(self._cameras.values()), {}
        await asyncio.gather(*(p.stop() for p in pullers), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for room_id in list(self._rooms):
            await self.close_room(room_id)
