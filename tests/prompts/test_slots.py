"""Message slots over HTTP: quota, audio in every format, bad input, isolation, the check.

Real Open JTalk renders on SQLite and PostgreSQL. Tests marked ``slow`` also run the real
Whisper round trip; the others run with no speech model, so their checks end ``failed``.
"""

from __future__ import annotations

import av
import pytest
from fastapi.testclient import TestClient

from motmedia.media.encode import FORMATS
from motmedia.media.level import active_speech_level, peak_dbfs

from ..conftest import auth
from ..tts.helpers import decode
from .helpers import Fleet, assert_problem, wait_checked

HOLD = "ただいま電話が混み合っております。少々お待ちください。"
NOTICE = "この通話は品質向上のため録音させていただきます。"
PBX_FORMATS = ("wav8k", "wav16k", "wav", "wav-ulaw", "wav-alaw", "ulaw", "alaw", "sln16", "mp3")


def put(client: TestClient, device: str, slot: int, key: str, **body: object):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/devices/{device}/messages/{slot}", headers=auth(key), json=body)


def test_slot_quota_via_api(client: TestClient, fleet: Fleet) -> None:
    admin = fleet.keys.admin_a
    assert put(client, fleet.bare, 1, admin, text=HOLD).status_code == 201
    body = assert_problem(put(client, fleet.bare, 2, admin, text=HOLD), 403, "QUOTA_EXCEEDED")
    assert (body["feature"], body["limit"], body["used"]) == ("prompts.hold", 1, 1)
    for slot in range(1, 6):
        r = put(client, fleet.pbx, slot, admin, text=f"{HOLD}{slot}番", kind="hold")
        assert r.status_code == 201, r.text
    body = assert_problem(put(client, fleet.pbx, 6, admin, text=HOLD), 403, "QUOTA_EXCEEDED")
    assert (body["limit"], body["used"]) == (5, 5)
    # Nothing was stored for the refused slots; replacing a filled one needs no quota.
    assert client.get(f"/v1/devices/{fleet.pbx}/messages/6", headers=auth(admin)).status_code == 404
    r = put(client, fleet.pbx, 5, admin, text=NOTICE, kind="recording_notice")
    assert r.status_code == 200 and r.json()["kind"] == "recording_notice"
    listed = client.get(f"/v1/devices/{fleet.pbx}/messages", headers=auth(fleet.pbx_key)).json()
    assert [s["slot"] for s in listed] == [1, 2, 3, 4, 5]


def test_slot_audio_in_every_pbx_format(client: TestClient, fleet: Fleet) -> None:
    assert put(client, fleet.pbx, 1, fleet.keys.admin_a, text=HOLD).status_code == 201
    url = f"/v1/devices/{fleet.pbx}/messages/1/audio"
    for name in PBX_FORMATS:
        fmt = FORMATS[name]
        r = client.get(url, params={"format": name}, headers=auth(fleet.pbx_key))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(fmt.media_type.split(";")[0])
        assert r.headers["content-disposition"].endswith(f'"message-01{fmt.extension}"')
        decoded = decode(r.content, fmt)
        assert (decoded.sample_rate, decoded.channels) == (fmt.sample_rate, 1)
        assert decoded.codec_id == av.Codec(fmt.codec, "w").id
        if name != "mp3":
            level = active_speech_level(decoded.samples, decoded.sample_rate).level_dbov
            assert level == pytest.approx(-26.0, abs=1.0), name
            assert peak_dbfs(decoded.samples) <= -1.0
    # The 16 kHz render made at write time is a cache hit; a repeat download is too.
    first = client.get(url, params={"format": "wav16k"}, headers=auth(fleet.pbx_key))
    assert first.headers["x-cache"] == "hit"
    again = client.get(url, params={"format": "wav8k"}, headers=auth(fleet.pbx_key))
    assert again.headers["x-cache"] == "hit"
    r = client.get(
        url,
        params={"format": "wav8k"},
        headers={**auth(fleet.pbx_key), "If-None-Match": again.headers["etag"]},
    )
    assert r.status_code == 304 and not r.content


