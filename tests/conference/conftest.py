"""Real aiortc peers on loopback: a publisher, the SFU side, and decoding viewers.

Video frames carry their frame number as 16 black/white blocks so a viewer can read it
back from the decoded pixels and check that it sees the publisher's frames, in order.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import av
import numpy as np
import pytest
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from motmedia.conference import Room, Subscription

WIDTH, HEIGHT, BITS, BLOCK = 320, 240, 16, 16


def counter_image(n: int) -> np.ndarray:
    """A grey frame with ``n`` drawn as 16 blocks (white = 1), least significant first."""
    img = np.full((HEIGHT, WIDTH), 64, np.uint8)
    for bit in range(BITS):
        if n >> bit & 1:
            x = 8 + bit * (BLOCK + 3)
            img[8 : 8 + BLOCK, x : x + BLOCK] = 235
    # Moving content so that delta frames are not empty.
    img[100:140, (n * 4) % (WIDTH - 40) :][:, :40] = 160
    return img


def read_counter(frame: av.VideoFrame) -> int:
    img = frame.to_ndarray(format="gray")
    n = 0
    for bit in range(BITS):
        x = 8 + bit * (BLOCK + 3)
        if img[12 : 12 + BLOCK - 8, x + 4 : x + BLOCK - 4].mean() > 150:
            n |= 1 << bit
    return n


class CounterTrack(VideoStreamTrack):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        gray = counter_image(self.sent)
        frame = av.VideoFrame.from_ndarray(np.stack([gray] * 3, axis=-1), format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz sine, 20 ms frames of 48 kHz mono s16."""

    RATE, SAMPLES, FREQ = 48000, 960, 440.0

    def __init__(self) -> None:
        super().__init__()
        self._t0: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._t0 + self._pts / self.RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (self._pts + np.arange(self.SAMPLES)) / self.RATE
        samples = (np.sin(2 * np.pi * self.FREQ * t) * 12000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.RATE
        frame.pts, frame.time_base = self._pts, fractions.Fraction(1, self.RATE)
        self._pts += self.SAMPLES
        return frame


def capabilities(mime: str) -> list:  # type: ignore[type-arg]
    kind = mime.split("/")[0]
    caps = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for c in caps if c.mimeType.lower() == mime.lower()][:1]
    return chosen + [c for c in caps if c.mimeType.lower() == f"{kind}/rtx"]


@dataclass
class Viewer:
    """A subscriber peer that decodes what it gets, like a browser would."""

    pc: RTCPeerConnection
    subscriptions: list[Subscription]
    connected_at: float = 0.0
    counters: list[tuple[float, int]] = field(default_factory=list)
    audio: list[np.ndarray] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def consume(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.counters.append((time.monotonic(), read_counter(frame)))
                elif isinstance(frame, av.AudioFrame):
                    self.audio.append(frame.to_ndarray().reshape(-1, frame.layout.nb_channels))
        except MediaStreamError:
            pass

    async def wait_frames(self, count: int, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while len(self.counters) + len(self.audio) < count:
            assert time.monotonic() < deadline, f"only {len(self.counters)} frames"
            await asyncio.sleep(0.05)


class Lab:
    # Exposed here because test modules cannot import a conftest by name.
    CounterTrack = CounterTrack
    ToneTrack = ToneTrack
    read_counter = staticmethod(read_counter)
    capabilities = staticmethod(capabilities)

    def __init__(self) -> None:
        self.pcs: list[RTCPeerConnection] = []
        self.viewers: list[Viewer] = []

    def pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        return pc

    @staticmethod
    async def negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)

    async def publish(
        self, room: Room, participant_id: str, *tracks: tuple[MediaStreamTrack, str]
    ) -> list[RTCRtpSender]:
        """Publish ``(track, mime)`` pairs to ``room``; returns the publisher's senders."""
        pub, sfu = self.pc(), self.pc()
        senders = []
        for track, mime in tracks:
            transceiver = pub.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(capabilities(mime))
            senders.append(transceiver.sender)
        room.add_publisher(participant_id, sfu)
        await self.negotiate(pub, sfu)
        return senders

    async def view(self, room: Room, participant_id: str) -> Viewer:
        sfu, pc = self.pc(), self.pc()
        viewer = Viewer(pc, await room.add_subscriber(participant_id, sfu))
        assert viewer.subscriptions, "nothing to subscribe to"
        pc.on("track", viewer.consume)
        await self.negotiate(sfu, pc)
        viewer.connected_at = time.monotonic()
        self.viewers.append(viewer)
        return viewer

    async def close(self) -> None:
        for viewer in self.viewers:
            for task in viewer.tasks:
                task.cancel()
        await asyncio.gather(*(pc.close() for pc in self.pcs))


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    lab = Lab()
    yield lab
    await lab.close()
