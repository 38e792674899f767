"""A publisher, the SFU and three decoding viewers, all real aiortc peers on loopback."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import numpy as np
import pytest

from motmedia.conference import Room, TrackNotFound, decoder_counts
from motmedia.errors import BadInput


def assert_counts_in_order(counters: list[tuple[float, int]], minimum: int) -> None:
    values = [n for _, n in counters]
    assert len(values) >= minimum, values
    assert all(b > a for a, b in pairwise(values)), values
    # Losses on loopback are rare; a gap bigger than a few frames means a broken relay.
    assert values[-1] - values[0] < len(values) + 5, values


@pytest.mark.parametrize("mime", ["video/VP8", "video/H264"])
async def test_three_viewers_decode_forwarded_video(lab, mime):
    before = decoder_counts()
    room = Room("r1")
    source = lab.CounterTrack()
    await lab.publish(room, "alice", (source, mime))
    viewers = [await lab.view(room, f"viewer{i}") for i in range(3)]
    for viewer in viewers:
        await viewer.wait_frames(45)

    for viewer in viewers:
        assert_counts_in_order(viewer.counters, 45)
    stats = room.stats()
    (track,) = stats.tracks.values()
    assert track.frames_in >= 45
    assert set(track.subscribers) == {"viewer0", "viewer1", "viewer2"}
    for sub in track.subscribers.values():
        assert sub.frames_out >= 45
        assert sub.dropped == 0
    # The viewers decode (one decoder each); the SFU's receiver created none.
    after = decoder_counts()
    assert after.in_passthrough == 0
    assert after.created - before.created == 3
    assert [t.mime_type for t in room.tracks()] == [mime]
    await room.close()


@pytest.mark.parametrize("mime", ["audio/opus", "audio/PCMU", "audio/PCMA"])
async def test_audio_is_forwarded_without_decoding(lab, mime):
    before = decoder_counts()
    room = Room("r2")
    await lab.publish(room, "alice", (lab.ToneTrack(), mime))
    viewer = await lab.view(room, "bob")
    await viewer.wait_frames(60)

    pcm = np.concatenate(viewer.audio[-50:])[:, 0].astype(np.float64)
    rate = 48000 if mime == "audio/opus" else 8000
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
    peak = np.fft.rfftfreq(len(pcm), 1 / rate)[spectrum.argmax()]
    assert abs(peak - lab.ToneTrack.FREQ) < 5, peak
    (track,) = room.stats().tracks.values()
    assert track.subscribers["bob"].frames_out >= 50
    assert track.plis_sent == 0
    assert decoder_counts().in_passthrough == 0
    assert decoder_counts().created - before.created == 1
    await room.close()


async def test_room_bookkeeping(lab):
    announced = []
    room = Room("r3", on_track=announced.append)
    await lab.publish(
        room, "alice", (lab.CounterTrack(), "video/VP8"), (lab.ToneTrack(), "audio/opus")
    )
    viewer = await lab.view(room, "bob")
    assert {s.relay.kind for s in viewer.subscriptions} == {"audio", "video"}
    assert sorted(f.kind for f in announced) == ["audio", "video"]
    # A second call adds nothing new; its own tracks are never sent back to a publisher.
    assert await room.add_subscriber("bob", lab.pc()) == []
    assert {t.publisher_id for t in room.tracks()} == {"alice"}
    with pytest.raises(TrackNotFound):
        room.forwarder("nobody/x")
    with pytest.raises(BadInput):
        room.add_publisher("a/b", lab.pc())
    await viewer.wait_frames(30)

    room.remove_subscriber("bob")
    await asyncio.sleep(0.2)
    assert all(s.relay.readyState == "ended" for s in viewer.subscriptions)
    await room.remove_participant("alice")
    assert room.tracks() == []


async def test_closed_connections_leave_the_room(lab):
    room = Room("r4")
    await lab.publish(room, "alice", (lab.CounterTrack(), "video/VP8"))
    viewer = await lab.view(room, "bob")
    await viewer.wait_frames(10)
    (subscription,) = viewer.subscriptions
    forwarder = room.forwarder(subscription.track_key)

    await viewer.pc.close()  # bob's browser goes away: his SFU-side connection fails
    sfu_side = room._subscriber_pcs["bob"]
    await sfu_side.close()
    await asyncio.sleep(0.1)
    assert room.subscriptions("bob") == []
    assert "bob" not in forwarder._relays

    publisher_side = room._publishers["alice"]
    await publisher_side.close()
    for _ in range(20):
        if not room.tracks():
            break
        await asyncio.sleep(0.05)
    assert room.tracks() == []
    assert forwarder.source.readyState == "ended"
