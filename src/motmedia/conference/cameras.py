"""RTSP entrance cameras: pulled with PyAV, forwarded into their room without decoding.

A :class:`CameraPuller` runs one thread per camera. It opens the camera over RTSP/TCP,
demuxes H.264 access units (never decodes them), and hands each to a :class:`CameraTrack`
on the event loop: the same shape a :class:`~.passthrough.PassthroughTrack` has (an
:class:`av.Packet` in Annex B with ``pts`` in 90 kHz and a keyframe flag), so the room's
:class:`~.forwarder.TrackForwarder` fans it out like any WebRTC publisher's track. When
SPS/PPS come only out of band (the SDP's ``sprop-parameter-sets``, i.e. the stream's
extradata), they are put in front of each IDR, because a WebRTC viewer can start only from
SPS+PPS+IDR (:func:`~.keyframes.h264_is_keyframe`).

When the camera drops, the puller reconnects with exponential backoff (1 s doubling to
30 s); timestamps continue from where they were so viewers' jitter buffers are not
confused. An RTSP camera cannot be asked for a keyframe: viewers start at the next one
(within the camera's GOP). :meth:`CameraPuller.stop` sets a stop event; the thread notices
it within the read timeout, so shutdown never hangs on a dead camera.

Credentials are never stored in the URL: ``user:password@`` is stripped and, with the
explicit ``username``/``password``, stored AES-GCM encrypted with ``storage_key``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from motmedia.entitlements import service as entitlements
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput
from motmedia.pagination import Page, paginate
from motmedia.tenants.auth import Principal
from motmedia.tenants.scoping import get_scoped, scoped

from .forwarder import TrackForwarder
from .keyframes import H264_IDR, H264_PPS, H264_SPS, h264_is_keyframe, h264_nal_types
from .models import Camera, Room, RoomKind
from .passthrough import PassthroughTrack
from .registry import LiveRoom, MemberInfo, RoomRegistry
from .schemas import CameraCreate, CameraOut

if TYPE_CHECKING:
    from av.stream import Stream

    EncodedPacket: TypeAlias = av.Packet[Stream]

__all__ = [
    "CameraPuller",
    "CameraStatus",
    "CameraStatusOut",
    "CameraTrack",
    "annex_b",
    "create_camera",
    "decrypt_credentials",
    "delete_camera",
    "encrypt_credentials",
    "list_cameras",
    "split_credentials",
    "start_camera",
]

log = logging.getLogger(__name__)

FEATURE = "video.entrance"
VIDEO_CLOCK = 90000
_AAD = b"motmedia.camera.credentials"
_START = b"\x00\x00\x00\x01"


class CameraStatus:
    CONNECTING = "connecting"
    LIVE = "live"
    RETRYING = "retrying"
    STOPPED = "stopped"


class CameraStatusOut(CameraOut):
    """:class:`CameraOut` plus consecutive failed attempts; ``status`` is one of
    ``connecting``, ``live``, ``retrying``, ``stopped``."""

    attempts: int = 0


# -- credentials --------------------------------------------------------------------------


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``(url without user:password@, username, password)``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return clean, username, password


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """``url`` with ``user:password@`` put back, for connecting only."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password is not None:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit(
        (parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment)
    )


def encrypt_credentials(key: bytes, username: str | None, password: str | None) -> bytes | None:
    if username is None and password is None:
        return None
    nonce = os.urandom(12)
    plain = json.dumps({"username": username, "password": password}).encode()
    return nonce + AESGCM(key).encrypt(nonce, plain, _AAD)


def decrypt_credentials(key: bytes, blob: bytes | None) -> tuple[str | None, str | None]:
    if not blob:
        return None, None
    data = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], _AAD))
    return data.get("username"), data.get("password")


# -- H.264 bitstream ----------------------------------------------------------------------


def annex_b(data: bytes) -> bytes:
    """Annex B from either Annex B (unchanged) or AVCC (4-byte length-prefixed) NAL units."""
    if data.startswith(b"\x00\x00\x01") or data.startswith(_START):
        return data
    out, pos = bytearray(), 0
    while pos + 4 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        if size <= 0 or pos + size > len(data):
            return data  # not AVCC after all: leave it alone
        out += _START + data[pos : pos + size]
        pos += size
    return bytes(out)


def parameter_sets(extradata: bytes | None) -> bytes:
    """SPS and PPS from a stream's extradata (Annex B or an ``avcC`` record), in Annex B."""
    if not extradata:
        return b""
    if extradata[0] != 1:  # already Annex B (FFmpeg's RTSP demuxer gives this)
        return extradata
    out, pos = bytearray(), 5
    try:
        for mask in (0x1F, 0xFF):  # SPS count (low 5 bits), then PPS count
            count = extradata[pos] & mask
            pos += 1
            for _ in range(count):
                size = int.from_bytes(extradata[pos : pos + 2], "big")
                out += _START + extradata[pos + 2 : pos + 2 + size]
                pos += 2 + size
    except IndexError:
        return b""
    return bytes(out)


