"""Rendering end to end with the real engines: level, formats, cache, SSML, errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from motmedia.config import Settings
from motmedia.errors import BadInput
from motmedia.media.encode import FORMATS
from motmedia.media.level import active_speech_level, peak_dbfs
from motmedia.tts.base import SynthesisOptions
from motmedia.tts.piper import joe_voice_installed
from motmedia.tts.render import Renderer, spoken_plan
from motmedia.tts.ssml import Silence, Speech
from motmedia.tts.voices import VoiceRegistry

from .helpers import CountingEngine, decode

pytestmark = pytest.mark.slow

GREETING = (
    "お電話ありがとうございます。受付時間は平日9:00～17:30です。"
    "お問い合わせは03-5330-1165までお電話ください。"
)


@pytest.mark.parametrize("name", ["wav", "wav8k", "sln16", "ulaw", "alaw", "wav-ulaw"])
def test_level_is_minus_26_dbov_and_never_clips(renderer: Renderer, name: str) -> None:
    fmt = FORMATS[name]
    decoded = decode(renderer.render(GREETING, format=name).data, fmt)
    level = active_speech_level(decoded.samples, decoded.sample_rate)
    assert level.level_dbov == pytest.approx(-26.0, abs=1.0)
    assert peak_dbfs(decoded.samples) <= -1.0


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_decodes_as_declared(renderer: Renderer, name: str) -> None:
    fmt = FORMATS[name]
    result = renderer.render("少々お待ちください。", format=name)
    assert (result.media_type, result.extension, result.format) == (
        fmt.media_type,
        fmt.extension,
        fmt.name,
    )
    decoded = decode(result.data, fmt)
    assert decoded.sample_rate == fmt.sample_rate
    assert decoded.channels == 1
    import av

    assert decoded.codec_id == av.Codec(fmt.codec, "w").id
    assert 0.8 < len(decoded.samples) / fmt.sample_rate < 3.0


def test_edge_silence_is_trimmed_to_the_set_length(renderer: Renderer) -> None:
    options = SynthesisOptions(edge_silence_ms=150)
    decoded = decode(renderer.render("はい。", options=options, format="wav").data, FORMATS["wav"])
    x, rate = decoded.samples, decoded.sample_rate
    loud = np.flatnonzero(np.abs(x) > 10 ** (-50 / 20))
    assert loud[0] / rate == pytest.approx(0.15, abs=0.02)
    assert (len(x) - loud[-1]) / rate == pytest.approx(0.15, abs=0.02)


def test_cache_hit_returns_identical_bytes_without_synthesising(
    counting: tuple[Renderer, CountingEngine],
) -> None:
    renderer, engine = counting
    first = renderer.render(GREETING, format="wav8k")
    assert not first.cache_hit and engine.calls == 1
    second = renderer.render(GREETING, format="wav8k")
    assert second.cache_hit
    assert second.data == first.data and second.key == first.key
    assert engine.calls == 1
    assert renderer.cache is not None
    assert renderer.cache.path(first.key, ".wav").read_bytes() == first.data


def test_cache_key_covers_options_format_and_dictionary(
    counting: tuple[Renderer, CountingEngine],
) -> None:
    renderer, engine = counting
    keys = {
        renderer.render("山田です", format="wav").key,
        renderer.render("山田です", format="ulaw").key,
        renderer.render("山田です", format="wav", options=SynthesisOptions(speed=1.2)).key,
        renderer.render("山田です", format="wav", options=SynthesisOptions(pitch=2)).key,
        renderer.render("山田です", format="wav", dictionary={"山田": "やまだ"}).key,
        renderer.render("山田です", format="wav", dictionary={"山田": "さんだ"}).key,
    }
    assert len(keys) == 6 and engine.calls == 6
    # "wav" and "wav16k" are the same bytes: the key is the format's content, not its name.
    assert renderer.render("山田です", format="wav16k").cache_hit


def test_cache_survives_a_new_renderer(tmp_path: Path, registry: VoiceRegistry) -> None:
    with Renderer(cache_dir=tmp_path / "c", registry=registry) as one:
        first = one.render("はい。", format="ulaw")
    with Renderer(cache_dir=tmp_path / "c", registry=registry) as two:
        again = two.render("はい。", format="ulaw")
    assert again.cache_hit and again.data == first.data
    assert not list((tmp_path / "c").rglob(".tmp-*"))


def test_an_empty_cache_file_is_a_miss(renderer: Renderer) -> None:
    first = renderer.render("はい。", format="wav")
    assert renderer.cache is not None
    renderer.cache.path(first.key, ".wav").write_bytes(b"")
    again = renderer.render("はい。", format="wav")
    assert not again.cache_hit and again.data == first.data


def test_from_settings_caches_under_data_dir(tmp_path: Path) -> None:
    with Renderer.from_settings(Settings(data_dir=tmp_path)) as renderer:
        assert renderer.cache is not None
        assert renderer.cache.root == tmp_path / "tts-cache"


def test_parallel_renders_match_sequential(registry: VoiceRegistry, tmp_path: Path) -> None:
    texts = [f"{n}番の窓口へどうぞ。" for n in range(1, 7)]
    with Renderer(cache_dir=None, registry=registry, workers=2) as renderer:
        sequential = [renderer.render(t, format="wav").data for t in texts]
        futures = [renderer.submit(t, format="wav") for t in texts]
        assert [f.result().data for f in futures] == sequential
        with ThreadPoolExecutor(3) as pool:
            threaded = list(pool.map(lambda t: renderer.render(t, format="wav").data, texts))
        assert threaded == sequential


def test_ssml_break_adds_its_silence(renderer: Renderer) -> None:
    fmt = FORMATS["wav"]
    plain = decode(renderer.render("<speak>はい。いいえ。</speak>",
                                   options=SynthesisOptions(ssml=True)).data, fmt)  # fmt: skip
    paused = decode(
        renderer.render(
            '<speak>はい。<break time="1s"/>いいえ。</speak>', options=SynthesisOptions(ssml=True)
        ).data,
        fmt,
    )
    extra = (len(paused.samples) - len(plain.samples)) / fmt.sample_rate
    # Open JTalk's own sentence-final pause is kept too, so a little more than 1 s.
    assert 0.9 < extra < 1.6


def test_leading_break_is_kept_on_top_of_edge_silence(renderer: Renderer) -> None:
    fmt = FORMATS["wav"]
    result = renderer.render(
        '<speak><break time="500ms"/>はい。</speak>', options=SynthesisOptions(ssml=True)
    )
    x = decode(result.data, fmt).samples
    first = np.flatnonzero(np.abs(x) > 10 ** (-50 / 20))[0] / fmt.sample_rate
    assert first == pytest.approx(0.5 + 0.15, abs=0.03)


def test_spoken_plan_merges_say_as_into_the_sentence(registry: VoiceRegistry) -> None:
    voice = registry.resolve("ja")
    plan = spoken_plan(
        '<speak>番号は<say-as interpret-as="telephone">0120-123-456</say-as>です。'
        '<break time="300ms"/><prosody rate="slow">9:00から</prosody></speak>',
        voice=voice,
        ssml=True,
    )
    assert plan == [
        Speech("番号はゼロイチニーゼロノ、イチニーサンノ、ヨンゴーロクです。"),
        Silence(300),
        Speech("9時から", rate=0.8),
    ]


@pytest.mark.parametrize(
    ("text", "options", "code"),
    [
        ("", SynthesisOptions(), "EMPTY_TEXT"),
        ("   ", SynthesisOptions(), "EMPTY_TEXT"),
        ("。。。", SynthesisOptions(), "EMPTY_TEXT"),
        ("<speak><break time='1s'/></speak>", SynthesisOptions(ssml=True), "EMPTY_TEXT"),
        ("あ" * 10_001, SynthesisOptions(), "TEXT_TOO_LARGE"),
        ("<speak><audio/></speak>", SynthesisOptions(ssml=True), "INVALID_SSML"),
        ("はい", SynthesisOptions(voice="fr"), "UNKNOWN_VOICE"),
    ],
)
def test_bad_input(renderer: Renderer, text: str, options: SynthesisOptions, code: str) -> None:
    with pytest.raises(BadInput) as err:
        renderer.render(text, options=options)
    assert err.value.code == code


def test_bad_format(renderer: Renderer) -> None:
    with pytest.raises(BadInput) as err:
        renderer.render("はい", format="flac")
    assert err.value.code == "UNKNOWN_FORMAT"


@pytest.mark.parametrize(
    "kwargs", [{"speed": 0.2}, {"speed": 3}, {"pitch": 24}, {"target_dbov": 0}]
)
def test_bad_options(kwargs: dict[str, float]) -> None:
    with pytest.raises(BadInput) as err:
        SynthesisOptions(**kwargs)
    assert err.value.code == "INVALID_OPTION"


@pytest.mark.skipif(not joe_voice_installed(), reason="motmedia[en] not installed")
def test_english_prompt(renderer: Renderer) -> None:
    options = SynthesisOptions(voice="en", ssml=True)
    result = renderer.render(
        '<speak>Thank you for calling. Our number is <say-as interpret-as="telephone">'
        "555-0123</say-as>.</speak>",
        options=options,
        format="wav8k",
    )
    assert result.voice == "en_US-joe-medium"
    decoded = decode(result.data, FORMATS["wav8k"])
    assert decoded.sample_rate == 8000
    assert active_speech_level(decoded.samples, 8000).level_dbov == pytest.approx(-26, abs=1)
    assert renderer.render(
        '<speak>Thank you for calling. Our number is <say-as interpret-as="telephone">'
        "555-0123</say-as>.</speak>",
        options=options,
        format="wav8k",
    ).data == result.data  # fmt: skip
