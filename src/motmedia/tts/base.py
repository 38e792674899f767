"""The engine interface every synthesiser implements, and the values passed around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from motmedia.errors import BadInput

__all__ = [
    "MAX_PITCH",
    "MAX_SPEED",
    "MIN_SPEED",
    "Audio",
    "Engine",
    "SynthesisOptions",
    "Voice",
]

Audio = npt.NDArray[np.float32]
"""Mono samples, full scale ±1. Engines may overshoot it (Open JTalk's HTS output peaks above
16-bit full scale on some sentences); the renderer levels in float before anything is encoded.
"""

MIN_SPEED = 0.5
MAX_SPEED = 2.0
MAX_PITCH = 12.0


@dataclass(frozen=True)
class Voice:
    """An installed voice, as ``GET /v1/voices`` lists it."""

    id: str
    """Stable id used in requests, e.g. ``ja_JP-mei-normal``."""
    language: str
    """BCP 47 tag, e.g. ``ja-JP``."""
    engine: str
    """Name of the :class:`Engine` that speaks it."""
    sample_rate: int
    """Native rate of the engine's output, before export."""
    description: str = ""
    license: str = ""


@dataclass(frozen=True)
class SynthesisOptions:
    """How to speak; everything here is part of the cache key.

    ``speed`` multiplies the engine's normal rate (0.5–2.0); ``pitch`` shifts it in
    semitones (±12, Open JTalk only). ``target_dbov`` is the active speech level of the result
    and ``edge_silence_ms`` the silence kept before and after the speech.
    """

    voice: str | None = None
    speed: float = 1.0
    pitch: float = 0.0
    ssml: bool = False
    target_dbov: float = -26.0
    edge_silence_ms: int = 150

    def __post_init__(self) -> None:
        if not MIN_SPEED <= self.speed <= MAX_SPEED:
            raise BadInput(
                f"speed must be between {MIN_SPEED} and {MAX_SPEED}, not {self.speed}",
                code="INVALID_OPTION",
            )
        if abs(self.pitch) > MAX_PITCH:
            raise BadInput(
                f"pitch must be within ±{MAX_PITCH} semitones, not {self.pitch}",
                code="INVALID_OPTION",
            )
        if not -60.0 <= self.target_dbov <= -6.0:
            raise BadInput("target_dbov must be between -60 and -6", code="INVALID_OPTION")
        if not 0 <= self.edge_silence_ms <= 5000:
            raise BadInput("edge_silence_ms must be between 0 and 5000", code="INVALID_OPTION")


@runtime_checkable
class Engine(Protocol):
    """A speech synthesiser. Implementations must be safe to call from several threads."""

    @property
    def name(self) -> str:
        """Short engine name (``openjtalk``, ``piper``)."""
        ...

    @property
    def version(self) -> str:
        """Engine and voice data version; part of the cache key, so upgrades re-render."""
        ...

    def voices(self) -> list[Voice]:
        """The voices this engine can speak."""
        ...

    def synthesize(
        self, text: str, *, voice: str, speed: float = 1.0, pitch: float = 0.0
    ) -> tuple[Audio, int]:
        """Speak already-normalised ``text``; return mono float32 samples and their rate.

        Text that yields no speech (only punctuation) returns an empty array, not an error.
        """
        ...
