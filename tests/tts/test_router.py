"""POST /v1/tts, POST /v1/audio/speech, GET /v1/voices and /v1/tts/formats with real engines,
on SQLite and PostgreSQL."""

from __future__ import annotations

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient

from motmedia.media.encode import FORMATS, Format
from motmedia.media.level import active_speech_level, peak_dbfs
from motmedia.tts.piper import joe_voice_installed

from ..conftest import Keys, auth
from ..prompts.helpers import Fleet, assert_problem, make_device, make_fleet
from .helpers import decode

GREETING = "お電話ありがとうございます。受付時間は平日9:00～17:30です。"
LEVELLED = ("wav", "wav8k", "wav-ulaw", "wav-alaw", "ulaw", "alaw", "sln", "sln16")


@pytest.fixture
def fleet(client: TestClient, keys: Keys) -> Fleet:
    return make_fleet(client, keys)


def tts(client: TestClient, key: str, device: str | None = None, **body: object):  # type: ignore[no-untyped-def]
    params = {"device_id": device} if device else {}
    return client.post("/v1/tts", headers=auth(key), params=params, json=body)


def test_uncontracted_device_is_refused(client: TestClient, fleet: Fleet) -> None:
    body = assert_problem(tts(client, fleet.bare_key, text=GREETING), 403, "NO_CONTRACT")
    assert body["feature"] == "tts.synthesize" and body["reason"]
    r = client.post(
        "/v1/audio/speech", headers=auth(fleet.bare_key), json={"input": GREETING, "voice": "nova"}
    )
    assert_problem(r, 403, "NO_CONTRACT")
    assert_problem(tts(client, fleet.keys.admin_a, fleet.bare, text="はい"), 403, "NO_CONTRACT")


def test_every_format_decodes_as_declared_at_the_telephony_level(
    client: TestClient, fleet: Fleet
) -> None:
    for name, fmt in FORMATS.items():
        r = tts(client, fleet.pbx_key, text=GREETING, format=name)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == fmt.media_type
        assert r.headers["content-disposition"] == f'inline; filename="speech{fmt.extension}"'
        assert r.headers["x-voice"] == "ja_JP-mei-normal"
        decoded = decode(r.content, fmt)
        assert (decoded.sample_rate, decoded.channels) == (fmt.sample_rate, 1), name
        assert decoded.codec_id == av.Codec(fmt.codec, "w").id, name
        assert 2.0 < len(decoded.samples) / fmt.sample_rate < 10.0
        if name in LEVELLED:  # lossy browser codecs shift the level a little; not asserted
            level = active_speech_level(decoded.samples, decoded.sample_rate).level_dbov
            assert level == pytest.approx(-26.0, abs=1.0), name
            assert peak_dbfs(decoded.samples) <= -1.0, name


def test_second_identical_request_is_a_cache_hit(client: TestClient, fleet: Fleet) -> None:
    body = {"text": GREETING, "format": "wav8k", "speed": 1.1}
    first = tts(client, fleet.pbx_key, **body)
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    etag = first.headers["etag"]
    assert len(etag.strip('"')) == 64
    second = tts(client, fleet.keys.admin_a, fleet.pbx, **body)  # same request, other caller
    assert second.headers["x-cache"] == "hit"
    assert second.headers["etag"] == etag and second.content == first.content
    r = client.post("/v1/tts", headers={**auth(fleet.pbx_key), "If-None-Match": etag}, json=body)
    assert r.status_code == 304 and not r.content
    other = tts(client, fleet.pbx_key, **{**body, "speed": 1.2})
    assert other.headers["x-cache"] == "miss" and other.headers["etag"] != etag


