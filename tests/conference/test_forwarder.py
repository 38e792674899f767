"""Keyframe policy, rate limiting and slow subscribers."""

from __future__ import annotations

import asyncio
import time

import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs import CODECS
from aiortc.mediastreams import MediaStreamError

from motmedia.conference import (
    ForwardingOptions,
    RelayTrack,
    Room,
    TrackForwarder,
    on_keyframe_request,
)


def packet(key: bool, size: int = 100) -> av.Packet:
    p = av.Packet(b"\x00" * size)
    p.is_keyframe = key
    return p


async def test_mid_stream_viewer_gets_a_picture_after_a_pli(lab):
    room = Room("r")
    (sender,) = await lab.publish(room, "alice", (lab.CounterTrack(), "video/VP8"))
    plis: list[float] = []
    on_keyframe_request(sender, lambda: plis.append(time.monotonic()))
    first = await lab.view(room, "v1")
    await first.wait_frames(45)
    plis_before = len(plis)

    late = await lab.view(room, "v2")
    await late.wait_frames(15)

    # aiortc's VP8 encoder makes a keyframe only every 3000 frames: the late viewer's
    # picture can only come from the PLI the SFU sent upstream when it connected.
    assert len(plis) > plis_before
    track = room.stats().tracks[next(iter(room.stats().tracks))]
    sub = track.subscribers["v2"]
    assert sub.first_frame_delay is not None and sub.first_frame_delay < 1.0
    assert sub.skipped > 0  # frames sent before it could start were not queued
    assert track.keyframes_in >= 2
    values = [n for _, n in late.counters]
    assert values[0] > first.counters[0][1] + 30
    assert values == sorted(values)
    await room.close()


async def test_subscriber_pli_reaches_the_publisher_rate_limited(lab):
    room = Room("r", options=ForwardingOptions(pli_interval=0.5))
    (sender,) = await lab.publish(room, "alice", (lab.CounterTrack(), "video/H264"))
    plis: list[float] = []
    on_keyframe_request(sender, lambda: plis.append(time.monotonic()))
    viewer = await lab.view(room, "v1")
    await viewer.wait_frames(30)
    await asyncio.sleep(0.6)
    (subscription,) = viewer.subscriptions
    forwarder = room.forwarder(subscription.track_key)
    sent_before, plis_before = forwarder.stats().plis_sent, len(plis)

    # Real RTCP PLIs from the viewer's receiver, 10 in 0.45 s.
    (transceiver,) = viewer.pc.getTransceivers()
    for _ in range(10):
        await transceiver.receiver._send_rtcp_pli(subscription.transceiver.sender._ssrc)
        await asyncio.sleep(0.045)
    await asyncio.sleep(0.7)

    stats = forwarder.stats()
    assert stats.subscribers["v1"].keyframe_requests == 10
    # One PLI at once, one when the interval allows; a third only if a loaded machine
    # delays the keyframe past another interval.
    assert 1 <= stats.plis_sent - sent_before <= 3
    assert 1 <= len(plis) - plis_before <= 3
    await room.close()


class FakeSource:
    """Stands in for a PassthroughTrack: frames pushed by the test, PLIs counted."""

    kind = "video"

    def __init__(self) -> None:
        self.codec = next(c for c in CODECS["video"] if c.name == "VP8")
        self.frames: asyncio.Queue[av.Packet | None] = asyncio.Queue()
        self.plis: list[float] = []

    async def recv(self) -> av.Packet:
        p = await self.frames.get()
        if p is None:
            raise MediaStreamError
        return p

    async def request_keyframe(self) -> bool:
        self.plis.append(time.monotonic())
        return True

    def stop(self) -> None:
        pass


async def test_keyframe_requests_are_coalesced_and_repeated_until_a_keyframe():
    source = FakeSource()
    forwarder = TrackForwarder(source, key="a/v", options=ForwardingOptions(pli_interval=0.1))
    start = time.monotonic()
    while time.monotonic() - start < 0.35:
        forwarder.request_keyframe("test")
        await asyncio.sleep(0.01)
    # Still no keyframe: the open request is repeated once per interval (t = 0, 0.1,
    # 0.2, 0.3 s; a loaded machine may oversleep one).
    assert 3 <= len(source.plis) <= 4
    await source.frames.put(packet(key=True))
    await asyncio.sleep(0.3)
    assert len(source.plis) <= 5
    stats = forwarder.stats()
    assert stats.plis_sent == len(source.plis) and stats.keyframe_requests > 30
    await forwarder.stop()


async def test_slow_subscriber_drops_to_the_next_keyframe_without_slowing_others():
    source = FakeSource()
    forwarder = TrackForwarder(
        source, key="a/v", options=ForwardingOptions(video_queue=4, pacing=None)
    )
    fast = forwarder.subscribe("fast", RTCPeerConnection()).relay
    slow = forwarder.subscribe("slow", RTCPeerConnection()).relay
    received: list[av.Packet] = []

    async def read(relay: RelayTrack, count: int) -> None:
        for _ in range(count):
            received.append(await relay.recv())

    fast_task = asyncio.ensure_future(read(fast, 20))
    slow_task = asyncio.ensure_future(read(slow, 1))  # starts, then stops reading
    await asyncio.sleep(0)
    frames = [packet(key=True)] + [packet(key=False) for _ in range(14)] + [packet(key=True)]
    for p in frames:
        await source.frames.put(p)
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.05)

    assert fast.stats.frames_out == 16 and fast.stats.dropped == 0
    assert slow.stats.frames_out == 1
    assert slow.stats.dropped > 0 and slow.stats.skipped > 0
    assert len(source.plis) >= 1  # asked for the keyframe it needs
    # The second keyframe released it: it is queued, ahead of nothing stale.
    assert slow._queue.qsize() == 1 and slow._queue.get_nowait().is_keyframe
    fast_task.cancel()
    slow_task.cancel()
    await forwarder.stop()


async def test_relay_track_audio_drops_oldest_and_close_drains():
    relay = RelayTrack("audio", queue_size=3, on_start=lambda: None, on_behind=pytest.fail)
    first = asyncio.ensure_future(relay.recv())
    await asyncio.sleep(0)
    frames = [packet(key=True, size=i + 1) for i in range(5)]
    for p in frames:
        relay.offer(p)
    # A full queue loses its oldest frames, even ones a waiting reader was about to get.
    assert (await first).size == 3
    relay.close()
    got = []
    with pytest.raises(MediaStreamError):
        while True:
            got.append((await relay.recv()).size)
    assert got == [4, 5]
    assert relay.stats.dropped == 2
    assert relay.readyState == "ended"


async def test_frames_of_another_codec_are_not_sent_to_a_negotiated_sender():
    source = FakeSource()
    forwarder = TrackForwarder(source, key="a/v", options=ForwardingOptions(pacing=None))
    relay = forwarder.subscribe("bob", RTCPeerConnection()).relay
    reading = asyncio.ensure_future(relay.recv())
    await asyncio.sleep(0)
    await source.frames.put(packet(key=True))
    assert (await reading).is_keyframe

    source.codec = next(c for c in CODECS["video"] if c.name == "H264")
    for _ in range(3):
        await source.frames.put(packet(key=True))
    await asyncio.sleep(0.01)
    assert relay.stats.frames_out == 1 and relay.stats.skipped == 3
    assert relay._queue.empty()
    await forwarder.stop()
