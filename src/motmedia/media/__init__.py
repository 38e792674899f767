"""Audio in and out: decode anything PyAV opens into float32 channels, write G.711 WAV."""

from motmedia.media.decode import (
    MAX_CHANNELS,
    AudioInfo,
    DecodedAudio,
    Source,
    decode,
    probe,
    write_wav,
)

__all__ = [
    "MAX_CHANNELS",
    "AudioInfo",
    "DecodedAudio",
    "Source",
    "decode",
    "probe",
    "write_wav",
]
