"""Active speech level (ITU-T P.56, method B), normalisation to a target and silence trimming.

Levels are in dBov: 0 dBov is the power of a full-scale square wave, so for float samples in
[-1, 1] a level is ``10·log10(mean(x²))`` over the samples that count. A full-scale sine is
−3.01 dBov. Telephony prompts are usually normalised to an active speech level of −26 dBov.

P.56 method B, as in the ITU-T G.191 STL ``sv56`` tool:

* the rectified signal is smoothed twice by a first-order filter with a 0.03 s time constant,
  giving an envelope ``q``;
* for each of a ladder of thresholds ``c_j`` (2⁻¹⁵ … 2⁰, one per 6 dB), a sample is *active*
  when ``q ≥ c_j`` or it lies within the 0.2 s hangover after such a sample;
* ``A_j = 10·log10(Σx² / active_j)`` is the level the signal would have if only those samples
  counted; the active speech level is the ``A`` at which ``A − 20·log10(c)`` equals the 15.9 dB
  margin, interpolated between the two thresholds that straddle it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_PEAK_LIMIT_DBFS",
    "DEFAULT_TARGET_DBOV",
    "Normalization",
    "SpeechLevel",
    "active_speech_level",
    "normalize",
    "peak_dbfs",
    "trim_silence",
]

FloatArray = npt.NDArray[np.float32]

DEFAULT_TARGET_DBOV = -26.0
DEFAULT_PEAK_LIMIT_DBFS = -1.0

TIME_CONSTANT_S = 0.03
HANGOVER_S = 0.2
MARGIN_DB = 15.9
# One threshold per 6 dB from the 16-bit LSB to full scale.
THRESHOLDS = np.array([2.0**j for j in range(-15, 1)])
SILENT_DBOV = -100.0


@dataclass(frozen=True)
class SpeechLevel:
    """The result of a P.56 measurement."""

    level_dbov: float
    """Active speech level; ``SILENT_DBOV`` (−100) when nothing is active."""
    activity: float
    """Fraction of samples counted as active speech, 0…1."""
    long_term_dbov: float
    """Level over all samples, active or not."""


@dataclass(frozen=True)
class Normalization:
    """What :func:`normalize` did."""

    gain_db: float
    level_dbov: float
    """Active speech level after the gain."""
    peak_dbfs: float
    limited: bool
    """True when the gain was reduced to keep the peak under the limit."""


def _envelope(x: npt.NDArray[np.float64], sample_rate: int) -> npt.NDArray[np.float64]:
    """Two passes of ``y[n] = g·y[n−1] + (1−g)·x[n]`` over ``|x|``, vectorised by blocks.

    Inside a block the recursion has the closed form ``y[n] = g^n·(y₀ + (1−g)·Σ x[k]·g^−k)``;
    blocks stay short enough (eight time constants) that ``g^−k`` cannot lose precision.
    """
    g = math.exp(-1.0 / (sample_rate * TIME_CONSTANT_S))
    block = max(1, int(sample_rate * TIME_CONSTANT_S * 8))
    powers = g ** np.arange(1, block + 1, dtype=np.float64)
    out = np.abs(x)
    for _ in range(2):
        src, out = out, np.empty_like(out)
        state = 0.0
        for start in range(0, len(src), block):
            seg = src[start : start + block]
            p = powers[: len(seg)]
            out[start : start + len(seg)] = p * (state + (1.0 - g) * np.cumsum(seg / p))
            state = float(out[start + len(seg) - 1])
    return out


def active_speech_level(samples: npt.ArrayLike, sample_rate: int) -> SpeechLevel:
    """Measure the active speech level of mono float samples (full scale ±1) per P.56 B."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    n = len(x)
    if n == 0:
        return SpeechLevel(SILENT_DBOV, 0.0, SILENT_DBOV)
    sum_sq = float(np.dot(x, x))
    if sum_sq <= 0.0:
        return SpeechLevel(SILENT_DBOV, 0.0, SILENT_DBOV)
    long_term = 10.0 * math.log10(sum_sq / n)
    q = _envelope(x, sample_rate)
    hangover = math.ceil(HANGOVER_S * sample_rate)
    index = np.arange(n)
    counts = np.zeros(len(THRESHOLDS))
    for j, c in enumerate(THRESHOLDS):
        above = q >= c
        if not above.any():
            break
        # A sample counts when some sample within the hangover before it was above threshold.
        last_above = np.maximum.accumulate(np.where(above, index, -hangover - 1))
        counts[j] = np.count_nonzero(index - last_above <= hangover)
    with np.errstate(divide="ignore"):
        a_db = np.where(counts > 0, 10.0 * np.log10(sum_sq / np.maximum(counts, 1)), np.inf)
    c_db = 20.0 * np.log10(THRESHOLDS)
    delta = a_db - c_db
    if delta[0] <= MARGIN_DB:
        # Even the lowest threshold sits within the margin: the signal is all "speech".
        return SpeechLevel(float(a_db[0]), float(counts[0] / n), long_term)
    for j in range(1, len(THRESHOLDS)):
        if delta[j] <= MARGIN_DB:
            # A and C are both linear in log-threshold between the two points, so is A − C.
            t = (delta[j - 1] - MARGIN_DB) / (delta[j - 1] - delta[j])
            level = float(a_db[j - 1] + t * (a_db[j] - a_db[j - 1]))
            active = counts[j - 1] + t * (counts[j] - counts[j - 1])
            return SpeechLevel(level, float(active / n), long_term)
    return SpeechLevel(SILENT_DBOV, 0.0, long_term)