def test_tenant_reading_dictionary_changes_the_reading(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/customers",
        headers=auth(keys.vendor),
        json={"name": "株式会社オフィス24", "settings": {"reading_dictionary": {
            "オフィス24": "オフィスニーヨン", "*": "ホシ"}}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    custom = r.json()["id"]
    _, custom_key = make_device(client, keys, custom, "MOT/PBX M-V3", "C1", contract=True)
    _, plain_key = make_device(client, keys, keys.customer_a, "MOT/PBX M-V3", "A9", contract=True)

    def etag(key: str, text: str) -> str:
        r = tts(client, key, text=text, format="wav8k")
        assert r.status_code == 200, r.text
        return str(r.headers["etag"])

    # The tenant's words are spoken exactly as if the reading had been written out, and
    # differently from another tenant's default reading of the same text.
    with_dictionary = etag(custom_key, "オフィス24です。*を押してください。")
    assert with_dictionary == etag(plain_key, "オフィスニーヨンです。ホシを押してください。")
    assert with_dictionary != etag(plain_key, "オフィス24です。*を押してください。")


def test_bad_input_is_422_problem_json(client: TestClient, fleet: Fleet) -> None:
    key = fleet.pbx_key
    cases = [
        ({"text": ""}, "VALIDATION_FAILED"),
        ({"text": "  \n "}, "EMPTY_TEXT"),
        ({"text": "<speak>はい<audio src='x'/></speak>", "ssml": True}, "INVALID_SSML"),
        ({"text": "<speak>はい", "ssml": True}, "INVALID_SSML"),
        ({"text": "<!DOCTYPE x><speak>はい</speak>", "ssml": True}, "INVALID_SSML"),
        ({"text": "はい", "voice": "xx_XX-nobody"}, "UNKNOWN_VOICE"),
        ({"text": "はい", "format": "flac"}, "UNKNOWN_FORMAT"),
        ({"text": "はい", "speed": 5}, "INVALID_OPTION"),
        ({"text": "はい", "pitch": 40}, "INVALID_OPTION"),
        ({"text": "x" * 10_001}, "VALIDATION_FAILED"),
    ]
    for body, code in cases:
        assert_problem(tts(client, key, **body), 422, code)
    # SSML within the subset is spoken.
    ssml = (
        '<speak>お電話ありがとうございます。<break time="300ms"/>'
        '<say-as interpret-as="telephone">03-5330-1165</say-as></speak>'
    )
    assert tts(client, key, text=ssml, ssml=True).status_code == 200


def test_device_resolution_and_isolation(client: TestClient, fleet: Fleet) -> None:
    keys = fleet.keys
    assert_problem(tts(client, keys.admin_a, text="はい"), 422, "DEVICE_REQUIRED")
    assert_problem(tts(client, keys.admin_b, fleet.pbx, text="はい"), 404, "DEVICE_NOT_FOUND")
    assert tts(client, keys.admin_a, fleet.pbx, text="はい").status_code == 200
    assert tts(client, keys.vendor, fleet.other, text="はい").status_code == 200
    assert client.post("/v1/tts", json={"text": "はい"}).status_code == 401


def test_openai_compatible_speech(client: TestClient, fleet: Fleet) -> None:
    def speech(**body: object):  # type: ignore[no-untyped-def]
        return client.post("/v1/audio/speech", headers=auth(fleet.pbx_key), json=body)

    for response_format, name in (("mp3", "mp3"), ("opus", "opus"), ("wav", "wav")):
        r = speech(model="tts-1", input=GREETING, voice="alloy", response_format=response_format)
        assert r.status_code == 200, r.text
        fmt = FORMATS[name]
        decoded = decode(r.content, fmt)
        assert (decoded.sample_rate, decoded.channels) == (fmt.sample_rate, 1)
        assert r.headers["x-voice"] == "ja_JP-mei-normal"  # Japanese input, stock voice name
    r = speech(input=GREETING, voice="alloy")  # OpenAI's default format is mp3
    assert r.headers["content-type"] == "audio/mpeg"

    pcm = speech(input=GREETING, voice="nova", response_format="pcm")
    assert pcm.status_code == 200 and pcm.headers["content-type"] == "audio/pcm"
    raw = Format("pcm", "audio/pcm", ".pcm", 24000, "s16le", "pcm_s16le")
    decoded = decode(pcm.content, raw)
    assert decoded.sample_rate == 24000 and len(pcm.content) % 2 == 0
    wav = decode(
        speech(input=GREETING, voice="nova", response_format="wav").content, FORMATS["wav"]
    )
    # Same speech, same length: 24 kHz PCM is the 16 kHz render resampled, not sped up.
    assert len(decoded.samples) / 24000 == pytest.approx(len(wav.samples) / 16000, abs=0.01)
    level = active_speech_level(decoded.samples, 24000).level_dbov
    assert level == pytest.approx(-26.0, abs=1.0) and peak_dbfs(decoded.samples) <= -1.0
    assert pcm.headers["etag"].endswith('-pcm24k"')

    assert_problem(speech(input=GREETING, response_format="flac"), 422, "VALIDATION_FAILED")
    assert_problem(speech(input=GREETING, speed=4.0), 422, "INVALID_OPTION")
    assert_problem(speech(input=""), 422, "VALIDATION_FAILED")
    r = speech(input=GREETING, voice="ja_JP-mei-normal", response_format="wav")
    assert r.status_code == 200
    if joe_voice_installed():
        r = speech(input="Thank you for calling.", voice="alloy", response_format="wav")
        assert r.status_code == 200 and r.headers["x-voice"] != "ja_JP-mei-normal"
        samples = decode(r.content, FORMATS["wav"]).samples
        assert float(np.abs(samples).max()) > 0.05


def test_voices_and_formats_need_only_a_valid_key(client: TestClient, fleet: Fleet) -> None:
    for key in (fleet.bare_key, fleet.keys.admin_b, fleet.keys.vendor):
        voices = client.get("/v1/voices", headers=auth(key)).json()
        assert voices[0] == {
            "id": "ja_JP-mei-normal",
            "language": "ja-JP",
            "engine": "openjtalk",
            "sample_rate": 48000,
            "description": voices[0]["description"],
            "license": "CC BY 3.0",
            "default": True,
        }
        assert [v["default"] for v in voices].count(True) == 1
    assert (len(voices) == 2) == joe_voice_installed()
    formats = client.get("/v1/tts/formats", headers=auth(fleet.bare_key)).json()
    assert [f["name"] for f in formats] == list(FORMATS)
    assert client.get("/v1/voices").status_code == 401
