"""Open JTalk through the engine: same audio as pyopenjtalk, options work, threads agree."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyopenjtalk
import pytest

from motmedia.errors import MotMediaError
from motmedia.tts.base import Engine
from motmedia.tts.openjtalk import MEI_VOICE_ID, OpenJTalkEngine

pytestmark = pytest.mark.slow

TEXTS = [
    "お電話ありがとうございます。",
    "ただいま電話が大変混み合っております。",
    "このまましばらくお待ちください。",
    "受付時間は平日9時から17時30分までです。",
    "通話内容は品質向上のため録音させていただきます。",
    "恐れ入りますが、おかけ直しください。",
]


def median_f0(audio: np.ndarray, rate: int) -> float:
    """Median pitch of the loud 40 ms frames by autocorrelation (80–1000 Hz).

    Takes the shortest lag whose correlation is near the maximum, so a frame does not report
    half its pitch (the period's multiples correlate almost as well as the period).
    """
    frame = int(0.04 * rate)
    lo, hi = rate // 1000, rate // 80
    loud = np.sqrt(np.mean(audio**2)) * 0.5
    f0s = []
    for start in range(0, len(audio) - frame, frame // 2):
        x = audio[start : start + frame].astype(np.float64)
        if np.sqrt(np.mean(x**2)) < loud:
            continue
        x = x - x.mean()
        ac = np.correlate(x, x, "full")[frame - 1 :]
        seg = ac[lo:hi]
        if seg.max() < 0.5 * ac[0]:
            continue
        lag = lo + int(np.flatnonzero(seg >= 0.9 * seg.max())[0])
        while lag + 1 < hi and ac[lag + 1] > ac[lag]:
            lag += 1
        f0s.append(rate / lag)
    return float(np.median(f0s))


def test_is_an_engine(openjtalk: OpenJTalkEngine) -> None:
    assert isinstance(openjtalk, Engine)
    assert [v.id for v in openjtalk.voices()] == [MEI_VOICE_ID]
    assert "pyopenjtalk-plus" in openjtalk.version


def test_same_audio_as_pyopenjtalk(openjtalk: OpenJTalkEngine) -> None:
    audio, rate = openjtalk.synthesize(TEXTS[0], voice=MEI_VOICE_ID)
    reference, ref_rate = pyopenjtalk.tts(TEXTS[0])
    assert rate == ref_rate == 48000
    assert audio.dtype == np.float32
    np.testing.assert_array_equal(audio, (reference / 32768.0).astype(np.float32))
    # Not bounded by 1: HTS overshoots 16-bit full scale here, which is why the renderer
    # levels in float before encoding instead of trusting the engine's scale.
    assert np.abs(audio).max() > 0.1


def test_speed_changes_duration(openjtalk: OpenJTalkEngine) -> None:
    normal, _ = openjtalk.synthesize(TEXTS[1], voice=MEI_VOICE_ID)
    fast, _ = openjtalk.synthesize(TEXTS[1], voice=MEI_VOICE_ID, speed=2.0)
    slow, _ = openjtalk.synthesize(TEXTS[1], voice=MEI_VOICE_ID, speed=0.5)
    assert len(fast) / len(normal) == pytest.approx(0.5, abs=0.08)
    assert len(slow) / len(normal) == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize("semitones", [12.0, -12.0, 6.0])
def test_pitch_is_in_semitones(openjtalk: OpenJTalkEngine, semitones: float) -> None:
    base, rate = openjtalk.synthesize(TEXTS[2], voice=MEI_VOICE_ID)
    shifted, _ = openjtalk.synthesize(TEXTS[2], voice=MEI_VOICE_ID, pitch=semitones)
    ratio = median_f0(shifted, rate) / median_f0(base, rate)
    assert ratio == pytest.approx(2 ** (semitones / 12), rel=0.1)


def test_options_do_not_leak_into_the_next_call(openjtalk: OpenJTalkEngine) -> None:
    first, _ = openjtalk.synthesize(TEXTS[0], voice=MEI_VOICE_ID)
    openjtalk.synthesize(TEXTS[0], voice=MEI_VOICE_ID, speed=1.7, pitch=-5)
    again, _ = openjtalk.synthesize(TEXTS[0], voice=MEI_VOICE_ID)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("text", ["", "   ", "。、", "！？"])
def test_nothing_to_say_is_empty_audio(openjtalk: OpenJTalkEngine, text: str) -> None:
    audio, rate = openjtalk.synthesize(text, voice=MEI_VOICE_ID)
    assert audio.shape == (0,) and rate == 48000


def test_unknown_voice(openjtalk: OpenJTalkEngine) -> None:
    with pytest.raises(MotMediaError) as err:
        openjtalk.synthesize("はい", voice="ja_JP-takumi")
    assert err.value.code == "UNKNOWN_VOICE"


def test_parallel_threads_give_the_same_audio_as_sequential(openjtalk: OpenJTalkEngine) -> None:
    sequential = [openjtalk.synthesize(t, voice=MEI_VOICE_ID)[0] for t in TEXTS]
    workers: set[int] = set()

    def run(text: str) -> np.ndarray:
        workers.add(id(openjtalk._worker()))
        return openjtalk.synthesize(text, voice=MEI_VOICE_ID)[0]

    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(run, TEXTS * 2))
    for i, audio in enumerate(parallel):
        np.testing.assert_array_equal(audio, sequential[i % len(TEXTS)])
    # Each thread had its own front end and HTS engine (no shared, locked instance).
    assert len(workers) >= 2


def test_threads_really_overlap_inside_synthesis(openjtalk: OpenJTalkEngine) -> None:
    # Not a timing assertion: two threads meet at a barrier *between* two syntheses each, which
    # only works if neither holds a lock the other needs. Then both synthesise concurrently.
    barrier = threading.Barrier(2, timeout=60)
    results: list[np.ndarray] = []

    def run() -> None:
        openjtalk.synthesize(TEXTS[3], voice=MEI_VOICE_ID)
        barrier.wait()
        results.append(openjtalk.synthesize(TEXTS[3], voice=MEI_VOICE_ID)[0])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2
    np.testing.assert_array_equal(results[0], results[1])
