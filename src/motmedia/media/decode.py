"""Decode any audio PyAV can open into float32 channels at one sample rate, streaming.

A PBX uploads 8 kHz μ-law/A-law WAV, people upload MP3, M4A, Opus or a phone video; all of
them come out as ``float32 [channels, samples]`` at (by default) 16 kHz, the rate Whisper
and Silero VAD expect. Channels are kept apart because a stereo call has one party per
channel.

The whole file is never held as float64 or as one big intermediate: each decoded frame is
resampled on its own (``av.AudioResampler``) and copied into a float32 buffer that grows by
doubling, sized up front from the container's duration when it has one.

Limits are checked as early as the information exists: the byte size before opening, the
channel count, sample rate and declared duration from the header, and the decoded length
while decoding (a header can lie). Every PyAV error is translated here into the project's
error hierarchy, so callers only ever see :class:`~motmedia.errors.MotMediaError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import av
import numpy as np
import numpy.typing as npt

from motmedia.config import Settings
from motmedia.errors import BadInput, NotFound, PayloadTooLarge, UnsupportedMedia

__all__ = [
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "AudioInfo",
    "DecodedAudio",
    "Source",
    "decode",
    "probe",
    "write_wav",
]

Source = str | os.PathLike[str] | BinaryIO

# A call has two parties; 8 covers 7.1 recordings. Beyond that it is not a recording we
# can label, and PyAV 18 crashes on planar frames with more than 8 channels anyway.
MAX_CHANNELS = 8
# Below narrow-band telephony or above studio rates, the header is almost surely corrupt.
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 384_000

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the container says about its first audio stream, before decoding."""

    duration: float | None  # seconds; None when the container does not declare it
    channels: int
    sample_rate: int
    codec: str
    container: str
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """``samples`` is float32 ``[channels, frames]`` at ``sample_rate``; ``info`` is the source."""

    samples: Float32Array
    sample_rate: int
    info: AudioInfo

    @property
    def num_channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return float(self.samples.shape[1] / self.sample_rate)

    @property
    def channels(self) -> list[Float32Array]:
        """One 1-D view per channel (no copy)."""
        return [self.samples[i] for i in range(self.num_channels)]


def probe(source: Source) -> AudioInfo:
    """Read the header of ``source`` (a path or a binary file object) without decoding."""
    size = _size_of(source)
    with _open(source) as container:
        return _info(container, _audio_stream(container), size)


def decode(
    source: Source,
    *,
    sample_rate: int = 16_000,
    max_seconds: float | None = None,
    max_bytes: int | None = None,
    max_channels: int = MAX_CHANNELS,
) -> DecodedAudio:
    """Decode the first audio stream of ``source`` to float32 at ``sample_rate``.

    ``max_seconds`` and ``max_bytes`` default to ``Settings().max_audio_seconds`` and
    ``Settings().max_upload_bytes`` (environment ``MOTMEDIA_*``); pass them explicitly when
    a caller holds its own settings. ``max_bytes`` is checked before opening for paths and
    seekable files; for a non-seekable stream the caller must bound what it reads.

    Raises :class:`PayloadTooLarge` (413), :class:`UnsupportedMedia` (415),
    :class:`BadInput` (422) or :class:`NotFound` (404), never a PyAV error.
    """
    if max_seconds is None or max_bytes is None:
        settings = Settings()
        max_seconds = settings.max_audio_seconds if max_seconds is None else max_seconds
        max_bytes = settings.max_upload_bytes if max_bytes is None else max_bytes
    size = _size_of(source)
    if size is not None and size > max_bytes:
        raise PayloadTooLarge(
            f"the file is {size} bytes; the limit is {max_bytes}", limit=max_bytes, size=size
        )
    with _open(source) as container:
        stream = _audio_stream(container)
        info = _info(container, stream, size)
        _check_header(info, max_seconds=max_seconds, max_channels=max_channels)
        samples = _decode_stream(container, stream, info, sample_rate, max_seconds)
    if samples.shape[1] == 0:
        raise UnsupportedMedia("the audio stream holds no samples", code="EMPTY_AUDIO")
    return DecodedAudio(samples=samples, sample_rate=sample_rate, info=info)


def write_wav(
    target: Source,
    samples: npt.NDArray[np.floating[Any]],
    sample_rate: int,
    *,
    codec: str = "pcm_s16le",
) -> None:
    """Write ``samples`` (``[channels, frames]`` or 1-D, full scale ±1.0) as a WAV file.

    ``codec`` is ``pcm_s16le``, ``pcm_mulaw`` or ``pcm_alaw`` (G.711, what a PBX records).
    The inverse of :func:`decode`, for fixtures, benchmarks and round trips.
    """
    data = np.atleast_2d(np.asarray(samples))
    channels, frames = data.shape
    pcm = (np.clip(np.nan_to_num(data), -1.0, 1.0) * 32767.0).astype(np.int16)
    layout = av.AudioLayout({1: "mono", 2: "stereo"}.get(channels, f"{channels} channels"))
    with av.open(target, mode="w", format="wav") as container:
        stream = cast("av.AudioStream", container.add_stream(codec, rate=sample_rate))
        stream.layout = layout
        # Packed s16: PyAV's from_ndarray fails on planar data with more than 8 channels.
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm.T).reshape(1, -1), format="s16", layout=layout
        )
        frame.rate = sample_rate
        for packet in stream.encode(frame if frames else None):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _size_of(source: Source) -> int | None:
    if isinstance(source, str | os.PathLike):
        try:
            size = os.stat(source).st_size
        except FileNotFoundError as exc:
            name = os.path.basename(os.fspath(source))  # not the directory: may be server-side
            raise NotFound(f"no such file: {name}", code="FILE_NOT_FOUND") from exc
    elif source.seekable():
        position = source.tell()
        size = source.seek(0, os.SEEK_END) - position
        source.seek(position)
    else:
        return None
    if size == 0:
        raise UnsupportedMedia("the file is empty", code="EMPTY_MEDIA")
    return size


