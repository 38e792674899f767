"""Every export format decodes with PyAV to the rate, channels and codec it declares."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from motmedia.errors import BadInput
from motmedia.media.encode import FORMATS, encode, get_format, resample

RATE = 48000


def tone(seconds: float = 1.0, amplitude: float = 0.3, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def decode(data: bytes, name: str) -> tuple[np.ndarray, av.audio.stream.AudioStream]:
    fmt = FORMATS[name]
    kwargs: dict[str, object] = {}
    if fmt.container in ("mulaw", "alaw", "s16le"):
        # Raw files carry no header: a PBX knows the format from the extension, so do we.
        kwargs = {
            "format": fmt.container,
            "options": {"sample_rate": str(fmt.sample_rate), "ch_layout": "mono"},
        }
    container = av.open(io.BytesIO(data), **kwargs)
    stream = container.streams.audio[0]
    frames = [f.to_ndarray() for f in container.decode(stream)]
    container.close()
    samples = np.concatenate(frames, axis=1)[0]
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768
    return samples.astype(np.float32), stream


@pytest.mark.parametrize("name", list(FORMATS))
def test_format_decodes_as_declared(name: str) -> None:
    fmt = FORMATS[name]
    data = encode(tone(1.0), RATE, fmt)
    samples, stream = decode(data, name)
    assert stream.rate == fmt.sample_rate
    assert stream.channels == 1
    assert stream.codec_context.codec.id == av.Codec(fmt.codec, "w").id
    assert len(samples) / fmt.sample_rate == pytest.approx(1.0, abs=0.03)
    # The tone survives: its RMS stays within 1 dB (0.3/√2 ≈ 0.212).
    rms = float(np.sqrt(np.mean(samples[fmt.sample_rate // 10 : -fmt.sample_rate // 10] ** 2)))
    assert 20 * np.log10(rms / 0.2121) == pytest.approx(0.0, abs=1.0)


@pytest.mark.parametrize(("name", "marker"), [
    ("wav", b"RIFF"), ("wav8k", b"RIFF"), ("wav-ulaw", b"RIFF"), ("mp3", None), ("opus", b"OggS"),
])  # fmt: skip
def test_container_signatures(name: str, marker: bytes | None) -> None:
    data = encode(tone(0.2), RATE, name)
    if marker is not None:
        assert data.startswith(marker)


@pytest.mark.parametrize(("name", "bytes_per_second"), [
    ("ulaw", 8000), ("alaw", 8000), ("sln", 16000), ("sln16", 32000),
])  # fmt: skip
def test_raw_formats_have_no_header(name: str, bytes_per_second: int) -> None:
    assert len(encode(tone(1.0), RATE, name)) == pytest.approx(bytes_per_second, abs=64)


def test_g711_wav_headers_name_the_codec() -> None:
    # WAVE_FORMAT_MULAW = 7, WAVE_FORMAT_ALAW = 6, at offset 20 of the fmt chunk.
    assert encode(tone(0.1), RATE, "wav-ulaw")[20:22] == (7).to_bytes(2, "little")
    assert encode(tone(0.1), RATE, "wav-alaw")[20:22] == (6).to_bytes(2, "little")


def test_out_of_range_samples_are_clipped_not_wrapped() -> None:
    samples, _ = decode(encode(tone(0.5, amplitude=1.5), RATE, "wav"), "wav")
    assert samples.max() > 0.99 and samples.min() < -0.99
    # Wrap-around would put full-scale samples of the opposite sign next to each other.
    assert np.abs(np.diff(samples)).max() < 1.0


def test_empty_input_gives_a_valid_empty_file() -> None:
    data = encode(np.zeros(0, np.float32), RATE, "wav")
    assert data.startswith(b"RIFF")


def test_resample_keeps_duration_and_level() -> None:
    out = resample(tone(1.0), RATE, 8000)
    assert len(out) == pytest.approx(8000, abs=40)
    assert float(np.sqrt(np.mean(out[800:-800] ** 2))) == pytest.approx(0.2121, rel=0.02)
    assert resample(tone(0.1), RATE, RATE).shape == (4800,)


def test_unknown_format_is_bad_input() -> None:
    with pytest.raises(BadInput) as err:
        get_format("flac")
    assert err.value.code == "UNKNOWN_FORMAT"
    assert "wav8k" in err.value.detail


def test_format_names_are_case_insensitive() -> None:
    assert get_format("WAV8K").sample_rate == 8000
