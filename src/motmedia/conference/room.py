"""A conference room: who publishes which tracks, and who receives them.

This is the in-process API the signalling layer drives. It never creates offers or
answers itself: it only attaches tracks to, and collects tracks from, peer connections
the signalling layer owns, and tells it when renegotiation is due.

Typical use::

    room = Room("r1", on_track=lambda fwd: schedule_renegotiation_for_everyone(fwd))
    room.add_publisher("alice", pc_alice)        # before applying alice's offer
    ...                                          # signalling: offer/answer with alice
    subs = await room.add_subscriber("bob", pc_bob)
    ...                                          # signalling: renegotiate with bob
    print(room.stats())
    await room.remove_participant("alice")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamTrack

from motmedia.errors import BadInput

from .exceptions import TrackNotFound
from .forwarder import ForwarderStats, ForwardingOptions, Subscription, TrackForwarder
from .passthrough import DecoderCounts, decoder_counts, passthrough_track

__all__ = ["Room", "RoomStats", "TrackInfo"]


@dataclass(frozen=True, slots=True)
class TrackInfo:
    key: str  # "<publisher id>/<track id>"
    publisher_id: str
    kind: str
    mime_type: str | None  # None until the first frame arrived


@dataclass(frozen=True, slots=True)
class RoomStats:
    room_id: str
    tracks: dict[str, ForwarderStats]
    decoders: DecoderCounts  # process-wide; ``in_passthrough`` must be 0


class Room:
    """Publishers' tracks fanned out to subscribers, forwarded without decoding.

    ``on_track`` is called once per published track when its first frame arrives (its
    codec is then known), so the signalling layer can subscribe participants to it and
    renegotiate. It must not block.
    """

    def __init__(
        self,
        room_id: str,
        *,
        options: ForwardingOptions | None = None,
        on_track: Callable[[TrackForwarder], None] | None = None,
    ) -> None:
        self.room_id = room_id
        self.options = options or ForwardingOptions()
        self._on_track = on_track
        self._forwarders: dict[str, TrackForwarder] = {}
        self._publishers: dict[str, RTCPeerConnection] = {}
        self._subscriptions: dict[str, dict[str, Subscription]] = {}
        self._subscriber_pcs: dict[str, RTCPeerConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add_publisher(self, participant_id: str, pc: RTCPeerConnection) -> None:
        """Forward every track ``pc`` receives from now on.

        Call it before applying the publisher's offer (or answer): tracks are switched to
        passthrough in the connection's ``track`` event, before aiortc starts decoding.
        When the connection closes or fails, the publisher is removed.
        """
        if not participant_id or "/" in participant_id:
            raise BadInput(f"participant id {participant_id!r} must be non-empty, without '/'")
        self._publishers[participant_id] = pc

        def on_state() -> None:
            if pc.connectionState in ("closed", "failed"):
                self._later(self.remove_publisher(participant_id))

        pc.on("connectionstatechange", on_state)

        def on_track(track: MediaStreamTrack) -> None:
            for transceiver in pc.getTransceivers():
                if transceiver.receiver.track is track:
                    self._publish(f"{participant_id}/{track.id}", transceiver)

        pc.on("track", on_track)

    def tracks(self) -> list[TrackInfo]:
        return [
            TrackInfo(
                key=key,
                publisher_id=key.split("/", 1)[0],
                kind=fwd.kind,
                mime_type=fwd.codec.mimeType if fwd.codec else None,
            )
            for key, fwd in self._forwarders.items()
        ]

    def forwarder(self, key: str) -> TrackForwarder:
        try:
            return self._forwarders[key]
        except KeyError:
            raise TrackNotFound(f"no published track {key!r} in room {self.room_id}") from None

    async def add_subscriber(
        self,
        participant_id: str,
        pc: RTCPeerConnection,
        *,
        keys: Iterable[str] | None = None,
        ready_timeout: float = 2.0,
    ) -> list[Subscription]:
        """Send ``pc`` the given tracks (default: all but its own) it does not get yet.

        Waits up to ``ready_timeout`` for tracks whose first frame has not arrived; those
        still not ready are left out (``on_track`` announces them later). Returns the new
        subscriptions; when there are any, the signalling layer must renegotiate. Call
        again with the same ``pc`` to add tracks published since. When the connection
        closes or fails, the subscriber is removed.
        """
        current = self._subscriptions.setdefault(participant_id, {})
        if participant_id not in self._subscriber_pcs:
            self._subscriber_pcs[participant_id] = pc

            def on_state() -> None:
                if pc.connectionState in ("closed", "failed"):
                    self.remove_subscriber(participant_id)

            pc.on("connectionstatechange", on_state)
        if keys is None:
            own = f"{participant_id}/"
            keys = [key for key in self._forwarders if not key.startswith(own)]
        candidates = [self.forwarder(key) for key in keys if key not in current]
        await asyncio.gather(*(fwd.wait_ready(ready_timeout) for fwd in candidates))
        added = [fwd.subscribe(participant_id, pc) for fwd in candidates if fwd.codec]
        current.update((sub.track_key, sub) for sub in added)
        return added

    def subscriptions(self, participant_id: str) -> list[Subscription]:
        return list(self._subscriptions.get(participant_id, {}).values())

    def remove_subscriber(self, participant_id: str) -> None:
        """Stop sending to ``participant_id``; its connection is the caller's to close."""
        self._subscriber_pcs.pop(participant_id, None)
        for key in self._subscriptions.pop(participant_id, {}):
            forwarder = self._forwarders.get(key)
            if forwarder is not None:
                forwarder.unsubscribe(participant_id)

    async def remove_publisher(self, participant_id: str) -> None:
        """Stop forwarding ``participant_id``'s tracks; subscribers' senders end."""
        self._publishers.pop(participant_id, None)
        for key in [k for k in self._forwarders if k.startswith(f"{participant_id}/")]:
            forwarder = self._forget_track(key)
            if forwarder is not None:
                await forwarder.stop()

    async def remove_participant(self, participant_id: str) -> None:
        self.remove_subscriber(participant_id)
        await self.remove_publisher(participant_id)

    def stats(self) -> RoomStats:
        return RoomStats(
            room_id=self.room_id,
            tracks={key: fwd.stats() for key, fwd in self._forwarders.items()},
            decoders=decoder_counts(),
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for participant_id in list(self._subscriptions):
            self.remove_subscriber(participant_id)
        for participant_id in list(self._publishers):
            await self.remove_publisher(participant_id)

    def _publish(self, key: str, transceiver: RTCRtpTransceiver) -> None:
        forwarder = TrackForwarder(
            passthrough_track(transceiver.receiver), key=key, options=self.options
        )
        self._forwarders[key] = forwarder
        # The publisher's stream can end on its own (RTCP BYE, receiver stopped).
        forwarder.source.on("ended", lambda: self._forget_track(key, forwarder))
        if self._on_track is not None:
            self._later(self._announce(forwarder))

    def _forget_track(
        self, key: str, forwarder: TrackForwarder | None = None
    ) -> TrackForwarder | None:
        if forwarder is not None and self._forwarders.get(key) is not forwarder:
            return None
        for subscriptions in self._subscriptions.values():
            subscriptions.pop(key, None)
        return self._forwarders.pop(key, None)

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(self, forwarder: TrackForwarder) -> None:
        await forwarder.source.wait_codec()
        if self._on_track is not None and self._forwarders.get(forwarder.key) is forwarder:
            self._on_track(forwarder)
