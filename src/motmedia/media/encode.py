"""Export mono float audio to the formats a PBX or a browser plays, in-process with PyAV.

:data:`FORMATS` is the table the API and the CLI offer: name → container, codec, rate, media
type and file extension. Telephony formats are 8 kHz (G.711 μ-law/A-law, 16-bit PCM) or 16 kHz
(wideband PCM, Asterisk ``.sln16``); MP3 and Ogg Opus are for previews in a browser.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream

from motmedia.errors import BadInput

__all__ = ["FORMATS", "Format", "encode", "get_format", "resample"]


@dataclass(frozen=True)
class Format:
    """One export format."""

    name: str
    """Name in the API and CLI (``?format=wav8k``)."""
    media_type: str
    extension: str
    """File extension with the dot, as Asterisk and browsers expect it."""
    sample_rate: int
    container: str
    """FFmpeg muxer name."""
    codec: str
    """FFmpeg encoder name."""
    bit_rate: int | None = None
    description: str = ""


# Raw G.711 has a registered type per codec (RFC 4856). Asterisk's signed-linear files are
# little-endian, unlike audio/L16 (RFC 2586, network byte order), so they get x- types.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("wav", "audio/wav", ".wav", 16000, "wav", "pcm_s16le",
               description="WAV, 16-bit PCM, 16 kHz (wideband)"),
        Format("wav16k", "audio/wav", ".wav", 16000, "wav", "pcm_s16le",
               description="WAV, 16-bit PCM, 16 kHz (wideband)"),
        Format("wav8k", "audio/wav", ".wav", 8000, "wav", "pcm_s16le",
               description="WAV, 16-bit PCM, 8 kHz (narrowband)"),
        Format("wav-ulaw", "audio/wav", ".wav", 8000, "wav", "pcm_mulaw",
               description="WAV, G.711 μ-law, 8 kHz"),
        Format("wav-alaw", "audio/wav", ".wav", 8000, "wav", "pcm_alaw",
               description="WAV, G.711 A-law, 8 kHz"),
        Format("ulaw", "audio/PCMU", ".ulaw", 8000, "mulaw", "pcm_mulaw",
               description="raw G.711 μ-law, 8 kHz (Asterisk .ulaw)"),
        Format("alaw", "audio/PCMA", ".alaw", 8000, "alaw", "pcm_alaw",
               description="raw G.711 A-law, 8 kHz (Asterisk .alaw)"),
        Format("sln", "audio/x-sln", ".sln", 8000, "s16le", "pcm_s16le",
               description="raw signed-linear 16-bit little-endian, 8 kHz (Asterisk .sln)"),
        Format("sln16", "audio/x-sln16", ".sln16", 16000, "s16le", "pcm_s16le",
               description="raw signed-linear 16-bit little-endian, 16 kHz (Asterisk .sln16)"),
        Format("mp3", "audio/mpeg", ".mp3", 24000, "mp3", "libmp3lame", 48_000,
               description="MP3, 24 kHz, 48 kbit/s (browser preview)"),
        Format("opus", "audio/ogg; codecs=opus", ".opus", 48000, "ogg", "libopus", 32_000,
               description="Ogg Opus, 48 kHz, 32 kbit/s (browser preview)"),
    )
}  # fmt: skip


def get_format(name: str) -> Format:
    """Look a format up by name; an unknown name is a ``BadInput`` listing the known ones."""
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise BadInput(
            f"unknown audio format {name!r}; one of: {', '.join(FORMATS)}",
            code="UNKNOWN_FORMAT",
        ) from None


def _frame(samples: npt.NDArray[np.float32], sample_rate: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = sample_rate
    frame.pts = None
    return frame


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> npt.NDArray[np.float32]:
    """Resample mono float audio with libswresample (the same filter :func:`encode` uses)."""
    x = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(-1))
    if from_rate == to_rate or x.size == 0:
        return x.copy()
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)
    chunks = [f.to_ndarray().reshape(-1) for f in resampler.resample(_frame(x, from_rate))]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def encode(samples: npt.ArrayLike, sample_rate: int, fmt: Format | str) -> bytes:
    """Encode mono float samples (full scale ±1) at ``sample_rate`` into ``fmt``.

    Samples are clipped to ±1 first: a resampler's overshoot must not wrap around in a
    16-bit or G.711 encoder.
    """
    spec = get_format(fmt) if isinstance(fmt, str) else fmt
    x = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    x = np.ascontiguousarray(x)
    buf = io.BytesIO()
    with av.open(buf, "w", format=spec.container) as container:
        stream = container.add_stream(spec.codec, rate=spec.sample_rate, layout="mono")
        assert isinstance(stream, AudioStream)
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        # Resample straight to the encoder's sample format: one conversion, not two.
        resampler = av.AudioResampler(
            format=stream.codec_context.format, layout="mono", rate=spec.sample_rate
        )
        # Write the header even when no packet follows: an empty prompt is still a WAV file.
        container.start_encoding()
        frames = list(resampler.resample(_frame(x, sample_rate))) if x.size else []
        frames += resampler.resample(None)
        for frame in frames:
            frame.pts = None
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buf.getvalue()
