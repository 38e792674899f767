"""The one module that reaches into aiortc's private internals.

Stock aiortc decodes every received track: ``RTCRtpReceiver._handle_rtp_packet``
reassembles a frame in its jitter buffer and puts ``(codec, JitterFrame)`` on the
``__decoder_queue`` that its ``decoder_worker`` thread reads. :func:`passthrough_track`
swaps that queue, before the receiver starts, for a tap that wraps each reassembled
frame in an :class:`av.Packet` and hands it to a :class:`PassthroughTrack` on the event
loop. Any ``RTCRtpSender`` given that track re-packetises the packets through its
codec's ``Encoder.pack()`` without encoding, so nothing is ever decoded or re-encoded.

The decoder thread still starts (``receive()`` starts it unconditionally) but it blocks
forever on the empty tap and exits when the receiver stops; the decoder probe installed
below proves at run time that it never creates a decoder.

Everything here depends on aiortc 1.16.x (pinned in pyproject). Importing this module
checks each private name it uses and raises :class:`AiortcIncompatible` on mismatch.
"""

from __future__ import annotations

import asyncio
import fractions
import queue
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import av
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender
from aiortc import rtcrtpreceiver as _receiver_module
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from .compat import DECODER_QUEUE, KIND, STARTED, check_aiortc
from .exceptions import ReceiverStarted
from .keyframes import is_keyframe
from .pacing import PacingOptions, TokenBucket

if TYPE_CHECKING:
    from av.stream import Stream

    EncodedPacket: TypeAlias = av.Packet[Stream]

__all__ = [
    "DecoderCounts",
    "PassthroughStats",
    "PassthroughTrack",
    "decoder_counts",
    "on_keyframe_request",
    "pace_transport",
    "passthrough_track",
]

check_aiortc()


@dataclass(slots=True)
class PassthroughStats:
    frames: int = 0
    keyframes: int = 0
    bytes: int = 0
    dropped: int = 0  # overwritten because nobody read the track fast enough


