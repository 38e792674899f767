"""Fan-out of one published track to many subscribers, without decoding.

A :class:`TrackForwarder` reads encoded frames from a :class:`PassthroughTrack` and
offers each to every subscriber's :class:`RelayTrack`. It owns the keyframe policy:

* a subscriber starts only at a keyframe, so when its sender starts (the connection is
  up) the forwarder asks the publisher for one;
* a subscriber that fell behind, and a subscriber's own PLI or FIR, ask again;
* requests are coalesced into at most one PLI upstream per ``pli_interval``; the request
  stays open, and is repeated at that interval, until a keyframe actually arrives,
  because an RTCP packet may be lost on the way.

Pacing of the outgoing packets is per subscriber connection (see :mod:`.pacing`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters

from .exceptions import CodecMismatch
from .pacing import PacingOptions
from .passthrough import PassthroughTrack, on_keyframe_request, pace_transport
from .relay import RelayTrack, SubscriberStats

__all__ = [
    "ForwarderStats",
    "ForwardingOptions",
    "Subscription",
    "TrackForwarder",
    "codec_key",
    "codec_preferences",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ForwardingOptions:
    video_queue: int = 16  # frames (about 0.5 s at 30 fps) before a subscriber is "behind"
    audio_queue: int = 25  # frames (0.5 s of 20 ms Opus frames)
    pli_interval: float = 0.5  # seconds between two PLIs sent upstream
    pacing: PacingOptions | None = field(default_factory=PacingOptions)


@dataclass(slots=True)
class ForwarderStats:
    frames_in: int = 0
    keyframes_in: int = 0
    bytes_in: int = 0
    keyframe_requests: int = 0  # from any cause, before rate limiting
    plis_sent: int = 0  # upstream to the publisher, after rate limiting
    subscribers: dict[str, SubscriberStats] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscriber's transceiver carrying one forwarded track."""

    subscriber_id: str
    track_key: str
    transceiver: RTCRtpTransceiver
    relay: RelayTrack

    @property
    def stats(self) -> SubscriberStats:
        return self.relay.stats


def codec_key(codec: RTCRtpCodecParameters) -> str:
    """What must match between a frame and a subscriber's negotiated codec."""
    return f"{codec.mimeType.lower()} {sorted(codec.parameters.items())}"


def codec_preferences(codec: RTCRtpCodecParameters) -> list[RTCRtpCodecCapability]:
    """The capability list that makes a sender negotiate exactly ``codec`` (+ RTX).

    Forwarded frames can only be re-packetised, never transcoded, so the subscriber's
    sender must use the publisher's codec, H.264 profile and packetisation mode included.
    """
    capabilities = RTCRtpSender.getCapabilities(codec.mimeType.split("/")[0]).codecs
    same = [
        c
        for c in capabilities
        if c.mimeType.lower() == codec.mimeType.lower()
        and c.clockRate == codec.clockRate
        and c.parameters == codec.parameters
    ]
    if not same:
        raise CodecMismatch(f"no local capability matches {codec.mimeType} {codec.parameters}")
    rtx = [c for c in capabilities if c.mimeType.lower().endswith("/rtx")]
    return same[:1] + rtx[:1]


