"""One subscriber's view of a forwarded track: a bounded queue of encoded frames.

The forwarder offers every frame to every :class:`RelayTrack` without ever awaiting, so
one slow subscriber cannot hold up the others. Each subscriber's ``RTCRtpSender`` pulls
frames with :meth:`RelayTrack.recv` in its own task and packetises them (no encoding:
they are :class:`av.Packet` objects). A subscriber whose queue is full has fallen
behind: its queued video frames are discarded and it restarts from the next keyframe,
since a delta frame is useless once a frame it refers to has been dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

if TYPE_CHECKING:
    from .passthrough import EncodedPacket

__all__ = ["RelayTrack", "SubscriberStats"]


@dataclass(slots=True)
class SubscriberStats:
    """Counters of one subscription. Frames are counted, not RTP packets."""

    frames_out: int = 0  # handed to the subscriber's sender
    dropped: int = 0  # discarded because the subscriber fell behind
    skipped: int = 0  # not sent: before its sender ran, awaiting a keyframe, other codec
    keyframe_requests: int = 0  # PLI/FIR received from the subscriber
    first_frame_delay: float | None = None  # seconds from its sender starting to frame 1


class RelayTrack(MediaStreamTrack):
    """A per-subscriber track fed by :meth:`offer`; ``recv()`` returns encoded packets.

    ``on_start`` runs when the subscriber's sender asks for its first frame, i.e. once
    the connection is up; ``on_behind`` runs when the subscriber needs a keyframe
    because it fell behind. Both must not block.
    """

    def __init__(
        self,
        kind: str,
        *,
        codec_key: str = "",
        queue_size: int,
        on_start: Callable[[], None],
        on_behind: Callable[[], None],
    ) -> None:
        super().__init__()
        self.kind = kind
        self.codec_key = codec_key  # the codec its sender was negotiated for
        self.stats = SubscriberStats()
        self._queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(queue_size)
        self._on_start = on_start
        self._on_behind = on_behind
        self._started_at: float | None = None
        self._waiting_keyframe = True

    @property
    def started(self) -> bool:
        return self._started_at is not None

    def offer(self, packet: EncodedPacket) -> None:
        """Queue ``packet`` for this subscriber, or count why it was not."""
        if self.readyState != "live":
            return
        if not self.started or (self._waiting_keyframe and not packet.is_keyframe):
            # Before the sender runs nothing would read the queue; frames queued then
            # would only arrive stale and push out the keyframe the subscriber needs.
            self.stats.skipped += 1
            return
        self._waiting_keyframe = False
        if self._queue.full():
            self._fall_behind(packet)
            return
        self._queue.put_nowait(packet)

    def _fall_behind(self, packet: EncodedPacket) -> None:
        if self.kind == "audio":
            # Audio frames are independent: losing the oldest one is the least audible.
            self._queue.get_nowait()
            self.stats.dropped += 1
            self._queue.put_nowait(packet)
            return
        while not self._queue.empty():
            self._queue.get_nowait()
            self.stats.dropped += 1
        if packet.is_keyframe:
            self._queue.put_nowait(packet)
            return
        self.stats.dropped += 1
        self._waiting_keyframe = True
        self._on_behind()

    async def recv(self) -> EncodedPacket:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started_at is None:
            self._started_at = time.monotonic()
            self._on_start()
        packet = await self._queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        if self.stats.frames_out == 0:
            self.stats.first_frame_delay = time.monotonic() - self._started_at
        self.stats.frames_out += 1
        return packet

    def close(self) -> None:
        """End the track once the sender has taken what is already queued."""
        if self.readyState != "live":
            return
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)
