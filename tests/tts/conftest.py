"""Fixtures for the TTS tests: engines loaded once per session, a PyAV decoder."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from motmedia.media.encode import Format
from motmedia.tts.openjtalk import OpenJTalkEngine
from motmedia.tts.render import Renderer
from motmedia.tts.voices import VoiceRegistry


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


@pytest.fixture(scope="session")
def openjtalk() -> OpenJTalkEngine:
    return OpenJTalkEngine()


@pytest.fixture(scope="session")
def registry(openjtalk: OpenJTalkEngine) -> VoiceRegistry:
    """One registry for the session, so Piper's model loads once."""
    return VoiceRegistry(factories={"openjtalk": lambda: openjtalk})


@pytest.fixture
def renderer(tmp_path: Path, registry: VoiceRegistry) -> Iterator[Renderer]:
    with Renderer(cache_dir=tmp_path / "tts-cache", registry=registry, workers=2) as r:
        yield r


@pytest.fixture
def counting(
    tmp_path: Path, openjtalk: OpenJTalkEngine
) -> Iterator[tuple[Renderer, CountingEngine]]:
    engine = CountingEngine(openjtalk)
    registry = VoiceRegistry(factories={"openjtalk": lambda: engine})
    with Renderer(cache_dir=tmp_path / "tts-cache", registry=registry, workers=2) as r:
        yield r, engine