@contextmanager
def _open(source: Source) -> Iterator[Any]:
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnsupportedMedia(
            f"not a readable audio or video file ({_reason(exc)})", code="UNREADABLE_MEDIA"
        ) from exc
    try:
        yield container
    finally:
        container.close()


def _reason(exc: Exception) -> str:
    # FFmpeg's message ends with the file name; a server's temp path must not reach a client.
    return str(getattr(exc, "strerror", None) or type(exc).__name__)


def _audio_stream(container: Any) -> Any:
    if not container.streams.audio:
        raise UnsupportedMedia("the file has no audio stream", code="NO_AUDIO_STREAM")
    return container.streams.audio[0]


def _info(container: Any, stream: Any, size: int | None) -> AudioInfo:
    if stream.duration is not None and stream.time_base is not None:
        duration: float | None = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = None
    return AudioInfo(
        duration=duration,
        channels=int(stream.codec_context.channels or 0),
        sample_rate=int(stream.codec_context.sample_rate or 0),
        codec=str(stream.codec_context.name),
        container=str(container.format.name),
        size_bytes=size,
    )


def _check_header(info: AudioInfo, *, max_seconds: float, max_channels: int) -> None:
    if info.channels < 1:
        raise UnsupportedMedia("the audio stream declares no channels", code="UNREADABLE_MEDIA")
    if info.channels > max_channels:
        raise BadInput(
            f"{info.channels} audio channels; at most {max_channels} are accepted",
            code="TOO_MANY_CHANNELS",
        )
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise BadInput(
            f"sample rate {info.sample_rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz",
            code="BAD_SAMPLE_RATE",
        )
    if info.duration is not None and info.duration > max_seconds:
        raise _too_long(info.duration, max_seconds)


def _too_long(seconds: float, max_seconds: float) -> BadInput:
    return BadInput(
        f"the audio lasts {seconds:.0f} s or more; the limit is {max_seconds:.0f} s",
        code="AUDIO_TOO_LONG",
        limit=max_seconds,
    )


def _decode_stream(
    container: Any, stream: Any, info: AudioInfo, sample_rate: int, max_seconds: float
) -> Float32Array:
    max_frames = int(max_seconds * sample_rate) + 1
    expected = int((info.duration or 60.0) * sample_rate) + sample_rate
    buffer = _Buffer(info.channels, min(expected, max_frames))
    # Packed float out: one contiguous [frames, channels] block per frame to copy.
    resampler = av.AudioResampler(format="flt", rate=sample_rate)
    packets = damaged = 0
    try:
        for packet in container.demux(stream):
            packets += 1
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                # A damaged packet (a line glitch, two MP3s glued together) costs its few
                # tens of milliseconds, not the whole call.
                damaged += 1
                continue
            for frame in frames:
                if frame.layout.nb_channels != info.channels:
                    raise UnsupportedMedia(
                        "the channel count changes inside the stream", code="UNREADABLE_MEDIA"
                    )
                for out in resampler.resample(frame):
                    buffer.append(out.to_ndarray(), max_frames, max_seconds, sample_rate)
        for out in resampler.resample(None):  # the resampler's buffered tail
            buffer.append(out.to_ndarray(), max_frames, max_seconds, sample_rate)
    except av.FFmpegError as exc:
        raise UnsupportedMedia(
            f"decoding failed after {buffer.filled / sample_rate:.1f} s ({_reason(exc)})",
            code="UNREADABLE_MEDIA",
        ) from exc
    if damaged and damaged * 2 >= packets:
        raise UnsupportedMedia(
            f"{damaged} of {packets} packets are damaged", code="UNREADABLE_MEDIA"
        )
    return buffer.result()


class _Buffer:
    """float32 ``[channels, capacity]`` that grows by doubling, up to the frame limit."""

    def __init__(self, channels: int, capacity: int) -> None:
        self.data: Float32Array = np.empty((channels, max(capacity, 1)), dtype=np.float32)
        self.filled = 0

    def append(
        self, packed: npt.NDArray[Any], max_frames: int, max_seconds: float, sample_rate: int
    ) -> None:
        channels, capacity = self.data.shape
        block = packed.reshape(-1, channels)
        end = self.filled + len(block)
        if end > max_frames:
            raise _too_long(self.filled / sample_rate, max_seconds)
        if end > capacity:
            grown = np.empty((channels, min(max(2 * capacity, end), max_frames)), np.float32)
            grown[:, : self.filled] = self.data[:, : self.filled]
            self.data = grown
        self.data[:, self.filled : end] = block.T
        self.filled = end

    def result(self) -> Float32Array:
        if self.filled == self.data.shape[1]:
            return self.data
        # A copy, not a view: a view would pin the whole over-sized buffer in memory.
        return self.data[:, : self.filled].copy()
