"""Keyframe detection on frames as aiortc's depayloaders reassemble them."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest
from aiortc.codecs.h264 import H264Encoder, h264_depayload
from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload

from motmedia.conference.keyframes import h264_nal_types, is_keyframe


def encode(codec_name: str, count: int, force_key_at: int) -> list[tuple[bytes, bool]]:
    """(frame bytes, encoder's keyframe flag) for ``count`` noisy 320x240 frames."""
    ctx = av.CodecContext.create(codec_name, "w")
    ctx.width, ctx.height, ctx.pix_fmt = 320, 240, "yuv420p"
    ctx.time_base = fractions.Fraction(1, 30)
    ctx.gop_size = 1000
    ctx.bit_rate = 2_000_000
    if codec_name == "libx264":
        ctx.options = {"tune": "zerolatency", "preset": "ultrafast"}
    else:
        ctx.options = {"deadline": "realtime", "lag-in-frames": "0"}
    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    out = []
    for i in range(count):
        img = np.roll(base, i * 3, axis=1)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        if i == force_key_at:
            frame.pict_type = av.video.frame.PictureType.I
        for packet in ctx.encode(frame):
            out.append((bytes(packet), packet.is_keyframe))
    for packet in ctx.encode(None):
        out.append((bytes(packet), packet.is_keyframe))
    return out


def reassembled(payloads: list[bytes], depayload) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(depayload(p) for p in payloads)


def h264_payloads(data: bytes) -> list[bytes]:
    packet = av.Packet(data)
    packet.pts, packet.time_base = 0, fractions.Fraction(1, 90000)
    payloads, _ = H264Encoder().pack(packet)
    return payloads


def test_vp8_keyframes_survive_packetisation():
    frames = encode("libvpx", 8, force_key_at=5)
    flags = []
    for data, encoder_says_key in frames:
        payloads = Vp8Encoder._packetize(data, picture_id=1)
        frame = reassembled(payloads, vp8_depayload)
        assert frame == data
        flags.append(is_keyframe("VP8", frame))
        assert flags[-1] == encoder_says_key
    assert flags[0] and flags[5] and sum(flags) == 2
    # A keyframe whose first packet was lost does not count.
    first, _ = frames[0]
    assert len(Vp8Encoder._packetize(first, picture_id=1)) > 1
    assert not is_keyframe("VP8", first[1300:])


def test_h264_idr_detected_through_stap_a_and_fu_a():
    frames = encode("libx264", 8, force_key_at=5)
    flags = []
    for data, encoder_says_key in frames:
        payloads = h264_payloads(data)
        nal_types_on_wire = {p[0] & 0x1F for p in payloads}
        frame = reassembled(payloads, h264_depayload)
        flags.append(is_keyframe("H264", frame))
        assert flags[-1] == encoder_says_key
        if encoder_says_key:
            # SPS and PPS travel aggregated (STAP-A), the IDR slice fragmented (FU-A).
            assert {24, 28} <= nal_types_on_wire
            assert {7, 8, 5} <= set(h264_nal_types(frame))
    assert flags[0] and flags[5] and sum(flags) == 2
    # A keyframe whose first packet (the SPS/PPS STAP-A) was lost does not count.
    assert not is_keyframe("H264", reassembled(h264_payloads(frames[0][0])[1:], h264_depayload))


@pytest.mark.parametrize("codec", ["opus", "PCMU", "PCMA", "G722"])
def test_audio_frames_are_all_independent(codec):
    assert is_keyframe(codec, b"\x01\x02")
