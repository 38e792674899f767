# ruff: noqa: F811  (pytest fixtures imported from .live are parameters here)
"""WHIP ingest and WHEP egress against a real server with real aiortc peers."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import av
import httpx
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from motmedia.conference import decoder_counts

from .fixtures import make_room, make_token
from .live import live_server  # noqa: F401  (fixture)


async def whep_view(http: httpx.AsyncClient, url: str, token: str, read_counter):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    counters: list[int] = []

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    counters.append(read_counter(frame))
        except MediaStreamError:
            pass

    tasks = []
    pc.on("track", lambda track: tasks.append(asyncio.ensure_future(consume(track))))
    await pc.setLocalDescription(await pc.createOffer())
    r = await http.post(url, content=pc.localDescription.sdp,
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/sdp"})  # fmt: skip
    assert r.status_code == 201, r.text
    await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
    return pc, counters, r.headers["location"], tasks


@pytest.mark.parametrize("mime", ["video/H264", "video/VP8"])
async def test_whip_publisher_to_whep_viewer(live_server, lab, mime):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key, kind="entrance", name="玄関")
    before = decoder_counts()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        publisher = lab.pc()
        transceiver = publisher.addTransceiver(lab.CounterTrack(), direction="sendonly")
        transceiver.setCodecPreferences(lab.capabilities(mime))
        await publisher.setLocalDescription(await publisher.createOffer())
        token = make_token(server.http, key, room["id"], "camera")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"}
        r = await http.post(f"/whip/{room['id']}", content=publisher.localDescription.sdp,
                            headers=headers)  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.headers["content-type"].startswith("application/sdp")
        location = r.headers["location"]
        assert location.startswith(f"/whip/{room['id']}/camera.")
        await publisher.setRemoteDescription(RTCSessionDescription(r.text, "answer"))

        viewer_token = make_token(server.http, key, room["id"], "staff", can_publish=False)
        pc, counters, viewer_location, tasks = await whep_view(
            http, f"/whep/{room['id']}", viewer_token, lab.read_counter
        )
        deadline = time.monotonic() + 20
        while len(counters) < 30:
            assert time.monotonic() < deadline, f"only {len(counters)} frames"
            await asyncio.sleep(0.05)
        assert all(b > a for a, b in pairwise(counters))
        assert decoder_counts().in_passthrough == 0
        assert decoder_counts().created - before.created == 1  # the viewer's own

        assert (await http.patch(location, headers=headers)).status_code == 405
        assert (await http.delete(location + "x")).status_code == 404
        assert (await http.delete(viewer_location)).status_code == 200
        assert (await http.delete(location)).status_code == 200
        assert (await http.delete(location)).status_code == 404
        for task in tasks:
            task.cancel()
        await pc.close()


async def test_whip_refusals(live_server, lab):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key, media="audio")
    offer_pc = lab.pc()
    offer_pc.addTransceiver(lab.CounterTrack(), direction="sendonly")
    await offer_pc.setLocalDescription(await offer_pc.createOffer())
    sdp = offer_pc.localDescription.sdp
    url = f"/whip/{room['id']}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

        async def post(token: str | None, body: str = sdp, ctype: str = "application/sdp"):
            headers = {"Content-Type": ctype}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return await http.post(url, content=body, headers=headers)

        r = await post(None)
        assert r.status_code == 401 and r.json()["code"] == "MISSING_TOKEN"
        viewer = make_token(server.http, key, room["id"], "v", can_publish=False)
        r = await post(viewer)
        assert r.status_code == 403 and r.json()["code"] == "PUBLISH_NOT_ALLOWED"
        publisher = make_token(server.http, key, room["id"], "p")
        r = await post(publisher)  # video into an audio-only room
        assert r.status_code == 403 and r.json()["code"] == "VIDEO_NOT_ALLOWED"
        r = await post(publisher, "hello", "text/plain")
        assert r.status_code == 415
        r = await post(publisher, "v=0\r\nnot sdp")
        assert r.status_code == 422
        forged = publisher[:-4] + "AAAA"
        assert (await post(forged)).status_code == 401
        # The refused attempts left nobody behind in the room.
        live = server.rooms().get(room["id"])
        assert live is None or not live.members