def with_parameter_sets(frame: bytes, sets: bytes) -> bytes:
    """Put SPS/PPS in front of an IDR access unit that lacks them."""
    types = h264_nal_types(frame)
    if sets and H264_IDR in types and not {H264_SPS, H264_PPS} <= set(types):
        return sets + frame
    return frame


def h264_codec() -> RTCRtpCodecParameters:
    """The local H.264 capability (packetization-mode 1) the forwarded track claims."""
    for cap in RTCRtpSender.getCapabilities("video").codecs:
        if cap.mimeType == "video/H264" and cap.parameters.get("packetization-mode") == "1":
            return RTCRtpCodecParameters(
                mimeType=cap.mimeType,
                clockRate=cap.clockRate,
                payloadType=96,
                parameters=dict(cap.parameters),
            )
    raise RuntimeError("aiortc offers no H.264 with packetization-mode 1")


# -- the track ----------------------------------------------------------------------------


class CameraTrack(PassthroughTrack):
    """A camera's H.264 access units in the shape :class:`PassthroughTrack` gives them.

    There is no RTP receiver behind it; a keyframe request is answered ``False`` (an RTSP
    camera cannot be asked), so viewers start at the camera's next IDR.
    """

    def __init__(self, max_queue: int = 256) -> None:
        # No receiver: the only method using it (request_keyframe) is overridden below.
        super().__init__(cast(RTCRtpReceiver, None), kind="video", max_queue=max_queue)

    async def request_keyframe(self) -> bool:
        return False

    def push(self, packet: EncodedPacket) -> None:
        """Deliver one access unit (event loop thread)."""
        if self.readyState != "live":
            return
        if self.codec is None:
            self.codec = h264_codec()
            self._codec_known.set()
        self.stats.frames += 1
        self.stats.keyframes += packet.is_keyframe
        self.stats.bytes += packet.size
        self._put(packet)

    def end(self) -> None:
        if self.readyState == "live":
            self._put(None)


# -- the puller ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.first * 2 ** max(0, attempt - 1)))


class CameraPuller:
    """Pulls one RTSP camera in a thread and publishes it into a live room."""

    def __init__(
        self,
        camera_id: str,
        room_id: str,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        name: str = "",
        open_timeout: float = 5.0,
        read_timeout: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.room_id = room_id
        self.url = url  # without credentials
        self.name = name
        self.identity = f"camera-{camera_id}"
        self.status = CameraStatus.CONNECTING
        self.last_error: str | None = None
        self.attempts = 0  # consecutive failures
        self.reconnects = 0
        self.packets = 0
        self.track = CameraTrack()
        self._connect_url = with_credentials(url, username, password)
        self._timeouts = (open_timeout, read_timeout)
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Output timestamps continue across reconnects: (input pts origin, output origin).
        self._origin: tuple[int, int] | None = None
        self._last_out = -1
        self._last_out_at = 0.0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._run, name=f"camera-{self.camera_id}", daemon=True
        )
        self._thread.start()

    async def stop(self, wait: float = 10.0) -> None:
        """Stop pulling and end the track; waits at most ``wait`` seconds for the thread."""
        self._stop.set()
        self.status = CameraStatus.STOPPED
        self.track.end()
        if self._thread is not None and self._thread.is_alive():
            await asyncio.to_thread(self._thread.join, wait)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # thread side

    def _run(self) -> None:
        while not self._stop.is_set():
            self.status = CameraStatus.CONNECTING
            error = self._pull_once()
            if self._stop.is_set():
                break
            self.attempts += 1
            self.last_error = error
            self.status = CameraStatus.RETRYING
            delay = self._backoff.delay(self.attempts)
            log.info("camera %s: %s; retrying in %.0fs", self.camera_id, error, delay)
            if self._stop.wait(delay):
                break
            self.reconnects += 1
        self.status = CameraStatus.STOPPED

    def _pull_once(self) -> str:
        """Pull until the stream ends or fails; returns why it stopped."""
        try:
            container = av.open(
                self._connect_url,
                options={"rtsp_transport": "tcp"},
                timeout=self._timeouts,
            )
        except Exception as exc:  # any failure is a retry
            return _describe(exc, self._connect_url, self.url)
        try:
            with container:
                if not container.streams.video:
                    return "no video stream"
                stream = container.streams.video[0]
                if stream.codec_context.name != "h264":
                    return f"codec {stream.codec_context.name} is not H.264"
                sets = parameter_sets(stream.codec_context.extradata)
                time_base = stream.time_base or fractions.Fraction(1, VIDEO_CLOCK)
                self._origin = None
                for packet in container.demux(stream):
                    if self._stop.is_set():
                        return "stopped"
                    if packet.size == 0:
                        continue
                    self._forward(packet, sets, time_base)
            return "the camera ended the stream"
        except Exception as exc:
            return _describe(exc, self._connect_url, self.url)

    def _forward(self, packet: av.Packet[Any], sets: bytes, time_base: fractions.Fraction) -> None:
        data = with_parameter_sets(annex_b(bytes(packet)), sets)
        raw = packet.pts if packet.pts is not None else packet.dts
        now = time.monotonic()
        pts_in = None if raw is None else int(raw * time_base * VIDEO_CLOCK)
        if self._origin is None or pts_in is None:
            # First packet of a connection: continue the output clock by wall time elapsed.
            if self._last_out < 0:
                out = 0
            else:
                gap = max(1, int((now - self._last_out_at) * VIDEO_CLOCK))
                out = self._last_out + gap
            if pts_in is not None:
                self._origin = (pts_in, out)
        else:
            out = self._origin[1] + pts_in - self._origin[0]
            if out <= self._last_out:  # never backwards
                out = self._last_out + 1
        self._last_out, self._last_out_at = out, now
        frame = av.Packet(data)
        frame.pts = out
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        frame.is_keyframe = h264_is_keyframe(data)
        self.packets += 1
        if self.status != CameraStatus.LIVE:
            self.status = CameraStatus.LIVE
            self.attempts = 0
            self.last_error = None
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # loop closed during shutdown
            self._loop.call_soon_threadsafe(self.track.push, frame)


