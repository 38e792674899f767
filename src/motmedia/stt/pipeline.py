"""The call pipeline: channels → VAD → batched Whisper → one dialogue with parties.

Reads top to bottom like faster-whisper's ``transcribe()`` but with one options object:

1. split the recording into channels (a stereo call has one party per channel; a
   "stereo" file whose channels are identical is treated as mono);
2. find speech per channel with Silero VAD, and stop there if there is none — Whisper
   invents text on silence, so an all-silent call returns zero segments;
3. pack each channel's speech into ≤30 s windows and decode them in batches with
   ``faster_whisper.BatchedInferencePipeline`` — all channels share the batches;
4. map times back to the recording, split decoded text at region boundaries (word
   timestamps), label each piece with its channel's party, and order by start time.

Inference is blocking and CPU/GPU bound; the HTTP layer runs :func:`transcribe` in a
thread. A model may serve several threads at once: the pipeline object, which holds state
between batches, is created per call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from motmedia.errors import BadInput
from motmedia.media.decode import DecodedAudio
from motmedia.stt.models import SpeechModel
from motmedia.stt.speech import SpeechPlan, VadSettings, Window, detect_speech, plan
from motmedia.stt.transcript import Segment, Transcript, Word

__all__ = ["SAMPLE_RATE", "Progress", "TranscribeOptions", "VadSettings", "transcribe"]

SAMPLE_RATE = 16_000
Progress = Callable[[float, float], None]  # (audio seconds done, audio seconds in all)
Float32Array = npt.NDArray[np.float32]
# Windows handed to the batched pipeline per call: bounds the mel features held at once
# (~1 MB per window) for hours-long recordings, and sets the progress granularity.
_WINDOWS_PER_CALL = 32
_SAME_SOURCE = 0.95  # channel similarity above which "stereo" is one source


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """Everything a caller may choose; the defaults suit phone calls."""

    language: str | None = None  # ISO 639-1 ("ja", "en"); None detects on the first speech
    # Party of channel 0, 1, ...; None: settings.stt_parties for stereo, "speaker" for mono.
    parties: tuple[str, ...] | None = None
    hotwords: tuple[str, ...] = ()  # tenant vocabulary: company, product and staff names
    word_timestamps: bool = True
    beam_size: int = 5
    batch_size: int = 8
    vad: VadSettings = field(default_factory=VadSettings)
    # Whisper's own silence test: a segment this likely to be non-speech *and* this
    # unlikely as text is dropped (VAD let noise through).
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    # A pause at least this long starts a new segment (needs word timestamps).
    turn_pause: float = 0.5


def transcribe(
    audio: DecodedAudio | Float32Array,
    model: SpeechModel,
    options: TranscribeOptions | None = None,
    *,
    default_parties: tuple[str, ...] = ("caller", "agent"),
    progress: Progress | None = None,
) -> Transcript:
    """Transcribe 16 kHz float32 audio (``[channels, samples]`` or 1-D) into a dialogue.

    ``default_parties`` is where the caller passes ``settings.stt_parties``.
    """
    options = options or TranscribeOptions()
    samples = _samples(audio)
    channels = _distinct_channels(samples)
    parties = _parties(options.parties, len(channels), default_parties)
    _check_options(options, model)
    duration = samples.shape[1] / SAMPLE_RATE
    total = duration * len(channels)
    regions = [detect_speech(channel, options.vad, sample_rate=SAMPLE_RATE) for channel in channels]
    speech = plan(channels, regions, sample_rate=SAMPLE_RATE)
    speech_seconds = {
        party: sum(r.end - r.start for r in found) / SAMPLE_RATE
        for party, found in zip(parties, speech.regions, strict=True)
    }
    segments: list[Segment] = []
    language, probability = options.language, 1.0 if options.language else 0.0
    done = 0.0
    for start in range(0, len(speech.windows), _WINDOWS_PER_CALL):
        windows = speech.windows[start : start + _WINDOWS_PER_CALL]
        decoded, info = _decode(model, speech, windows, options, language)
        if language is None:  # detected on the first group; forced on the rest
            language, probability = info.language, float(info.language_probability)
        for raw in decoded:
            window = _window_of(raw, windows, speech)
            segments.extend(_segments(raw, window, speech, parties[window.channel], options))
        done += sum(speech.window_seconds(w) for w in windows) / speech.speech_seconds * total
        if progress is not None:
            progress(min(done, total), total)
    if progress is not None and not speech.windows:
        progress(total, total)
    segments.sort(key=lambda s: (s.start, s.channel))
    return Transcript(
        segments=tuple(segments),
        language=language,
        language_probability=probability,
        duration=duration,
        parties=parties,
        model=model.name,
        speech_seconds=speech_seconds,
    )


def _samples(audio: DecodedAudio | Float32Array) -> Float32Array:
    if isinstance(audio, DecodedAudio):
        if audio.sample_rate != SAMPLE_RATE:
            raise BadInput(
                f"audio must be decoded at {SAMPLE_RATE} Hz, got {audio.sample_rate}",
                code="BAD_SAMPLE_RATE",
            )
        return audio.samples
    array = np.asarray(audio, dtype=np.float32)
    if array.ndim not in (1, 2):
        raise BadInput("audio must be 1-D or [channels, samples]", code="BAD_AUDIO_SHAPE")
    return np.atleast_2d(array)


def _distinct_channels(samples: Float32Array) -> list[Float32Array]:
    # Some recorders write the mixed call into every channel, and a mono source saved as
    # lossy stereo comes back nearly, not exactly, identical. Transcribing each copy would
    # print every turn twice, once per "party"; such channels are mixed down instead.
    if samples.shape[0] > 1 and all(
        _similarity(samples[0], other) >= _SAME_SOURCE for other in samples[1:]
    ):
        return [samples.mean(axis=0, dtype=np.float32)]
    return [samples[i] for i in range(samples.shape[0])]


def _similarity(a: Float32Array, b: Float32Array, block: int = 1 << 20) -> float:
    """Cosine similarity of two channels (audio is zero-mean, so this is correlation).

    Two parties on two lines correlate near 0 even with echo on the line; copies of one
    source near 1. Accumulated block by block in float64: no full-length temporaries.
    """
    ab = aa = bb = 0.0
    for i in range(0, len(a), block):
        x, y = a[i : i + block].astype(np.float64), b[i : i + block].astype(np.float64)
        ab, aa, bb = ab + float(x @ y), aa + float(x @ x), bb + float(y @ y)
    if aa == 0.0 or bb == 0.0:
        return 1.0 if aa == bb else 0.0  # both silent: one source; one silent: two
    return ab / math.sqrt(aa * bb)


def _parties(
    chosen: tuple[str, ...] | None, count: int, default: tuple[str, ...]
) -> tuple[str, ...]:
    names = chosen if chosen else (("speaker",) if count == 1 else default)
    names = tuple(name.strip() for name in names[:count])
    if any(not name for name in names) or len(set(names)) != len(names):
        raise BadInput("party names must be distinct and non-empty", code="BAD_PARTIES")
    extra = tuple(f"channel{i + 1}" for i in range(len(names), count))
    return names + extra


def _check_options(options: TranscribeOptions, model: SpeechModel) -> None:
    supported = model.whisper.supported_languages
    if options.language is not None and options.language not in supported:
        raise BadInput(
            f"language {options.language!r} is not supported by model {model.name}",
            code="UNSUPPORTED_LANGUAGE",
        )
    if not 1 <= options.beam_size <= 16 or not 1 <= options.batch_size <= 64:
        raise BadInput("beam_size must be 1–16 and batch_size 1–64", code="BAD_OPTIONS")


def _decode(
    model: SpeechModel,
    speech: SpeechPlan,
    windows: tuple[Window, ...],
    options: TranscribeOptions,
    language: str | None,
) -> tuple[Iterator[Any], Any]:
    from faster_whisper import BatchedInferencePipeline

    rate = speech.sample_rate
    return BatchedInferencePipeline(model.whisper).transcribe(  # type: ignore[no-any-return]
        speech.audio,
        language=language,
        clip_timestamps=[{"start": w.start / rate, "end": w.end / rate} for w in windows],
        vad_filter=False,  # done per channel above, once
        word_timestamps=options.word_timestamps,
        # With word timings, text is split at region boundaries below; segment-level
        # timestamp tokens would only cost decoding steps.
        without_timestamps=options.word_timestamps,
        hotwords=" ".join(options.hotwords) or None,
        beam_size=options.beam_size,
        batch_size=options.batch_size,
    )


def _window_of(raw: Any, windows: tuple[Window, ...], speech: SpeechPlan) -> Window:
    middle = (raw.start + raw.end) / 2 * speech.sample_rate
    for window in windows:
        if window.start <= middle < window.end:
            return window
    # Rounding can put a zero-length segment on the last sample: nearest window wins.
    return min(windows, key=lambda w: min(abs(w.start - middle), abs(w.end - middle)))


def _segments(
    raw: Any, window: Window, speech: SpeechPlan, party: str, options: TranscribeOptions
) -> list[Segment]:
    if raw.no_speech_prob > options.no_speech_threshold and (
        raw.avg_logprob < options.log_prob_threshold
    ):
        return []
    channel = window.channel
    if not raw.words:
        start_region = speech.region_index(channel, raw.start)
        end_region = speech.region_index(channel, raw.end)
        pieces: list[tuple[float, float, str, tuple[Word, ...]]] = [
            (
                speech.recording_time(channel, raw.start, start_region),
                speech.recording_time(channel, raw.end, end_region),
                str(raw.text),
                (),
            )
        ]
    else:
        pieces = [
            (words[0].start, words[-1].end, "".join(w.text for w in words), tuple(words))
            for words in _turns(raw.words, channel, speech, options.turn_pause)
        ]
    return [
        Segment(
            party=party,
            channel=channel,
            start=start,
            end=end,
            text=text.strip(),
            words=words,
            avg_logprob=float(raw.avg_logprob),
            no_speech_prob=float(raw.no_speech_prob),
        )
        for start, end, text, words in pieces
        if text.strip()
    ]


def _turns(
    raw_words: list[Any], channel: int, speech: SpeechPlan, pause: float
) -> list[list[Word]]:
    """Map words to recording time and cut where the speaker paused for ``pause`` seconds.

    A window joins regions that were far apart in the recording (the other party may have
    spoken in between), so one decoded segment can hold several turns.
    """
    turns: list[list[Word]] = []
    for raw in raw_words:
        # Both ends resolved in the region of the midpoint, so a word never straddles a cut.
        region = speech.region_index(channel, (raw.start + raw.end) / 2)
        word = Word(
            start=speech.recording_time(channel, raw.start, region),
            end=speech.recording_time(channel, raw.end, region),
            text=raw.word,
            probability=float(raw.probability),
        )
        if turns and word.start - turns[-1][-1].end < pause:
            turns[-1].append(word)
        else:
            turns.append([word])
    return turns
