"""The call pipeline on real synthesised speech through the real bundled model.

Error thresholds are for Whisper *base* (int8, CPU) on clean synthetic speech; measured
when written: Japanese CER 0–0.16 per sentence (numerals and homophones such as
三時/3時, 請求書/成球所 on A-law), English WER 0. The bounds below leave room for that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

from motmedia.errors import BadInput
from motmedia.media import decode
from motmedia.stt import SpeechModel, TranscribeOptions, Transcript, transcribe

pytestmark = pytest.mark.slow

JA_MAX_CER = 0.2
EN_MAX_WER = 0.15

JA_TEXT = "お電話ありがとうございます。営業部の田中でございます。"
EN_TEXT = "I would like to check the status of my order."


RATE = 16_000
Voices = Any  # tests/stt/conftest.py: .ja(text) / .en(text) → float32 mono at 16 kHz


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def normalise_ja(text: str) -> str:
    """Letters and digits only (NFKC), for CER: punctuation and spacing are not errors."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c)[0] in ("L", "N"))


def normalise_en(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def cer(reference: str, transcript: Transcript) -> float:
    hypothesis = "".join(s.text for s in transcript.segments)
    return float(jiwer.cer(normalise_ja(reference), normalise_ja(hypothesis)))


def wer(reference: str, transcript: Transcript) -> float:
    hypothesis = " ".join(s.text for s in transcript.segments)
    return float(jiwer.wer(normalise_en(reference), normalise_en(hypothesis)))


@pytest.fixture(scope="module")
def ja_clip(voices: Voices) -> np.ndarray:
    return np.concatenate([silence(0.5), voices.ja(JA_TEXT), silence(0.5)])


@pytest.fixture(scope="module")
def en_clip(voices: Voices) -> np.ndarray:
    return np.concatenate([silence(0.5), voices.en(EN_TEXT), silence(0.5)])


def test_japanese_16k_mono(ja_clip: np.ndarray, speech_model: SpeechModel) -> None:
    transcript = transcribe(ja_clip, speech_model)

    assert transcript.language == "ja"
    assert transcript.parties == ("speaker",)
    assert cer(JA_TEXT, transcript) <= JA_MAX_CER
    assert transcript.duration == pytest.approx(len(ja_clip) / RATE)


def test_english_16k_mono(en_clip: np.ndarray, speech_model: SpeechModel) -> None:
    transcript = transcribe(en_clip, speech_model)

    assert transcript.language == "en"
    assert wer(EN_TEXT, transcript) <= EN_MAX_WER


@pytest.mark.parametrize("codec", ["pcm_mulaw", "pcm_alaw"])
def test_japanese_from_8k_g711_wav(
    codec: str,
    ja_clip: np.ndarray,
    speech_model: SpeechModel,
    telephone: Callable[[Path, np.ndarray, str], Path],
    tmp_path: Path,
) -> None:
    path = telephone(tmp_path / "call.wav", ja_clip, codec)
    audio = decode(path)
    assert (audio.info.codec, audio.info.sample_rate) == (codec, 8_000)

    transcript = transcribe(audio, speech_model, TranscribeOptions(language="ja"))

    assert cer(JA_TEXT, transcript) <= JA_MAX_CER


@pytest.mark.parametrize("codec", ["pcm_mulaw", "pcm_alaw"])
def test_english_from_8k_g711_wav(
    codec: str,
    en_clip: np.ndarray,
    speech_model: SpeechModel,
    telephone: Callable[[Path, np.ndarray, str], Path],
    tmp_path: Path,
) -> None:
    audio = decode(telephone(tmp_path / "call.wav", en_clip, codec))

    transcript = transcribe(audio, speech_model)

    assert wer(EN_TEXT, transcript) <= EN_MAX_WER


# --- stereo calls: one party per channel, merged in time order ----------------------------

CALL = [  # (channel, text, silence before, on that channel's own timeline)
    (0, "すみません、請求書について質問があります。", 0.5),
    (1, "かしこまりました。お名前をお願いします。", 1.0),
    (0, "山田と申します。", 1.0),
]


@pytest.fixture(scope="module")
def stereo_call(voices: Voices) -> tuple[np.ndarray, list[tuple[str, float, float, str]]]:
    """A two-channel call, turns alternating; returns audio and (party, start, end, text)."""
    clips = [voices.ja(text) for _, text, _ in CALL]
    cursor, placed = 0.0, []
    for (channel, text, gap), clip in zip(CALL, clips, strict=True):
        start = cursor + gap
        placed.append((channel, start, clip, text))
        cursor = start + len(clip) / RATE
    length = int((cursor + 0.5) * RATE)
    audio = np.zeros((2, length), dtype=np.float32)
    for channel, start, clip, _ in placed:
        offset = int(start * RATE)
        audio[channel, offset : offset + len(clip)] = clip
    parties = ("caller", "agent")
    truth = [(parties[c], s, s + len(clip) / RATE, t) for c, s, clip, t in placed]
    return audio, truth


def turns(transcript: Transcript) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for segment in transcript.segments:
        if merged and merged[-1][0] == segment.party:
            merged[-1] = (segment.party, merged[-1][1] + segment.text)
        else:
            merged.append((segment.party, segment.text))
    return merged


def test_stereo_call_comes_back_as_a_labelled_dialogue(
    stereo_call: tuple[np.ndarray, list[tuple[str, float, float, str]]],
    speech_model: SpeechModel,
    telephone: Callable[[Path, np.ndarray, str], Path],
    tmp_path: Path,
) -> None:
    samples, truth = stereo_call
    audio = decode(telephone(tmp_path / "call.wav", samples, "pcm_mulaw"))

    transcript = transcribe(audio, speech_model)

    assert transcript.parties == ("caller", "agent")
    got = turns(transcript)
    assert [party for party, _ in got] == [party for party, *_ in truth]
    for (_, text), (_, _, _, reference) in zip(got, truth, strict=True):
        assert jiwer.cer(normalise_ja(reference), normalise_ja(text)) <= 0.3
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    for segment in transcript.segments:  # each turn lands inside its true time span
        spans = [(s, e) for p, s, e, _ in truth if p == segment.party]
        assert any(s - 0.5 <= segment.start and segment.end <= e + 0.5 for s, e in spans)


def test_parties_can_be_renamed(
    stereo_call: tuple[np.ndarray, list[tuple[str, float, float, str]]],
    speech_model: SpeechModel,
) -> None:
    samples, _ = stereo_call
    options = TranscribeOptions(language="ja", parties=("customer", "operator"))

    transcript = transcribe(samples, speech_model, options)

    assert transcript.parties == ("customer", "operator")
    assert transcript.segments[0].party == "customer"
    assert {s.party for s in transcript.segments} == {"customer", "operator"}


@pytest.mark.parametrize("copy", ["exact", "lossy"])
def test_one_source_in_both_channels_is_one_speaker(
    copy: str, ja_clip: np.ndarray, speech_model: SpeechModel
) -> None:
    other = ja_clip.copy()
    if copy == "lossy":  # what a lossy stereo codec does to a mono source: close, not equal
        rng = np.random.default_rng(5)
        other = (0.9 * other + rng.standard_normal(len(other)) * 3e-3).astype(np.float32)

    transcript = transcribe(np.stack([ja_clip, other]), speech_model)

    assert transcript.parties == ("speaker",)
    assert cer(JA_TEXT, transcript) <= JA_MAX_CER  # not every line twice


def test_silence_gives_no_segments(speech_model: SpeechModel) -> None:
    rng = np.random.default_rng(3)
    hiss = (rng.standard_normal((2, 20 * RATE)) * 10 ** (-60 / 20)).astype(np.float32)

    for audio in (np.zeros(20 * RATE, np.float32), hiss):
        transcript = transcribe(audio, speech_model)
        assert transcript.segments == ()
        assert transcript.language is None


def test_word_timestamps_are_ordered_and_inside_segments(
    ja_clip: np.ndarray, speech_model: SpeechModel
) -> None:
    transcript = transcribe(ja_clip, speech_model, TranscribeOptions(language="ja"))

    for segment in transcript.segments:
        assert segment.words
        assert segment.words[0].start == segment.start and segment.words[-1].end == segment.end
        ends = [w.end for w in segment.words]
        assert ends == sorted(ends) and all(w.start <= w.end for w in segment.words)
        assert "".join(w.text for w in segment.words).strip() == segment.text


def test_without_word_timestamps(en_clip: np.ndarray, speech_model: SpeechModel) -> None:
    options = TranscribeOptions(language="en", word_timestamps=False)

    transcript = transcribe(en_clip, speech_model, options)

    assert wer(EN_TEXT, transcript) <= EN_MAX_WER
    assert all(s.words == () for s in transcript.segments)


def test_hotwords_are_accepted(ja_clip: np.ndarray, speech_model: SpeechModel) -> None:
    options = TranscribeOptions(hotwords=("営業部", "田中"))

    transcript = transcribe(ja_clip, speech_model, options)

    assert cer(JA_TEXT, transcript) <= JA_MAX_CER


def test_progress_reports_audio_seconds(
    stereo_call: tuple[np.ndarray, list[tuple[str, float, float, str]]],
    speech_model: SpeechModel,
) -> None:
    samples, _ = stereo_call
    seen: list[tuple[float, float]] = []

    transcribe(
        samples,
        speech_model,
        TranscribeOptions(language="ja"),
        progress=lambda d, t: seen.append((d, t)),
    )

    total = samples.shape[1] / RATE * 2
    assert seen and seen[-1] == pytest.approx((total, total))
    done = [d for d, _ in seen]
    assert done == sorted(done)


def test_unknown_language_is_bad_input(ja_clip: np.ndarray, speech_model: SpeechModel) -> None:
    with pytest.raises(BadInput) as caught:
        transcribe(ja_clip, speech_model, TranscribeOptions(language="xx"))
    assert caught.value.code == "UNSUPPORTED_LANGUAGE"


def test_audio_at_the_wrong_rate_is_refused(
    ja_clip: np.ndarray,
    speech_model: SpeechModel,
    telephone: Callable[[Path, np.ndarray, str], Path],
    tmp_path: Path,
) -> None:
    audio = decode(telephone(tmp_path / "call.wav", ja_clip, "pcm_mulaw"), sample_rate=8_000)
    with pytest.raises(BadInput):
        transcribe(audio, speech_model)