def _describe(exc: Exception, secret_url: str, url: str) -> str:
    return f"{type(exc).__name__}: {exc}".replace(secret_url, url)[:500]


class CameraMember:
    """A camera as a room member: publishes its track, subscribes to nothing."""

    def __init__(self, puller: CameraPuller) -> None:
        self.puller = puller
        self.info = MemberInfo(puller.identity, puller.name or puller.identity, "camera",
                               can_publish=True, can_subscribe=False)  # fmt: skip

    def notify(self, event: dict[str, Any]) -> None:
        pass

    def track_published(self, forwarder: TrackForwarder) -> None:
        pass

    async def close(self) -> None:
        await self.puller.stop()


def start_camera(
    registry: RoomRegistry, room: Room, camera: Camera, *, username: str | None,
    password: str | None,
) -> CameraPuller:  # fmt: skip
    """Start pulling ``camera`` and publish it into ``room`` (opened live if need be)."""
    live: LiveRoom = registry.open(room.id, max_participants=room.max_participants,
                                   empty_timeout_s=room.empty_timeout_s)  # fmt: skip
    puller = CameraPuller(camera.id, room.id, camera.url, username=username,
                          password=password, name=camera.name)  # fmt: skip
    live.join(CameraMember(puller))
    live.publish_track(puller.identity, puller.track)
    registry.add_camera(camera.id, puller)
    puller.start()
    return puller


# -- stored cameras -----------------------------------------------------------------------


def create_camera(
    *,
    session: Session,
    policy: Policy,
    principal: Principal,
    data: CameraCreate,
    key: bytes,
    at: date,
) -> tuple[Camera, Room, str | None, str | None]:
    """Store a camera; returns it, its room and the credentials to connect with."""
    room = get_scoped(session, Room, data.room_id, principal)
    if room.kind != RoomKind.ENTRANCE:
        raise BadInput("Cameras publish into entrance rooms only.", code="NOT_AN_ENTRANCE_ROOM")
    entitlements.check(session=session, policy=policy, principal=principal,
                       device_id=room.device_id, feature=FEATURE, at=at)  # fmt: skip
    url, url_user, url_password = split_credentials(data.url)
    username = data.username if data.username is not None else url_user
    password = data.password if data.password is not None else url_password
    camera = Camera(
        customer_id=room.customer_id,
        device_id=room.device_id,
        room_id=room.id,
        name=data.name,
        url=url,
        credentials=encrypt_credentials(key, username, password),
    )
    session.add(camera)
    session.flush()
    return camera, room, username, password


def list_cameras(
    *, session: Session, principal: Principal, cursor: str | None, limit: int
) -> Page[Camera]:
    return paginate(session, scoped(select(Camera), Camera, principal), Camera,
                    cursor=cursor, limit=limit)  # fmt: skip


def get_camera(*, session: Session, principal: Principal, camera_id: str) -> Camera:
    return get_scoped(session, Camera, camera_id, principal)


def delete_camera(*, session: Session, camera: Camera) -> None:
    session.delete(camera)
    session.flush()


def camera_out(camera: Camera, puller: CameraPuller | None) -> CameraStatusOut:
    out = CameraStatusOut(
        id=camera.id,
        created_at=camera.created_at,
        room_id=camera.room_id,
        name=camera.name,
        url=camera.url,
        status=CameraStatus.STOPPED,
    )
    if puller is not None:
        out.status = puller.status
        out.last_error = puller.last_error
        out.attempts = puller.attempts
        out.packets = puller.packets
        out.reconnects = puller.reconnects
    return out
