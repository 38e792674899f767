"""Keyframe detection on reassembled, still-encoded frames.

The SFU never decodes, yet it must know which frames a decoder can start from: a new
subscriber (or one that fell behind) is held until such a frame arrives. The frames seen
here are what aiortc's depayloaders produce, concatenated by its jitter buffer:

* VP8: the payload descriptor is already stripped (``vp8_depayload``), so the frame starts
  with the 3-byte frame tag of RFC 6386 §9.1.
* H.264: every NAL unit is in Annex B form behind a ``00 00 00 01`` start code; STAP-A
  packets are split into their NAL units and FU-A fragments are glued back together with
  the original NAL header restored (``H264PayloadDescriptor.parse``).
* Audio codecs have no inter-frame prediction the SFU cares about: every frame counts.
"""

from __future__ import annotations

__all__ = [
    "H264_IDR",
    "H264_PPS",
    "H264_SPS",
    "h264_is_keyframe",
    "h264_nal_types",
    "is_keyframe",
    "vp8_is_keyframe",
]

H264_IDR = 5
H264_SPS = 7
H264_PPS = 8
_VP8_START_CODE = b"\x9d\x01\x2a"
_ANNEX_B = b"\x00\x00\x01"


def vp8_is_keyframe(frame: bytes) -> bool:
    """Whether a VP8 frame is a key frame (RFC 6386 §9.1).

    The start code is checked as well as the frame-type bit because a frame whose
    first packet was lost would otherwise pass on the parity of a random byte.
    """
    return len(frame) >= 10 and not frame[0] & 0x01 and frame[3:6] == _VP8_START_CODE


def h264_nal_types(frame: bytes) -> list[int]:
    """The ``nal_unit_type`` of each NAL unit in an Annex B byte stream, in order."""
    types: list[int] = []
    pos = frame.find(_ANNEX_B)
    while pos != -1:
        header = pos + len(_ANNEX_B)
        if header >= len(frame):
            break
        types.append(frame[header] & 0x1F)
        # Emulation prevention (H.264 §7.4.1) guarantees no start code inside a NAL.
        pos = frame.find(_ANNEX_B, header)
    return types


def h264_is_keyframe(frame: bytes) -> bool:
    """Whether a fresh decoder can start from an H.264 access unit.

    That needs an IDR slice *and* the parameter sets: WebRTC senders (libwebrtc,
    OpenH264, aiortc's libx264) put SPS and PPS in front of every IDR, usually in one
    STAP-A packet. An IDR whose STAP-A was lost must not release a waiting subscriber.
    """
    return {H264_SPS, H264_PPS, H264_IDR} <= set(h264_nal_types(frame))


def is_keyframe(codec_name: str, frame: bytes) -> bool:
    """Whether a decoder can start from ``frame``; ``codec_name`` as in SDP (``VP8``)."""
    name = codec_name.upper()
    if name == "VP8":
        return vp8_is_keyframe(frame)
    if name == "H264":
        return h264_is_keyframe(frame)
    return True