def test_bad_slot_input_is_422_and_stores_nothing(client: TestClient, fleet: Fleet) -> None:
    admin = fleet.keys.admin_a
    cases = [
        ({"text": ""}, "VALIDATION_FAILED"),
        ({"text": "   "}, "INVALID_TEXT"),
        ({"text": "。。。"}, "EMPTY_TEXT"),
        ({"text": "<speak>少々<audio src='x'/></speak>", "ssml": True}, "INVALID_SSML"),
        ({"text": "<speak>少々お待ちください", "ssml": True}, "INVALID_SSML"),
        ({"text": HOLD, "voice": "ja_JP-nobody"}, "UNKNOWN_VOICE"),
        ({"text": HOLD, "voice": "en"}, "VOICE_LANGUAGE_MISMATCH"),
        ({"text": HOLD, "kind": "music"}, "VALIDATION_FAILED"),
    ]
    for body, code in cases:
        assert_problem(put(client, fleet.pbx, 1, admin, **body), 422, code)
    assert client.get(f"/v1/devices/{fleet.pbx}/messages", headers=auth(admin)).json() == []
    assert_problem(put(client, fleet.pbx, 100, admin, text=HOLD), 422, "VALIDATION_FAILED")
    assert put(client, fleet.pbx, 1, admin, text=HOLD).status_code == 201
    r = client.get(
        f"/v1/devices/{fleet.pbx}/messages/1/audio", params={"format": "flac"}, headers=auth(admin)
    )
    assert_problem(r, 422, "UNKNOWN_FORMAT")
    # SSML is spoken, not read out: the plan has the break and no tag names.
    r = put(
        client,
        fleet.pbx,
        2,
        admin,
        ssml=True,
        text='<speak>少々<break time="500ms"/>お待ちください。</speak>',
    )
    assert r.status_code == 201 and r.json()["ssml"] is True


def test_other_tenants_device_is_404(client: TestClient, fleet: Fleet) -> None:
    keys = fleet.keys
    assert put(client, fleet.pbx, 1, keys.admin_a, text=HOLD).status_code == 201
    base = f"/v1/devices/{fleet.pbx}"
    for url in (
        f"{base}/messages",
        f"{base}/messages/1",
        f"{base}/messages/1/audio",
        f"{base}/ivr",
        f"{base}/prompts/export.zip",
    ):
        assert_problem(client.get(url, headers=auth(keys.admin_b)), 404, "DEVICE_NOT_FOUND")
    assert_problem(put(client, fleet.pbx, 2, keys.admin_b, text=HOLD), 404, "DEVICE_NOT_FOUND")
    r = client.delete(f"{base}/messages/1", headers=auth(keys.admin_b))
    assert_problem(r, 404, "DEVICE_NOT_FOUND")
    # A device key sees its own device only, and may not write prompts.
    r = client.get(f"/v1/devices/{fleet.bare}/messages", headers=auth(fleet.pbx_key))
    assert_problem(r, 404, "DEVICE_NOT_FOUND")
    assert_problem(put(client, fleet.pbx, 2, fleet.pbx_key, text=HOLD), 403, "MISSING_SCOPE")
    assert client.get(f"{base}/messages/1", headers=auth(keys.admin_a)).status_code == 200


def test_check_without_a_model_fails_cleanly(client: TestClient, fleet: Fleet) -> None:
    r = put(client, fleet.pbx, 1, fleet.keys.admin_a, text=HOLD)
    assert r.status_code == 201
    assert r.json()["check"]["status"] == "pending" and r.json()["cer"] is None
    url = f"/v1/devices/{fleet.pbx}/messages/1"
    body = wait_checked(client, url, fleet.keys.admin_a, timeout=60)
    assert body["check"]["status"] == "failed"
    assert "does not exist" in body["check"]["error"]
    assert (body["cer"], body["cer_flagged"]) == (None, None)
    # The prompt itself is stored and playable.
    audio = client.get(f"{url}/audio", headers=auth(fleet.keys.admin_a))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"


@pytest.mark.slow
def test_round_trip_check_scores_and_flags(client: TestClient, fleet: Fleet) -> None:
    admin = fleet.keys.admin_a
    url = f"/v1/devices/{fleet.pbx}/messages"
    assert put(client, fleet.pbx, 1, admin, text=NOTICE, kind="recording_notice").status_code == 201
    body = wait_checked(client, f"{url}/1", admin)
    check = body["check"]
    assert check["status"] == "done" and check["threshold"] == 0.3
    assert body["cer"] is not None and body["cer"] <= 0.3 and body["cer_flagged"] is False
    assert check["prompts"][0]["expected"].startswith("コノツーワワ")
    assert "録音" in check["prompts"][0]["heard"]
    # Saving the same text again keeps the finished check (same render, nothing queued).
    again = put(client, fleet.pbx, 1, admin, text=NOTICE, kind="recording_notice").json()
    assert again["check"]["status"] == "done" and again["cer"] == body["cer"]
    # Gibberish renders fine but nobody can follow it: flagged.
    gibberish = "ヌポャギェ、ヮヂョズィ。ピュヌペヴォ、ドゥミャヅ。"
    assert put(client, fleet.pbx, 2, admin, text=gibberish).status_code == 201
    flagged = wait_checked(client, f"{url}/2", admin)
    assert flagged["check"]["status"] == "done"
    assert flagged["cer"] > 0.3 and flagged["cer_flagged"] is True
    # Replacing the text queues a fresh check for the new render.
    r = put(client, fleet.pbx, 2, admin, text=HOLD)
    assert r.json()["check"]["status"] == "pending"
    assert wait_checked(client, f"{url}/2", admin)["cer_flagged"] is False
