"""The load generator: one pre-encoded 720p publisher and N viewers, against an SFU process.

The publisher sends the cached test video as :class:`av.Packet` objects, so aiortc only
packetises it. Viewers note the frame number (from the pts) of each encoded frame they
receive through :func:`motmedia.conference.passthrough_track` (no decoding, to keep the
load generator cheap); the last viewer is a sample that decodes like a browser would and
reads the frame counter drawn in the pictures, to show the forwarded stream is valid video.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from benchmarks.sfu.testvideo import FPS, EncodedVideo, read_counter
from motmedia.conference import passthrough_track

__all__ = ["run_config"]

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


class PacketTrack(MediaStreamTrack):
    """Plays the encoded video in a loop at its frame rate, without encoding."""

    kind = "video"

    def __init__(self, video: EncodedVideo) -> None:
        super().__init__()
        self.video = video
        self.sent = 0
        self._t0: float | None = None

    async def recv(self) -> av.Packet:
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._t0 + self.sent / FPS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        data, key = self.video.frames[self.sent % len(self.video.frames)]
        packet = av.Packet(data)
        packet.pts, packet.time_base = self.sent * (90000 // FPS), VIDEO_TIME_BASE
        packet.is_keyframe = key
        self.sent += 1
        return packet


@dataclass
class Viewer:
    pc: RTCPeerConnection
    decode: bool
    frames: int = 0
    bytes: int = 0
    indices: list[int] = field(default_factory=list)  # publisher frame number, from pts
    counters: list[int] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    first: asyncio.Event = field(default_factory=asyncio.Event)

    def on_track(self, track: MediaStreamTrack) -> None:
        if not self.decode:
            receiver = next(t.receiver for t in self.pc.getTransceivers())
            track = passthrough_track(receiver)
        self.task = asyncio.ensure_future(self._count(track))

    async def _count(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames += 1
                self.first.set()
                if frame.pts is not None:
                    self.indices.append(round(frame.pts * FPS / 90000))
                if isinstance(frame, av.Packet):
                    self.bytes += frame.size
                elif isinstance(frame, av.VideoFrame):
                    self.counters.append(read_counter(frame))
        except MediaStreamError:
            pass


def _delivered(indices: list[int]) -> float:
    if not indices:
        return 0.0
    return len(set(indices)) / (max(indices) - min(indices) + 1)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def _sdp(pc: RTCPeerConnection) -> dict[str, str]:
    return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}


async def run_config(
    mode: str,
    video: EncodedVideo,
    viewers: int,
    seconds: float,
    warmup: float,
    *,
    pacing: bool = True,
) -> dict[str, Any]:
    """One measurement: ``viewers`` viewers of one publisher through a ``mode`` SFU."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.sfu.server",
        mode,
        *([] if pacing else ["--no-pacing"]),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None

    async def call(**request: Any) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request).encode() + b"\n")
        await proc.stdin.drain()
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"SFU process died (mode {mode})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    mime = f"video/{video.codec}"
    publisher, source = _pc(), PacketTrack(video)
    transceiver = publisher.addTransceiver(source, direction="sendonly")
    caps = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in caps if c.mimeType == mime][:1])
    await publisher.setLocalDescription(await publisher.createOffer())
    reply = await call(op="publish", offer=_sdp(publisher), mime=mime)
    await publisher.setRemoteDescription(RTCSessionDescription(**reply["answer"]))

    crowd = [Viewer(_pc(), decode=i == viewers - 1) for i in range(viewers)]
    for i, viewer in enumerate(crowd):
        viewer.pc.on("track", viewer.on_track)
        reply = await call(op="subscribe", id=f"v{i}")
        await viewer.pc.setRemoteDescription(RTCSessionDescription(**reply["offer"]))
        await viewer.pc.setLocalDescription(await viewer.pc.createAnswer())
        await call(op="answer", id=f"v{i}", answer=_sdp(viewer.pc))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(v.first.wait() for v in crowd)), 30)
    joined = sum(v.frames > 0 for v in crowd)
    await asyncio.sleep(warmup)

    await call(op="start")
    sent0, got0, cpu0 = source.sent, [len(v.indices) for v in crowd], _cpu()
    bytes0 = [v.bytes for v in crowd[:-1]]
    counters0 = len(crowd[-1].counters)
    await asyncio.sleep(seconds)
    sent1, got1, cpu1 = source.sent, [len(v.indices) for v in crowd], _cpu()
    bytes1 = [v.bytes for v in crowd[:-1]]
    sfu = await call(op="stop")
    await call(op="quit")
    await proc.wait()
    for viewer in crowd:
        if viewer.task is not None:
            viewer.task.cancel()
    await asyncio.gather(publisher.close(), *(v.pc.close() for v in crowd))

    sent = sent1 - sent0
    # Delivered = frames present among those the viewer should have had in the window,
    # from the pts it received: immune to how far behind it is at either edge.
    ratios = [_delivered(v.indices[a:b]) for v, a, b in zip(crowd, got0, got1, strict=True)]
    received = [(b - a) / sent for a, b in zip(got0, got1, strict=True)]
    sample = crowd[-1].counters[counters0:]
    rates = [8 * (b - a) / seconds for a, b in zip(bytes0, bytes1, strict=True)]
    # The video loops, and so does its counter; a step of 1 is the next frame.
    steps = [(b - a) % len(video.frames) for a, b in pairwise(sample)]
    return {
        "mode": mode,
        "pacing": pacing,
        "codec": video.codec,
        "viewers": viewers,
        "viewers_joined": joined,
        "frames_sent": sent,
        "sfu_cpu_s": sfu["cpu_s"],
        "wall_s": sfu["wall_s"],
        "sfu_core_share": sfu["cpu_s"] / sfu["wall_s"],
        "cpu_s_per_viewer_s": sfu["cpu_s"] / (viewers * sfu["wall_s"]),
        "delivered_min": min(ratios),
        "delivered_mean": sum(ratios) / len(ratios),
        "received_over_sent_min": min(received),
        "viewer_bitrate": sum(rates) / len(rates) if rates else None,
        "sample_decoded_ratio": len(sample) / sent,
        "sample_counter_steps_ok": sum(step == 1 for step in steps) / max(1, len(steps)),
        "loadgen_core_share": (cpu1 - cpu0) / seconds,
        "sfu_decoders_created": sfu["decoders_created"],
        "sfu_decoders_in_passthrough": sfu["decoders_in_passthrough"],
        "sfu_tracks": sfu["tracks"],
    }
