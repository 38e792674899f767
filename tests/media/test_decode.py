"""decode/probe on real files of every kind a PBX or a person uploads, made here with PyAV."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from motmedia.errors import BadInput, NotFound, PayloadTooLarge, UnsupportedMedia
from motmedia.media import decode, probe, write_wav

Tone = Callable[..., np.ndarray]


def tone(freq: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def encode(
    path: Path,
    samples: np.ndarray,
    rate: int,
    *,
    codec: str,
    container: str | None = None,
    video: bool = False,
    audio: bool = True,
) -> Path:
    """Write ``samples`` ([channels, n]) with any PyAV encoder, optionally beside a video."""
    data = np.atleast_2d(samples).astype(np.float32)
    layout = "mono" if data.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format=container) as out:
        # Every stream must exist before the first packet is muxed (the header is written then).
        picture = out.add_stream("mpeg4", rate=10) if video else None
        stream = out.add_stream(codec, rate=rate, layout=layout) if audio else None
        if picture is not None:
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
            for index in range(int(data.shape[1] / rate * 10)):
                frame = av.VideoFrame.from_ndarray(
                    np.full((48, 64, 3), index * 8 % 255, np.uint8), format="rgb24"
                )
                out.mux(picture.encode(frame))
            out.mux(picture.encode(None))
        if stream is not None:
            size = stream.codec_context.frame_size or 1024
            for start in range(0, data.shape[1], size):
                chunk = np.ascontiguousarray(data[:, start : start + size])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                frame.rate, frame.pts = rate, start
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
    return path


def wav_header(*, channels: int, rate: int, frames: int) -> bytes:
    """A PCM16 WAV written by hand, for headers PyAV refuses to produce."""
    data = bytes(frames * channels * 2)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data))
    return b"RIFF" + struct.pack("<I", len(body) + len(data)) + body + data


@pytest.mark.parametrize(
    ("name", "codec", "rate", "container"),
    [
        ("pcm.wav", "pcm_s16le", 16_000, None),
        ("ulaw.wav", "pcm_mulaw", 8_000, None),
        ("alaw.wav", "pcm_alaw", 8_000, None),
        ("speech.flac", "flac", 44_100, None),
        ("speech.mp3", "libmp3lame", 44_100, None),
        ("speech.ogg", "libopus", 48_000, "ogg"),
        ("speech.m4a", "aac", 44_100, "mp4"),
    ],
)
def test_decodes_each_format_to_float32_16k(
    tmp_path: Path, name: str, codec: str, rate: int, container: str | None
) -> None:
    path = encode(tmp_path / name, tone(440, 2.0, rate), rate, codec=codec, container=container)

    audio = decode(path)

    assert audio.sample_rate == 16_000
    assert audio.samples.dtype == np.float32 and audio.samples.flags.c_contiguous
    assert audio.num_channels == 1
    assert audio.duration == pytest.approx(2.0, abs=0.1)  # codecs add priming/padding
    assert dominant_hz(audio.channels[0], 16_000) == pytest.approx(440, abs=5)
    assert audio.info.sample_rate == rate and audio.info.channels == 1


def test_video_file_gives_its_audio(tmp_path: Path) -> None:
    path = encode(tmp_path / "clip.mp4", tone(300, 1.5, 44_100), 44_100, codec="aac", video=True)

    audio = decode(path)

    assert audio.info.container.startswith("mov")
    assert dominant_hz(audio.channels[0], 16_000) == pytest.approx(300, abs=5)


def test_stereo_channels_stay_apart(tmp_path: Path) -> None:
    left, right = tone(500, 1.0, 8_000), tone(1_000, 1.0, 8_000)
    path = tmp_path / "call.wav"
    write_wav(path, np.stack([left, right]), 8_000, codec="pcm_mulaw")

    audio = decode(path)

    assert audio.samples.shape == (2, 16_000)
    assert dominant_hz(audio.channels[0], 16_000) == pytest.approx(500, abs=5)
    assert dominant_hz(audio.channels[1], 16_000) == pytest.approx(1_000, abs=5)


def test_decodes_from_a_file_object_and_other_rates() -> None:
    buffer = io.BytesIO()
    write_wav(buffer, tone(440, 1.0, 16_000), 16_000)
    buffer.seek(0)

    audio = decode(buffer, sample_rate=8_000)

    assert audio.samples.shape == (1, 8_000)
    assert audio.info.size_bytes == len(buffer.getvalue())


def test_probe_reads_the_header_only(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, np.zeros((2, 8_000 * 3), np.float32), 8_000, codec="pcm_alaw")

    info = probe(path)

    assert (info.channels, info.sample_rate, info.codec, info.container) == (
        2,
        8_000,
        "pcm_alaw",
        "wav",
    )
    assert info.duration == pytest.approx(3.0)
    assert info.size_bytes == path.stat().st_size


# --- bad input: each class gets its own error and code, never a PyAV exception ---------


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(UnsupportedMedia) as caught:
        decode(tmp_path / "empty.wav")
    assert caught.value.code == "EMPTY_MEDIA" and caught.value.status == 415


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("これは音声ではありません。\n" * 20)
    with pytest.raises(UnsupportedMedia) as caught:
        decode(path)
    assert caught.value.code == "UNREADABLE_MEDIA"
    assert isinstance(caught.value.__cause__, av.FFmpegError)  # translated at the boundary
    assert str(tmp_path) not in caught.value.detail  # no server paths in client messages


def test_video_without_audio(tmp_path: Path) -> None:
    path = encode(
        tmp_path / "silent.mp4", tone(1, 1.0, 8_000), 8_000, codec="", video=True, audio=False
    )
    with pytest.raises(UnsupportedMedia) as caught:
        decode(path)
    assert caught.value.code == "NO_AUDIO_STREAM"
    with pytest.raises(UnsupportedMedia):
        probe(path)


def test_too_many_channels(tmp_path: Path) -> None:
    path = tmp_path / "many.wav"
    path.write_bytes(wav_header(channels=12, rate=8_000, frames=800))
    with pytest.raises(BadInput) as caught:
        decode(path)
    assert caught.value.code == "TOO_MANY_CHANNELS" and caught.value.status == 422
    assert probe(path).channels == 12  # probing is allowed; decoding is not


def test_absurd_sample_rate(tmp_path: Path) -> None:
    path = tmp_path / "slow.wav"
    path.write_bytes(wav_header(channels=1, rate=100, frames=100))
    with pytest.raises(BadInput) as caught:
        decode(path)
    assert caught.value.code == "BAD_SAMPLE_RATE"


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.wav"
    write_wav(path, tone(440, 1.0, 8_000), 8_000)
    with pytest.raises(PayloadTooLarge) as caught:
        decode(path, max_bytes=1_000)
    assert caught.value.status == 413


def test_too_long_by_header(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    write_wav(path, tone(440, 3.0, 8_000), 8_000)
    with pytest.raises(BadInput) as caught:
        decode(path, max_seconds=2.0)
    assert caught.value.code == "AUDIO_TOO_LONG"


class Pipe(io.RawIOBase):
    """A non-seekable upload stream: the container cannot estimate a duration from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_too_long_while_decoding(tmp_path: Path) -> None:
    path = encode(
        tmp_path / "long.aac", tone(440, 3.0, 16_000), 16_000, codec="aac", container="adts"
    )
    assert probe(Pipe(path.read_bytes())).duration is None  # nothing to check up front

    with pytest.raises(BadInput) as caught:
        decode(Pipe(path.read_bytes()), max_seconds=1.0)
    assert caught.value.code == "AUDIO_TOO_LONG"
    assert decode(Pipe(path.read_bytes())).duration == pytest.approx(3.0, abs=0.1)


def test_damaged_packets_are_skipped(tmp_path: Path) -> None:
    # Two MP3 files glued together: the second one's header frame fails to decode.
    single = encode(tmp_path / "a.mp3", tone(440, 2.0, 16_000), 16_000, codec="libmp3lame")
    glued = tmp_path / "glued.mp3"
    glued.write_bytes(single.read_bytes() * 2)

    audio = decode(glued)

    assert audio.duration == pytest.approx(4.0, abs=0.3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        decode(tmp_path / "nowhere.wav")


def test_truncated_file_keeps_what_arrived(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    write_wav(path, tone(440, 2.0, 8_000), 8_000)
    path.write_bytes(path.read_bytes()[:8_000])  # half an upload

    audio = decode(path)

    assert 0.4 < audio.duration < 1.1
