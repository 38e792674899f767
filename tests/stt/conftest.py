"""Speech fixtures: real synthesised speech and the real bundled model, built once a session.

The synthesisers and audio helpers live in :mod:`tests.speech` (a plain module, shared with
other test folders); this conftest exposes them as session fixtures. Speech is brought to
telephone formats (8 kHz G.711) through :func:`motmedia.media.decode`, so the fixtures
exercise the same decoder as production.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from motmedia.media.decode import write_wav
from motmedia.stt.models import SpeechModel, load_model

from ..speech import RATE, Audio, Voices, make_voices, resample, silence

__all__ = ["RATE", "Audio", "Voices", "resample", "silence"]


@pytest.fixture(scope="session")
def voices() -> Voices:
    return make_voices()


@pytest.fixture(scope="session")
def stt_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir per session, so the bundled model is assembled once."""
    return tmp_path_factory.mktemp("stt-data")


@pytest.fixture(scope="session")
def speech_model(stt_data_dir: Path) -> SpeechModel:
    # CPU and int8 whatever the machine: results and thresholds stay comparable.
    return load_model(data_dir=stt_data_dir, device="cpu", compute_type="int8")


@pytest.fixture(scope="session")
def telephone() -> Callable[[Path, Audio, str], Path]:
    """Write 16 kHz audio ([channels, n] or 1-D) as an 8 kHz G.711 WAV (``codec``)."""

    def write(path: Path, samples: Audio, codec: str) -> Path:
        write_wav(path, resample(samples, RATE, 8_000), 8_000, codec=codec)
        return path

    return write
