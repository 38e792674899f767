# ruff: noqa: F811  (pytest fixtures imported from .live are parameters here)
"""RTSP entrance cameras: API, credentials at rest, and a real RTSP camera to a WHEP viewer."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from motmedia.conference import decoder_counts
from motmedia.conference.cameras import (
    annex_b,
    decrypt_credentials,
    encrypt_credentials,
    parameter_sets,
    split_credentials,
    with_parameter_sets,
)
from motmedia.conference.keyframes import h264_is_keyframe
from motmedia.conference.models import Camera, Room

from ..conftest import auth
from .fixtures import make_room, make_token
from .live import free_port, live_server  # noqa: F401  (fixture)
from .test_whip import whep_view

SERVER = Path(__file__).with_name("rtsp_server.py")
SPS = b"\x00\x00\x00\x01\x67\x42\xc0\x15"
PPS = b"\x00\x00\x00\x01\x68\xce\x3c\x80"
IDR = b"\x00\x00\x00\x01\x65\x88\x84"


def test_credentials_helpers() -> None:
    url, user, pw = split_credentials("rtsp://ad%40m:p%3Ass@cam.local:554/live?x=1")
    assert (url, user, pw) == ("rtsp://cam.local:554/live?x=1", "ad@m", "p:ss")
    assert split_credentials("rtsp://cam/live") == ("rtsp://cam/live", None, None)
    key = b"k" * 32
    blob = encrypt_credentials(key, "admin", "secret")
    assert blob is not None and b"secret" not in blob
    assert decrypt_credentials(key, blob) == ("admin", "secret")
    assert encrypt_credentials(key, None, None) is None


def test_parameter_sets_inserted_before_idr() -> None:
    avcc = b"\x01\x42\xc0\x15\xff\xe1\x00\x04" + SPS[4:] + b"\x01\x00\x04" + PPS[4:]
    assert parameter_sets(avcc) == SPS + PPS
    assert parameter_sets(SPS + PPS) == SPS + PPS
    frame = with_parameter_sets(IDR, SPS + PPS)
    assert frame == SPS + PPS + IDR and h264_is_keyframe(frame)
    assert with_parameter_sets(SPS + PPS + IDR, SPS + PPS) == SPS + PPS + IDR
    delta = b"\x00\x00\x00\x01\x41\x9a"
    assert with_parameter_sets(delta, SPS + PPS) == delta
    assert annex_b(b"\x00\x00\x00\x03\x65\x88\x84") == IDR


def _uncontracted_entrance_room(server) -> str:  # type: ignore[no-untyped-def]
    # Creating it through the API is refused (no contract), so it is put in directly.
    with server.app.state.motmedia.db.session() as session:
        room = Room(customer_id=server.pbx.keys.customer_a, device_id=server.pbx.bare,
                    kind="entrance", name="裏口", media="audio_video", max_participants=4,
                    empty_timeout_s=60)  # fmt: skip
        session.add(room)
        session.commit()
        return room.id


def test_camera_api_refusals_and_secrets(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server
    http, pbx = server.http, server.pbx
    key = pbx.device_key
    entrance = make_room(http, key, kind="entrance", name="玄関")
    conference = make_room(http, key)
    port = free_port()  # nobody listens: the camera keeps retrying
    body = {"room_id": entrance["id"], "name": "front door",
            "url": f"rtsp://admin:hunter2@127.0.0.1:{port}/cam",
            "password": "s3cret-pw"}  # fmt: skip
    r = http.post("/v1/cameras", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    camera = r.json()
    assert camera["url"] == f"rtsp://127.0.0.1:{port}/cam"
    assert "hunter2" not in r.text and "s3cret" not in r.text and "admin" not in r.text

    r = http.post("/v1/cameras", json={**body, "room_id": conference["id"]}, headers=auth(key))
    assert r.status_code == 422 and r.json()["code"] == "NOT_AN_ENTRANCE_ROOM"
    bare_room = _uncontracted_entrance_room(server)
    r = http.post(
        "/v1/cameras", json={**body, "room_id": bare_room}, headers=auth(pbx.keys.admin_a)
    )
    assert r.status_code == 403 and r.json()["code"] == "NO_CONTRACT"
    # Another tenant can neither use the room nor see, nor delete, the camera.
    r = http.post("/v1/cameras", json=body, headers=auth(pbx.device_b_key))
    assert r.status_code == 404
    assert http.get("/v1/cameras", headers=auth(pbx.device_b_key)).json()["items"] == []
    r = http.delete(f"/v1/cameras/{camera['id']}", headers=auth(pbx.device_b_key))
    assert r.status_code == 404
    assert (
        http.get(f"/v1/cameras/{camera['id']}", headers=auth(pbx.keys.admin_b)).status_code == 404
    )

    deadline = time.monotonic() + 15
    while True:
        r = http.get("/v1/cameras", headers=auth(key))
        assert r.status_code == 200
        (item,) = r.json()["items"]
        if item["status"] == "retrying" and item["attempts"] >= 1:
            break
        assert time.monotonic() < deadline, item
        time.sleep(0.2)
    assert item["last_error"] and "hunter2" not in r.text and "s3cret" not in r.text

    with server.app.state.motmedia.db.session() as session:
        row = session.scalars(select(Camera)).one()
        assert "hunter2" not in row.url and row.credentials is not None
        assert b"hunter2" not in row.credentials and b"s3cret" not in row.credentials
        stored = decrypt_credentials(server.app.state.motmedia.settings.secret("storage_key"),
                                     row.credentials)  # fmt: skip
        assert stored == ("admin", "s3cret-pw")

    assert http.delete(f"/v1/cameras/{camera['id']}", headers=auth(key)).status_code == 204
    assert server.rooms().camera(camera["id"]) is None
    assert http.get("/v1/cameras", headers=auth(key)).json()["items"] == []


def has_rtsp_server() -> bool:
    check = "import gi; gi.require_version('GstRtspServer', '1.0')"
    try:
        probe = subprocess.run(["/usr/bin/python3", "-c", check], capture_output=True)
    except OSError:
        return False
    return probe.returncode == 0


def start_rtsp(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(["/usr/bin/python3", str(SERVER), str(port)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


async def _wait_status(http: httpx.AsyncClient, key: str, cid: str, status: str, within: float):
    deadline = time.monotonic() + within
    while True:
        item = (await http.get(f"/v1/cameras/{cid}", headers=auth(key))).json()
        if item["status"] == status:
            return item
        assert time.monotonic() < deadline, item
        await asyncio.sleep(0.2)


async def _wait_frames(counters: list[int], count: int, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while len(counters) < count:
        assert time.monotonic() < deadline, f"only {len(counters)} frames"
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not has_rtsp_server(), reason="needs GstRtspServer in /usr/bin/python3")
async def test_rtsp_camera_to_whep_viewer(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server
    key = server.pbx.device_key
    port = free_port()
    rtsp = start_rtsp(port)
    try:
        room = make_room(server.http, key, kind="entrance", name="玄関")
        before = decoder_counts()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            body = {"room_id": room["id"], "name": "front", "url": f"rtsp://127.0.0.1:{port}/cam"}
            r = await http.post("/v1/cameras", headers=auth(key), json=body)
            assert r.status_code == 201, r.text
            cid = r.json()["id"]
            await _wait_status(http, key, cid, "live", 20)
            r = await http.get(f"/v1/rooms/{room['id']}", headers=auth(key))
            (participant,) = r.json()["participants"]
            assert participant["via"] == "camera" and participant["identity"] == f"camera-{cid}"

            token = make_token(server.http, key, room["id"], "staff", can_publish=False)
            pc, frames, location, tasks = await whep_view(
                http, f"/whep/{room['id']}", token, lambda frame: frame.width
            )
            await _wait_frames(frames, 30)
            assert set(frames) == {320}
            assert decoder_counts().in_passthrough == 0
            assert decoder_counts().created - before.created == 1  # the viewer's own

            # The camera drops: the puller retries; it comes back on the same port.
            rtsp.kill()
            rtsp.wait()
            item = await _wait_status(http, key, cid, "retrying", 20)
            assert item["last_error"]
            seen = len(frames)
            rtsp = start_rtsp(port)
            item = await _wait_status(http, key, cid, "live", 40)
            assert item["reconnects"] >= 1
            await _wait_frames(frames, seen + 30, within=20)

            assert (await http.delete(f"/v1/cameras/{cid}", headers=auth(key))).status_code == 204
            assert (await http.delete(location)).status_code == 200
            for task in tasks:
                task.cancel()
            await pc.close()
    finally:
        rtsp.kill()
        rtsp.wait()
