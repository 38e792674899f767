"""Voice listing and resolution."""

from __future__ import annotations

import pytest

from motmedia.errors import BadInput
from motmedia.tts.openjtalk import MEI_VOICE_ID
from motmedia.tts.piper import JOE_VOICE_ID, joe_voice_installed
from motmedia.tts.voices import DEFAULT_VOICE_ID, VoiceRegistry, list_voices


def test_japanese_is_listed_first_and_is_the_default() -> None:
    voices = list_voices()
    assert voices[0].id == MEI_VOICE_ID == DEFAULT_VOICE_ID
    assert voices[0].language == "ja-JP"
    assert voices[0].engine == "openjtalk"
    assert voices[0].sample_rate == 48000


@pytest.mark.parametrize("requested", [None, "", "ja", "ja-JP", "ja_JP", MEI_VOICE_ID])
def test_resolve_japanese(requested: str | None) -> None:
    assert VoiceRegistry().resolve(requested).id == MEI_VOICE_ID


@pytest.mark.skipif(not joe_voice_installed(), reason="motmedia[en] not installed")
@pytest.mark.parametrize("requested", ["en", "en-US", "EN", JOE_VOICE_ID])
def test_resolve_english(requested: str) -> None:
    assert VoiceRegistry().resolve(requested).id == JOE_VOICE_ID


@pytest.mark.parametrize("requested", ["fr", "ja_JP-takumi", "x" * 200, "english"])
def test_unknown_voice(requested: str) -> None:
    with pytest.raises(BadInput) as err:
        VoiceRegistry().resolve(requested)
    assert err.value.code == "UNKNOWN_VOICE"


def test_engines_load_once_even_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    registry = VoiceRegistry(factories={"openjtalk": factory})
    with ThreadPoolExecutor(8) as pool:
        engines = list(pool.map(lambda _: registry.engine("openjtalk"), range(32)))
    assert len(made) == 1
    assert all(e is made[0] for e in engines)
