"""Test helpers for the TTS tests: a PyAV decoder and an engine that counts its calls."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from motmedia.media.encode import Format
from motmedia.tts.openjtalk import OpenJTalkEngine


@dataclass
class Decoded:
    samples: np.ndarray  # float32, mono, full scale ±1
    sample_rate: int
    channels: int
    codec_id: int
    codec_name: str


def decode(data: bytes, fmt: Format) -> Decoded:
    """Decode with PyAV; raw formats need the demuxer and rate named, as a PBX would."""
    kwargs: dict[str, object] = {}
    if fmt.container in ("mulaw", "alaw", "s16le"):
        kwargs = {
            "format": fmt.container,
            "options": {"sample_rate": str(fmt.sample_rate), "ch_layout": "mono"},
        }
    with av.open(io.BytesIO(data), **kwargs) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray() for f in container.decode(stream)]
        raw = np.concatenate(frames, axis=1)
        samples = raw[0] if raw.shape[0] == 1 else raw.mean(axis=0)
        if samples.dtype == np.int16:
            samples = samples.astype(np.float32) / 32768.0
        return Decoded(
            samples.astype(np.float32),
            stream.rate,
            stream.channels,
            stream.codec_context.codec.id,
            stream.codec_context.codec.name,
        )


class CountingEngine:
    """The real Open JTalk engine, counting synthesis calls (to prove a cache hit skips it)."""

    def __init__(self, inner: OpenJTalkEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.calls = 0

    def voices(self):
        return self.inner.voices()

    def synthesize(self, text, *, voice, speed=1.0, pitch=0.0):
        self.calls += 1
        return self.inner.synthesize(text, voice=voice, speed=speed, pitch=pitch)
