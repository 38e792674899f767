"""Finding speech (Silero VAD) and packing it into Whisper's 30-second windows.

Whisper hallucinates on silence and always encodes 30 s, however little speech a window
holds. So each channel is cut to its speech regions, the regions are laid back to back
("packed audio"), and consecutive regions of one channel are grouped into windows of at
most 30 s. A window never mixes channels, so every decoded word belongs to one party. The
plan keeps the maps that turn a time in the packed audio back into recording time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "WINDOW_SECONDS",
    "Region",
    "SpeechPlan",
    "VadSettings",
    "Window",
    "detect_speech",
    "plan",
]

WINDOW_SECONDS = 30.0  # Whisper's receptive field
Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class VadSettings:
    """Silero VAD knobs; the defaults are those of faster-whisper's batched pipeline.

    ``min_silence_ms`` is the pause that ends a region; ``speech_pad_ms`` is kept either side
    so word onsets and tails are not clipped; ``threshold`` is the speech probability.
    """

    threshold: float = 0.5
    min_silence_ms: int = 160
    speech_pad_ms: int = 400
    min_speech_ms: int = 0


class Region(NamedTuple):
    """Speech in one channel, ``[start, end)`` in samples of the recording."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Window:
    """One Whisper input: ``[start, end)`` in samples of the packed audio, one channel."""

    channel: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SpeechPlan:
    """Packed speech of every channel, its windows, and the way back to recording time."""

    audio: Float32Array
    windows: tuple[Window, ...]
    regions: tuple[tuple[Region, ...], ...]  # per channel, in recording samples
    sample_rate: int
    _offsets: tuple[int, ...]  # where each channel's speech begins in ``audio``
    _maps: tuple[Any, ...]  # faster_whisper.vad.SpeechTimestampsMap per channel

    @property
    def speech_seconds(self) -> float:
        return len(self.audio) / self.sample_rate

    def window_seconds(self, window: Window) -> float:
        return (window.end - window.start) / self.sample_rate

    def region_index(self, channel: int, packed_time: float) -> int:
        """Which of the channel's regions a packed-audio time falls in."""
        local = packed_time - self._offsets[channel] / self.sample_rate
        return int(self._maps[channel].get_chunk_index(max(local, 0.0)))

    def recording_time(self, channel: int, packed_time: float, region: int) -> float:
        """A packed-audio time as seconds of the recording, within ``region``."""
        local = packed_time - self._offsets[channel] / self.sample_rate
        return float(self._maps[channel].get_original_time(local, region))


def detect_speech(
    samples: Float32Array, vad: VadSettings, *, sample_rate: int = 16_000
) -> tuple[Region, ...]:
    """Speech regions of one channel, each at most :data:`WINDOW_SECONDS` long."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if samples.size == 0:
        return ()
    options = VadOptions(
        threshold=vad.threshold,
        min_silence_duration_ms=vad.min_silence_ms,
        speech_pad_ms=vad.speech_pad_ms,
        min_speech_duration_ms=vad.min_speech_ms,
        max_speech_duration_s=WINDOW_SECONDS,
    )
    found = get_speech_timestamps(samples, options, sampling_rate=sample_rate)
    limit = int(WINDOW_SECONDS * sample_rate)
    regions: list[Region] = []
    for item in found:
        # Padding can push a region just past 30 s; cut hard rather than lose the tail.
        for start in range(int(item["start"]), int(item["end"]), limit):
            regions.append(Region(start, min(start + limit, int(item["end"]))))
    return tuple(regions)


def plan(
    channels: Sequence[Float32Array],
    regions: Sequence[tuple[Region, ...]],
    *,
    sample_rate: int = 16_000,
) -> SpeechPlan:
    """Pack the speech of ``channels`` and group it into windows of at most 30 s."""
    from faster_whisper.vad import SpeechTimestampsMap

    limit = int(WINDOW_SECONDS * sample_rate)
    pieces: list[Float32Array] = []
    windows: list[Window] = []
    offsets: list[int] = []
    maps: list[Any] = []
    cursor = 0
    for channel, (samples, found) in enumerate(zip(channels, regions, strict=True)):
        offsets.append(cursor)
        maps.append(
            SpeechTimestampsMap([r._asdict() for r in found], sample_rate, time_precision=3)
        )
        window_start = cursor
        for region in found:
            length = region.end - region.start
            if cursor + length - window_start > limit:
                windows.append(Window(channel, window_start, cursor))
                window_start = cursor
            pieces.append(samples[region.start : region.end])
            cursor += length
        if cursor > window_start:
            windows.append(Window(channel, window_start, cursor))
    audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return SpeechPlan(
        audio=audio.astype(np.float32, copy=False),
        windows=tuple(windows),
        regions=tuple(tuple(found) for found in regions),
        sample_rate=sample_rate,
        _offsets=tuple(offsets),
        _maps=tuple(maps),
    )
