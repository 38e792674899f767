# ruff: noqa: F811  (pytest fixtures imported from .live are parameters here)
"""Signalling over a real WebSocket to a real server, with real aiortc peers."""

from __future__ import annotations

import asyncio
import json
import time
from itertools import pairwise

import pytest
import websockets

from motmedia.conference import decoder_counts

from ..conftest import auth
from .fixtures import make_room, make_token
from .live import SignalClient, live_server  # noqa: F401  (fixture)


def _in_order(values: list[int]) -> bool:
    return all(b > a for a, b in pairwise(values))


async def _participants(server, room_id):
    r = await asyncio.to_thread(
        server.http.get, f"/v1/rooms/{room_id}", headers=auth(server.pbx.device_key)
    )
    return {p["identity"]: p for p in r.json()["participants"]}


async def test_publisher_and_three_subscribers(live_server, lab):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key, empty_timeout_s=1)
    signal = f"{server.ws_url}/v1/rooms/{room['id']}/signal"
    before = decoder_counts()

    alice = SignalClient(lab.read_counter)
    joined = await alice.connect(signal, make_token(server.http, key, room["id"], "alice"))
    assert joined["type"] == "joined" and joined["participants"] == []
    source = lab.CounterTrack()
    await alice.publish((source, lab.capabilities("video/VP8")))

    viewers = []
    for i in range(3):
        viewer = SignalClient(lab.read_counter)
        token = make_token(server.http, key, room["id"], f"v{i}", can_publish=False)
        # Both ways of handing over the token: the first message and the subprotocol.
        assert (await viewer.connect(signal, token, subprotocol=i == 1))["type"] == "joined"
        viewers.append(viewer)
    for viewer in viewers:
        await viewer.wait_frames("alice", 45)
        assert _in_order(viewer.received.counters["alice"])
    assert (await alice.wait_event("participant_joined"))["participant"]["identity"] == "v0"

    # The SFU forwarded without decoding: only the three viewers here created decoders.
    after = decoder_counts()
    assert after.in_passthrough == 0
    assert after.created - before.created == 3
    live = server.rooms().get(room["id"])
    (stats,) = live.room.stats().tracks.values()
    assert set(stats.subscribers) == {"v0", "v1", "v2"}
    people = await _participants(server, room["id"])
    assert set(people) == {"alice", "v0", "v1", "v2"}
    assert people["alice"]["tracks"][0]["mime_type"] == "video/VP8"

    # A subscriber-only token can never publish.
    await viewers[0].send({"type": "publish", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"})
    error = await viewers[0].wait_event("error")
    assert error["code"] == "PUBLISH_NOT_ALLOWED"

    # A late subscriber gets a picture from a keyframe requested for it (PLI upstream).
    plis = stats.plis_sent
    late = SignalClient(lab.read_counter)
    await late.connect(signal, make_token(server.http, key, room["id"], "late"))
    await late.wait_frames("alice", 5)
    assert late.received.counters["alice"][0] > 45
    (stats,) = live.room.stats().tracks.values()
    assert stats.plis_sent > plis

    # A dropped participant is cleaned up and the others hear of it.
    await viewers[2].drop()
    left = await alice.wait_event("participant_left")
    assert left["participant"]["identity"] == "v2"
    assert "v2" not in await _participants(server, room["id"])

    for client in [alice, late, *viewers[:2]]:
        await client.close()
    # Empty for empty_timeout_s (1 s): the live room closes.
    deadline = time.monotonic() + 10
    while server.rooms().get(room["id"]) is not None:
        assert time.monotonic() < deadline, "the empty room did not close"
        await asyncio.sleep(0.1)


async def test_refused_joins(live_server, lab):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key)
    other = make_room(server.http, key)
    signal = f"{server.ws_url}/v1/rooms/{room['id']}/signal"

    async def join(token: str, url: str = signal) -> dict:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "join", "token": token}))
            message = json.loads(await ws.recv())
            if message["type"] == "error":
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                message["close"] = closed.value.rcvd.code
            return message

    forged = make_token(server.http, key, room["id"], "a")[:-4] + "AAAA"
    assert (await join(forged))["code"] == "INVALID_TOKEN"
    wrong = await join(make_token(server.http, key, other["id"], "a"))
    assert wrong["code"] == "TOKEN_WRONG_ROOM" and wrong["close"] == 4403
    missing = f"{server.ws_url}/v1/rooms/nope/signal"
    assert (await join(make_token(server.http, key, room["id"], "a"), missing))["code"] in (
        "TOKEN_WRONG_ROOM",
        "ROOM_NOT_FOUND",
    )
    # A token in the URL is not looked at: the first message must be a join.
    async with websockets.connect(signal + "?token=x") as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["code"] == "JOIN_REQUIRED"
    # The room is full (video call: two people) and identities are unique.
    call = make_room(server.http, key, kind="video_call")
    url = f"{server.ws_url}/v1/rooms/{call['id']}/signal"
    a, b = SignalClient(lab.read_counter), SignalClient(lab.read_counter)
    assert (await a.connect(url, make_token(server.http, key, call["id"], "a")))["type"] == "joined"
    dup = await join(make_token(server.http, key, call["id"], "a"), url)
    assert dup["code"] == "IDENTITY_IN_USE"
    assert (await b.connect(url, make_token(server.http, key, call["id"], "b")))["type"] == "joined"
    full = await join(make_token(server.http, key, call["id"], "c"), url)
    assert full["code"] == "ROOM_FULL" and full["close"] == 4409
    await a.close()
    await b.close()
