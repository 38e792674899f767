"""P.56 active speech level, normalisation and trimming, on signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from motmedia.media.level import (
    THRESHOLDS,
    active_speech_level,
    normalize,
    peak_dbfs,
    trim_silence,
)

FS = 8000


def sine(amplitude: float, seconds: float, fs: int = FS, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * fs)) / fs
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def reference_p56(x: np.ndarray, fs: int) -> float:
    """A sample-by-sample transcription of the G.191 STL loop, to check the vectorised one."""
    g = math.exp(-1 / (fs * 0.03))
    hang = math.ceil(0.2 * fs)
    counts = np.zeros(len(THRESHOLDS))
    hold = np.full(len(THRESHOLDS), hang)
    p = q = 0.0
    sq = 0.0
    for v in x.astype(np.float64):
        sq += v * v
        p = g * p + (1 - g) * abs(v)
        q = g * q + (1 - g) * p
        for j, c in enumerate(THRESHOLDS):
            if q >= c:
                counts[j] += 1
                hold[j] = 0
            elif hold[j] < hang:
                counts[j] += 1
                hold[j] += 1
    a = np.array([10 * math.log10(sq / n) if n else math.inf for n in counts])
    delta = a - 20 * np.log10(THRESHOLDS)
    for j in range(1, len(a)):
        if delta[j] <= 15.9:
            t = (delta[j - 1] - 15.9) / (delta[j - 1] - delta[j])
            return float(a[j - 1] + t * (a[j] - a[j - 1]))
    raise AssertionError("no crossing")


def test_full_scale_sine_is_minus_3_dbov() -> None:
    level = active_speech_level(sine(1.0, 2.0), FS)
    assert level.level_dbov == pytest.approx(-3.01, abs=0.1)
    assert level.activity > 0.98


@pytest.mark.parametrize("db", [-10.0, -26.0, -40.0])
def test_continuous_tone_level_follows_amplitude(db: float) -> None:
    amplitude = 10 ** (db / 20)
    level = active_speech_level(sine(amplitude, 2.0), FS)
    assert level.level_dbov == pytest.approx(db - 3.01, abs=0.1)


def test_pauses_do_not_lower_the_active_level() -> None:
    burst = sine(0.1, 1.0)
    pause = np.zeros(2 * FS, np.float32)
    gated = np.concatenate([burst, pause, burst, pause])
    level = active_speech_level(gated, FS)
    # Long-term level drops by 10·log10(6/2) ≈ 4.8 dB, the active level only by the silence
    # that the 0.2 s hangover and the envelope's decay count as speech (about 1 dB here).
    assert level.long_term_dbov == pytest.approx(-23.01 - 4.77, abs=0.1)
    assert -23.01 - 1.5 < level.level_dbov < -23.01
    assert 0.3 < level.activity < 0.45


def test_matches_the_sample_by_sample_reference() -> None:
    rng = np.random.default_rng(7)
    envelope = np.repeat(rng.uniform(0, 1, 40) > 0.4, FS // 10) * rng.uniform(0.02, 0.3)
    x = (rng.standard_normal(len(envelope)) * envelope).astype(np.float32)
    assert active_speech_level(x, FS).level_dbov == pytest.approx(reference_p56(x, FS), abs=1e-6)


def test_silence_and_empty() -> None:
    assert active_speech_level(np.zeros(FS, np.float32), FS).level_dbov == -100.0
    assert active_speech_level(np.zeros(0, np.float32), FS).activity == 0.0
    assert peak_dbfs(np.zeros(10)) == -100.0


def test_normalize_reaches_the_target() -> None:
    out, info = normalize(sine(0.01, 2.0), FS, target_dbov=-26.0)
    assert active_speech_level(out, FS).level_dbov == pytest.approx(-26.0, abs=0.05)
    assert info.level_dbov == pytest.approx(-26.0, abs=0.05)
    assert not info.limited
    assert out.dtype == np.float32


def test_normalize_never_pushes_the_peak_past_the_limit() -> None:
    # A quiet tone with one loud click: reaching −10 dBov would need +30 dB and clip hard.
    x = sine(0.01, 1.0)
    x[FS // 2] = 0.9
    out, info = normalize(x, FS, target_dbov=-10.0, peak_limit_dbfs=-1.0)
    assert info.limited
    assert peak_dbfs(out) == pytest.approx(-1.0, abs=1e-4)
    assert info.level_dbov < -10.0


def test_a_hot_peak_without_measurable_speech_is_still_limited() -> None:
    x = np.zeros(2 * FS, np.float32)
    x[FS] = 0.99
    out, info = normalize(x, FS)
    assert info.limited
    assert peak_dbfs(out) <= -1.0 + 1e-4


def test_normalize_leaves_silence_alone() -> None:
    out, info = normalize(np.zeros(FS, np.float32), FS)
    assert not out.any()
    assert info.gain_db == 0.0


def test_trim_sets_edge_silence_exactly() -> None:
    tone = sine(0.3, 0.5)
    x = np.concatenate([np.zeros(FS, np.float32), tone, np.zeros(3 * FS, np.float32)])
    out = trim_silence(x, FS, keep_ms=150)
    keep = round(0.15 * FS)
    assert len(out) == len(tone) + 2 * keep
    assert not out[:keep].any() and not out[-keep:].any()
    assert np.abs(out[keep : keep + 10]).max() > 0


def test_trim_pads_when_there_is_too_little_silence() -> None:
    tone = sine(0.3, 0.5)
    out = trim_silence(tone, FS, keep_ms=150)
    assert len(out) == len(tone) + 2 * round(0.15 * FS)


def test_trim_of_silence_is_just_the_padding() -> None:
    assert len(trim_silence(np.zeros(FS, np.float32), FS, keep_ms=100)) == 2 * 800
