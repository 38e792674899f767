"""Fixtures for the TTS tests: engines loaded once per session, renderers on a temp cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from motmedia.tts.openjtalk import OpenJTalkEngine
from motmedia.tts.render import Renderer
from motmedia.tts.voices import VoiceRegistry

from .helpers import CountingEngine


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
