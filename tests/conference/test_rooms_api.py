"""Rooms and join tokens over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from motmedia.conference import tokens
from motmedia.errors import Forbidden, Unauthorized

from ..conftest import auth
from .fixtures import make_pbx, make_room, make_token


@pytest.fixture
def pbx(client, keys):
    return make_pbx(client, keys)


def test_room_lifecycle_and_listing(client, pbx):
    room = make_room(client, pbx.device_key, kind="video_call", name="受付")
    assert room["device_id"] == pbx.device
    assert room["max_participants"] == 2
    admin_room = make_room(client, pbx.keys.admin_a, device_id=pbx.device, media="audio")
    for _ in range(2):
        make_room(client, pbx.keys.admin_a, device_id=pbx.device, kind="entrance", name="玄関")

    r = client.get("/v1/rooms?limit=3", headers=auth(pbx.keys.admin_a))
    assert r.status_code == 200
    first = r.json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    r = client.get(f"/v1/rooms?limit=3&cursor={first['next_cursor']}",
                   headers=auth(pbx.keys.admin_a))  # fmt: skip
    ids = [x["id"] for x in first["items"] + r.json()["items"]]
    assert len(set(ids)) == 4 and room["id"] in ids and admin_room["id"] in ids

    r = client.get(f"/v1/rooms/{room['id']}", headers=auth(pbx.device_key))
    assert r.status_code == 200
    assert r.json()["live"] is False and r.json()["participants"] == []
    assert client.delete(f"/v1/rooms/{room['id']}", headers=auth(pbx.device_key)).status_code == 204
    r = client.get(f"/v1/rooms/{room['id']}", headers=auth(pbx.device_key))
    assert r.status_code == 404 and r.json()["code"] == "ROOM_NOT_FOUND"


def test_tenant_isolation(client, pbx):
    room = make_room(client, pbx.device_key)
    other = auth(pbx.keys.admin_b)
    assert client.get(f"/v1/rooms/{room['id']}", headers=other).status_code == 404
    assert client.delete(f"/v1/rooms/{room['id']}", headers=other).status_code == 404
    r = client.post(f"/v1/rooms/{room['id']}/tokens", headers=other, json={"identity": "x"})
    assert r.status_code == 404
    assert client.get("/v1/rooms", headers=other).json()["items"] == []
    # Tenant B cannot open a room on tenant A's device, nor a device key on another device.
    r = client.post("/v1/rooms", headers=other,
                    json={"kind": "conference", "name": "x", "device_id": pbx.device})  # fmt: skip
    assert r.status_code == 404
    r = client.post("/v1/rooms", headers=auth(pbx.device_b_key),
                    json={"kind": "conference", "name": "x", "device_id": pbx.device})  # fmt: skip
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("kind", "media", "feature"),
    [
        ("video_call", "audio_video", "video.call"),
        ("conference", "audio_video", "conference.video"),
        ("conference", "audio", "conference.audio"),
        ("entrance", "audio_video", "video.entrance"),
    ],
)
def test_device_without_the_feature_is_refused(client, pbx, kind, media, feature):
    r = client.post("/v1/rooms", headers=auth(pbx.bare_key),
                    json={"kind": kind, "media": media, "name": "x"})  # fmt: skip
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "NO_CONTRACT"
    assert r.json()["feature"] == feature


def test_mini_has_no_voice_conference(client, pbx):
    r = client.post("/v1/rooms", headers=auth(pbx.keys.admin_a),
                    json={"kind": "conference", "media": "audio", "name": "x",
                          "device_id": pbx.mini})  # fmt: skip
    assert r.status_code == 403 and r.json()["code"] == "MODEL_EXCLUDED"


def test_bad_input_is_422(client, pbx):
    h = auth(pbx.device_key)
    for body in ({"kind": "party", "name": "x"}, {"kind": "conference", "name": ""},
                 {"kind": "video_call", "name": "x", "max_participants": 3}):  # fmt: skip
        r = client.post("/v1/rooms", headers=h, json=body)
        assert r.status_code == 422, body
    r = client.post("/v1/rooms", headers=auth(pbx.keys.admin_a),
                    json={"kind": "conference", "name": "x"})  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "DEVICE_REQUIRED"
    room = make_room(client, h["Authorization"].split()[1])
    r = client.post(f"/v1/rooms/{room['id']}/tokens", headers=h,
                    json={"identity": "a", "ttl": 86401})  # fmt: skip
    assert r.status_code == 422


def test_token_claims_and_verification(client, app, pbx):
    room = make_room(client, pbx.device_key)
    other = make_room(client, pbx.device_key)
    r = client.post(f"/v1/rooms/{room['id']}/tokens", headers=auth(pbx.device_key),
                    json={"identity": "alice", "display_name": "山田", "can_publish": False,
                          "ttl": 600})  # fmt: skip
    assert r.status_code == 201
    body = r.json()
    assert body["signal_url"] == f"/v1/rooms/{room['id']}/signal"
    key = app.state.motmedia.settings.secret("token_signing_key")
    claims = jwt.decode(body["token"], key, algorithms=["HS256"], issuer="motmedia")
    assert claims["sub"] == "alice" and claims["room"] == room["id"] and claims["jti"]
    assert claims["grants"] == {"publish": False, "subscribe": True}
    assert claims["exp"] - claims["nbf"] == 600

    grant = tokens.verify(key=key, token=body["token"], room_id=room["id"])
    assert grant.identity == "alice" and not grant.can_publish and grant.can_subscribe
    with pytest.raises(Forbidden) as exc:
        tokens.verify(key=key, token=body["token"], room_id=other["id"])
    assert exc.value.code == "TOKEN_WRONG_ROOM"
    with pytest.raises(Unauthorized) as exc:
        tokens.verify(key=b"another key" * 3, token=body["token"], room_id=room["id"])
    assert exc.value.code == "INVALID_TOKEN"
    past = datetime.now(UTC) - timedelta(hours=2)
    expired, _ = tokens.mint(key=key, room_id=room["id"], identity="a", display_name="a",
                             can_publish=True, can_subscribe=True, ttl=timedelta(hours=1),
                             now=past)  # fmt: skip
    with pytest.raises(Unauthorized) as exc:
        tokens.verify(key=key, token=expired, room_id=room["id"])
    assert exc.value.code == "TOKEN_EXPIRED"
    wrong_issuer = jwt.encode({**claims, "iss": "someone"}, key, algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (wrong_issuer, unsigned, "not.a.jwt"):
        with pytest.raises(Unauthorized):
            tokens.verify(key=key, token=token, room_id=room["id"])


def test_minting_asks_the_entitlement_engine_again(client, pbx):
    room = make_room(client, pbx.keys.admin_a, device_id=pbx.device)
    assert make_token(client, pbx.keys.admin_a, room["id"], "a")
    # The contract is withdrawn: no more tokens for the room.
    h = auth(pbx.keys.vendor)
    for c in client.get(f"/v1/devices/{pbx.device}/contracts", headers=h).json():
        r = client.delete(f"/v1/devices/{pbx.device}/contracts/{c['id']}", headers=h)
        assert r.status_code == 204, r.text
    r = client.post(f"/v1/rooms/{room['id']}/tokens", headers=auth(pbx.keys.admin_a),
                    json={"identity": "b"})  # fmt: skip
    assert r.status_code == 403 and r.json()["code"] == "NO_CONTRACT"