def peak_dbfs(samples: npt.ArrayLike) -> float:
    """Highest absolute sample in dBFS; −100 for silence."""
    x = np.asarray(samples, dtype=np.float64)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0.0 else SILENT_DBOV


def normalize(
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    target_dbov: float = DEFAULT_TARGET_DBOV,
    peak_limit_dbfs: float = DEFAULT_PEAK_LIMIT_DBFS,
) -> tuple[FloatArray, Normalization]:
    """Scale to ``target_dbov`` active speech level without any sample above the peak limit.

    A plain gain, never a limiter: when reaching the target would push the peak past the
    limit, the gain is reduced instead (``limited`` is then true and the level falls short of
    the target). Telephone codecs turn a limiter's flattened peaks into audible distortion,
    while a prompt a few dB quiet is harmless.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    measured = active_speech_level(x, sample_rate)
    peak = peak_dbfs(x)
    if measured.level_dbov <= SILENT_DBOV:
        # No speech to measure (silence, or clicks too short for the envelope): only make
        # sure the peak limit holds.
        gain_db = min(0.0, peak_limit_dbfs - peak) if peak > SILENT_DBOV else 0.0
        out = (x * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)
        return out, Normalization(gain_db, SILENT_DBOV, peak + gain_db, gain_db < 0.0)
    gain_db = target_dbov - measured.level_dbov
    limited = peak + gain_db > peak_limit_dbfs
    if limited:
        gain_db = peak_limit_dbfs - peak
    out = (x * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)
    return out, Normalization(gain_db, measured.level_dbov + gain_db, peak + gain_db, limited)


def trim_silence(
    samples: npt.ArrayLike,
    sample_rate: int,
    *,
    keep_ms: float = 150.0,
    threshold_db: float = -40.0,
) -> FloatArray:
    """Make leading and trailing silence exactly ``keep_ms`` long.

    Speech starts at the first 10 ms frame whose RMS is within ``threshold_db`` of the
    loudest frame; relative, so it works before normalisation. Silence shorter than
    ``keep_ms`` is padded with zeros, so every prompt starts and ends the same way — a PBX
    that chains prompts then gets even gaps.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    keep = round(keep_ms * sample_rate / 1000.0)
    frame = max(1, sample_rate // 100)
    usable = len(x) - len(x) % frame
    if usable == 0:
        return np.zeros(2 * keep, dtype=np.float32)
    rms = np.sqrt(np.mean(x[:usable].reshape(-1, frame).astype(np.float64) ** 2, axis=1))
    loudest = float(rms.max())
    if loudest <= 0.0:
        return np.zeros(2 * keep, dtype=np.float32)
    loud = np.flatnonzero(rms >= loudest * 10.0 ** (threshold_db / 20.0))
    start = int(loud[0]) * frame
    end = min(len(x), (int(loud[-1]) + 1) * frame)
    pad = np.zeros(keep, dtype=np.float32)
    return np.concatenate([pad, x[start:end], pad])