class TrackForwarder:
    """Forwards one :class:`PassthroughTrack` to any number of subscriber connections."""

    def __init__(
        self, source: PassthroughTrack, *, key: str, options: ForwardingOptions | None = None
    ) -> None:
        self.key = key
        self.source = source
        self.options = options or ForwardingOptions()
        self._stats = ForwarderStats()
        self._relays: dict[str, RelayTrack] = {}
        self._keyframe_wanted = False
        self._last_pli = float("-inf")
        self._pli_task: asyncio.Task[None] | None = None
        self._task = asyncio.ensure_future(self._run())

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def codec(self) -> RTCRtpCodecParameters | None:
        return self.source.codec

    async def wait_ready(self, max_wait: float) -> RTCRtpCodecParameters | None:
        """The publisher's codec once its first frame is in; ``None`` on timeout."""
        try:
            return await asyncio.wait_for(self.source.wait_codec(), max_wait)
        except TimeoutError:
            return None

    def subscribe(
        self,
        subscriber_id: str,
        pc: RTCPeerConnection,
        transceiver: RTCRtpTransceiver | None = None,
    ) -> Subscription:
        """Send this track to ``pc`` on a new (or the given) sendonly transceiver.

        Needs the codec (see :meth:`wait_ready`). The caller renegotiates afterwards; when
        the subscriber makes the offer, subscribe before applying it, so aiortc pairs the
        offered m-line with this transceiver and its codec preferences.
        """
        if self.codec is None:
            raise CodecMismatch(f"track {self.key} has not received a frame yet")
        if subscriber_id in self._relays:
            self.unsubscribe(subscriber_id)
        preferences = codec_preferences(self.codec)
        queue_size = self.options.video_queue if self.kind == "video" else self.options.audio_queue
        holder: list[RTCRtpSender] = []
        relay = RelayTrack(
            self.kind,
            codec_key=codec_key(self.codec),
            queue_size=queue_size,
            on_start=lambda: self._relay_started(holder[0]),
            on_behind=lambda: self.request_keyframe("subscriber behind"),
        )
        if transceiver is None:
            transceiver = pc.addTransceiver(relay, direction="sendonly")
        else:
            transceiver.sender.replaceTrack(relay)
            transceiver.direction = "sendonly"
        transceiver.setCodecPreferences(preferences)
        holder.append(transceiver.sender)
        on_keyframe_request(transceiver.sender, lambda: self._subscriber_pli(relay))
        relay.on("ended", lambda: self._forget(subscriber_id, relay))
        self._relays[subscriber_id] = relay
        self._stats.subscribers[subscriber_id] = relay.stats
        return Subscription(subscriber_id, self.key, transceiver, relay)

    def unsubscribe(self, subscriber_id: str) -> None:
        relay = self._relays.pop(subscriber_id, None)
        if relay is not None:
            relay.close()

    def request_keyframe(self, reason: str) -> None:
        """Ask the publisher for a keyframe, coalesced and rate-limited (module doc)."""
        if self.kind != "video":
            return
        self._stats.keyframe_requests += 1
        self._keyframe_wanted = True
        logger.debug("keyframe wanted on %s: %s", self.key, reason)
        if self._pli_task is None or self._pli_task.done():
            self._pli_task = asyncio.ensure_future(self._send_plis())

    def stats(self) -> ForwarderStats:
        """A snapshot of the counters."""
        subscribers = {k: replace(v) for k, v in self._stats.subscribers.items()}
        return replace(self._stats, subscribers=subscribers)

    async def stop(self) -> None:
        for task in (self._task, self._pli_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for relay in self._relays.values():
            relay.close()
        self._relays.clear()
        self.source.stop()

    def _relay_started(self, sender: RTCRtpSender) -> None:
        if self.options.pacing is not None:
            pace_transport(sender.transport, self.options.pacing)
        self.request_keyframe("subscriber started")

    def _subscriber_pli(self, relay: RelayTrack) -> None:
        relay.stats.keyframe_requests += 1
        self.request_keyframe("subscriber PLI/FIR")

    def _forget(self, subscriber_id: str, relay: RelayTrack) -> None:
        # The sender stops its track when the connection closes: drop it from the fan-out.
        if self._relays.get(subscriber_id) is relay:
            del self._relays[subscriber_id]

    async def _run(self) -> None:
        payload_type: int | None = -1
        key = ""
        try:
            while True:
                packet = await self.source.recv()
                self._stats.frames_in += 1
                self._stats.bytes_in += packet.size
                if packet.is_keyframe:
                    self._stats.keyframes_in += 1
                    self._keyframe_wanted = False
                codec = self.source.codec
                if codec is not None and codec.payloadType != payload_type:
                    payload_type, key = codec.payloadType, codec_key(codec)
                for relay in list(self._relays.values()):
                    # A publisher may switch codecs; a sender negotiated for the old one
                    # would mis-packetise the new one, so its subscriber gets nothing.
                    if relay.codec_key == key:
                        relay.offer(packet)
                    else:
                        relay.stats.skipped += 1
        except MediaStreamError:
            pass
        finally:
            for relay in self._relays.values():
                relay.close()

    async def _send_plis(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.options.pli_interval
        while self._keyframe_wanted:
            wait = self._last_pli + interval - loop.time()
            if wait <= 0:
                if await self.source.request_keyframe():
                    self._stats.plis_sent += 1
                self._last_pli = loop.time()
                wait = interval
            await asyncio.sleep(wait)
