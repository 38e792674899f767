"""Which voices are installed, which engine speaks each, and loading engines once.

``GET /v1/voices`` calls :func:`list_voices`. A request names a voice by id (``ja_JP-mei-normal``)
or by language (``ja``, ``en-US``); no voice means Japanese, the product's default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from motmedia.errors import BadInput
from motmedia.tts.base import Engine, Voice
from motmedia.tts.openjtalk import MEI_VOICE, OpenJTalkEngine
from motmedia.tts.piper import JOE_VOICE_ID, PiperEngine, joe_voice, joe_voice_installed

__all__ = ["DEFAULT_VOICE_ID", "KNOWN_VOICE_IDS", "VoiceRegistry", "list_voices"]

DEFAULT_VOICE_ID = MEI_VOICE.id
# Voices this build knows how to speak, installed or not; a known but missing voice is a
# 503 VOICE_NOT_INSTALLED, an unknown id a 422 UNKNOWN_VOICE.
KNOWN_VOICE_IDS = (MEI_VOICE.id, JOE_VOICE_ID)
_BY_LANGUAGE = {"ja": MEI_VOICE.id, "en": JOE_VOICE_ID}


def list_voices() -> list[Voice]:
    """Installed voices, default first. Cheap: reads metadata, loads no model."""
    voices = [MEI_VOICE]
    if joe_voice_installed():
        voices.append(joe_voice())
    return voices


def _voice_id(requested: str | None) -> str:
    if not requested:
        return DEFAULT_VOICE_ID
    if requested in KNOWN_VOICE_IDS:
        return requested
    language = requested.replace("_", "-").split("-")[0].lower()
    if len(requested) <= 6 and language in _BY_LANGUAGE:
        return _BY_LANGUAGE[language]
    raise BadInput(
        f"unknown voice {requested!r}; known voices: {', '.join(KNOWN_VOICE_IDS)}",
        code="UNKNOWN_VOICE",
    )


class VoiceRegistry:
    """Resolves voice requests and holds one engine of each kind, loaded on first use.

    Loading is guarded by a lock so two threads asking for English at once load Piper once.
    ``factories`` lets tests and benchmarks put an instrumented engine in place.
    """

    def __init__(self, factories: dict[str, Callable[[], Engine]] | None = None) -> None:
        self._factories: dict[str, Callable[[], Engine]] = {
            "openjtalk": OpenJTalkEngine,
            "piper": PiperEngine,
        }
        self._factories.update(factories or {})
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def resolve(self, requested: str | None) -> Voice:
        """The voice for an id, a language tag or ``None`` (default)."""
        voice_id = _voice_id(requested)
        if voice_id == MEI_VOICE.id:
            return MEI_VOICE
        return joe_voice()  # raises VOICE_NOT_INSTALLED when the extra is missing

    def engine(self, name: str) -> Engine:
        """The engine called ``name``, loading it the first time."""
        engine = self._engines.get(name)
        if engine is not None:
            return engine
        with self._lock:
            engine = self._engines.get(name)
            if engine is None:
                engine = self._factories[name]()
                self._engines[name] = engine
            return engine

    def voices(self) -> list[Voice]:
        """Same as :func:`list_voices`."""
        return list_voices()
