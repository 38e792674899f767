"""A pre-encoded 720p test video, made once with PyAV and cached.

The frames carry their number as 16 big black/white blocks (like the tests' counter) so
the sampled decoding viewer can check it sees real, ordered pictures. Moving texture keeps
the bitrate near a real camera's (about 2 Mbit/s at 30 fps); a keyframe every 2 s bounds
how long a new viewer waits, since a pre-encoded publisher cannot honour a PLI.
"""

from __future__ import annotations

import fractions
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from benchmarks.common import RESULTS

__all__ = ["FPS", "HEIGHT", "WIDTH", "EncodedVideo", "load_video", "read_counter"]

WIDTH, HEIGHT, FPS = 1280, 720, 30
BITS, BLOCK = 16, 48
CACHE = RESULTS / "tmp"


@dataclass(frozen=True)
class EncodedVideo:
    codec: str  # "VP8" or "H264"
    frames: list[tuple[bytes, bool]]  # (frame, is keyframe)

    @property
    def bitrate(self) -> float:
        return sum(len(f) for f, _ in self.frames) * 8 * FPS / len(self.frames)


def _picture(n: int, texture: np.ndarray) -> np.ndarray:
    img = np.roll(texture, n * 6, axis=1).copy()
    for bit in range(BITS):
        x = 16 + bit * (BLOCK + 8)
        img[16 : 16 + BLOCK, x : x + BLOCK] = 235 if n >> bit & 1 else 16
    return img


def read_counter(frame: av.VideoFrame) -> int:
    img = frame.to_ndarray(format="gray")
    n = 0
    for bit in range(BITS):
        x = 16 + bit * (BLOCK + 8)
        if img[28 : 16 + BLOCK - 12, x + 12 : x + BLOCK - 12].mean() > 128:
            n |= 1 << bit
    return n


def _encode(codec: str, seconds: int) -> list[tuple[bytes, bool]]:
    if codec == "H264":
        ctx = av.CodecContext.create("libx264", "w")
        ctx.options = {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline"}
    else:
        ctx = av.CodecContext.create("libvpx", "w")
        ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    ctx.width, ctx.height, ctx.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    ctx.time_base = fractions.Fraction(1, FPS)
    ctx.framerate = fractions.Fraction(FPS, 1)
    ctx.bit_rate = 2_000_000
    ctx.gop_size = 2 * FPS
    rng = np.random.default_rng(7)
    # Smooth random texture: noise would cost far more than a camera picture.
    small = rng.integers(40, 200, (HEIGHT // 4, WIDTH // 4), dtype=np.uint8)
    texture = np.kron(small, np.ones((4, 4), np.uint8))
    frames: list[tuple[bytes, bool]] = []
    for n in range(seconds * FPS):
        gray = _picture(n, texture)
        frame = av.VideoFrame.from_ndarray(gray, format="gray").reformat(format="yuv420p")
        frame.pts = n
        frames += [(bytes(p), p.is_keyframe) for p in ctx.encode(frame)]
    frames += [(bytes(p), p.is_keyframe) for p in ctx.encode(None)]
    return frames


def load_video(codec: str, seconds: int = 10) -> EncodedVideo:
    """The cached test video, encoded on first use (``results/tmp`` is git-ignored)."""
    path: Path = CACHE / f"sfu-{codec.lower()}-{WIDTH}x{HEIGHT}-{seconds}s.bin"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for data, key in _encode(codec, seconds):
                out.write(struct.pack("!I?", len(data), key) + data)
    frames = []
    blob = path.read_bytes()
    pos = 0
    while pos < len(blob):
        size, key = struct.unpack_from("!I?", blob, pos)
        pos += 5
        frames.append((blob[pos : pos + size], key))
        pos += size
    return EncodedVideo(codec, frames)