class PassthroughTrack(MediaStreamTrack):
    """A received track whose :meth:`recv` returns encoded :class:`av.Packet` objects.

    Each packet is one reassembled frame: ``pts`` is the RTP timestamp counted from the
    first frame (wraps unrolled by aiortc), ``time_base`` is ``1/clockRate`` (90 kHz
    video, 48 kHz Opus, 8 kHz G.711), and ``is_keyframe`` says whether a decoder can
    start from it.
    """

    def __init__(self, receiver: RTCRtpReceiver, kind: str, max_queue: int = 256) -> None:
        super().__init__()
        self.kind = kind
        self.codec: RTCRtpCodecParameters | None = None
        self.media_ssrc: int | None = None
        self.stats = PassthroughStats()
        self._receiver = receiver
        self._queue: asyncio.Queue[EncodedPacket | None] = asyncio.Queue(max_queue)
        self._codec_known = asyncio.Event()
        self._last_rtp: tuple[int, int] = (0, -1)  # (ssrc, payload type)

    async def recv(self) -> EncodedPacket:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        return packet

    async def wait_codec(self) -> RTCRtpCodecParameters:
        """The codec of the frames actually received, once the first one is in."""
        await self._codec_known.wait()
        assert self.codec is not None
        return self.codec

    async def request_keyframe(self) -> bool:
        """Send a PLI upstream; ``False`` when there is nobody to ask (yet)."""
        if self.kind != "video" or self.media_ssrc is None:
            return False
        await self._receiver._send_rtcp_pli(self.media_ssrc)
        return True

    def _note_rtp(self, packet: RtpPacket) -> None:
        self._last_rtp = (packet.ssrc, packet.payload_type)

    def _deliver(self, codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        if self.readyState != "live":
            return
        # RTX packets carry another SSRC and payload type: only a frame completed by a
        # packet of the media codec itself tells us which SSRC a PLI must name.
        if self._last_rtp[1] == codec.payloadType:
            self.media_ssrc = self._last_rtp[0]
        if self.codec is None or self.codec.payloadType != codec.payloadType:
            self.codec = codec
            self._codec_known.set()
        packet = av.Packet(frame.data)
        packet.pts = frame.timestamp
        packet.time_base = fractions.Fraction(1, codec.clockRate)
        packet.is_keyframe = is_keyframe(codec.name, frame.data)
        self.stats.frames += 1
        self.stats.keyframes += packet.is_keyframe
        self.stats.bytes += len(frame.data)
        self._put(packet)

    def _put(self, packet: EncodedPacket | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.stats.dropped += 1
        self._queue.put_nowait(packet)


class _FrameTap(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue; frames go to the track instead."""

    def __init__(self, track: PassthroughTrack) -> None:
        super().__init__()
        self._track = track

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            # End of stream: release the idle decoder thread and end the track.
            super().put(None)
            self._track._put(None)
            return
        codec, frame = item
        self._track._deliver(codec, frame)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        _passthrough_threads.add(threading.current_thread())
        return super().get(block, timeout)


_tracks: weakref.WeakKeyDictionary[RTCRtpReceiver, PassthroughTrack] = weakref.WeakKeyDictionary()


def passthrough_track(receiver: RTCRtpReceiver) -> PassthroughTrack:
    """Turn ``receiver`` into a passthrough receiver and return its track.

    Call it before the receiver starts, i.e. in the peer connection's ``track`` event
    handler (aiortc starts receivers only after that event). Idempotent.
    """
    existing = _tracks.get(receiver)
    if existing is not None:
        return existing
    if getattr(receiver, STARTED):
        raise ReceiverStarted(
            "passthrough must be enabled before the receiver starts "
            "(call passthrough_track() from the 'track' event handler)"
        )
    track = PassthroughTrack(receiver, kind=getattr(receiver, KIND))
    setattr(receiver, DECODER_QUEUE, _FrameTap(track))
    handle_rtp = receiver._handle_rtp_packet

    async def noting_rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
        track._note_rtp(packet)
        await handle_rtp(packet, arrival_time_ms)

    setattr(receiver, "_handle_rtp_packet", noting_rtp)  # noqa: B010
    _tracks[receiver] = track
    return track


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the remote end of ``sender`` sends a PLI or FIR.

    aiortc's sender reacts to both by calling ``_send_keyframe()``, which only sets a
    flag its encoder reads; with pre-encoded packets that flag is never read, so the
    request must be relayed to the publisher instead.
    """
    send_keyframe = sender._send_keyframe

    def relaying() -> None:
        callback()
        send_keyframe()

    setattr(sender, "_send_keyframe", relaying)  # noqa: B010


_buckets: weakref.WeakKeyDictionary[RTCDtlsTransport, TokenBucket] = weakref.WeakKeyDictionary()


def pace_transport(transport: RTCDtlsTransport, options: PacingOptions) -> TokenBucket:
    """Route every packet ``transport`` sends through a token bucket (see ``pacing``).

    The transport is the right place: it is shared by all senders of one bundled
    connection, and its ``_send_rtp`` is awaited once per packet. Idempotent.
    """
    bucket = _buckets.get(transport)
    if bucket is not None:
        return bucket
    bucket = TokenBucket(options)
    send_rtp = transport._send_rtp

    async def late(delay: float, data: bytes) -> None:
        await asyncio.sleep(delay)
        await send_rtp(data)

    def paced(data: bytes) -> Coroutine[Any, Any, None]:
        # Most packets need no wait: hand back aiortc's own coroutine rather than wrap it
        # in another, which would cost a coroutine frame per packet per subscriber.
        delay = bucket.take(len(data))
        return late(delay, data) if delay > 0 else send_rtp(data)

    setattr(transport, "_send_rtp", paced)  # noqa: B010
    _buckets[transport] = bucket
    return bucket


@dataclass(frozen=True, slots=True)
class DecoderCounts:
    """Decoders aiortc created in this process; ``in_passthrough`` must stay 0."""

    created: int
    in_passthrough: int


_passthrough_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_counts_lock = threading.Lock()
_created = 0
_in_passthrough = 0
# Re-importing this module (importlib test modes do) must not stack probes.
_get_decoder = vars(_receiver_module)["get_decoder"]
_get_decoder = getattr(_get_decoder, "motmedia_original", _get_decoder)


def _probing_get_decoder(codec: RTCRtpCodecParameters) -> Any:
    # Runs in decoder threads: a thread that read from a tap belongs to a passthrough
    # receiver, so a decoder created there would mean frames escaped the tap.
    global _created, _in_passthrough
    with _counts_lock:
        _created += 1
        _in_passthrough += threading.current_thread() in _passthrough_threads
    return _get_decoder(codec)


def decoder_counts() -> DecoderCounts:
    with _counts_lock:
        return DecoderCounts(created=_created, in_passthrough=_in_passthrough)


# The receiver module resolves ``get_decoder`` from its globals at call time, so this
# observes every decoder any receiver in the process creates; behaviour is unchanged.
_probing_get_decoder.motmedia_original = _get_decoder  # type: ignore[attr-defined]
vars(_receiver_module)["get_decoder"] = _probing_get_decoder
