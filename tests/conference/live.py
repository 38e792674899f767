"""A real server on a free port (uvicorn in a thread) and real aiortc signalling clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import uvicorn
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from motmedia.config import Settings, ensure_secrets

from ..conftest import Keys, auth
from .fixtures import Pbx, make_pbx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: Any
    http: httpx.Client
    pbx: Pbx

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def rooms(self) -> Any:
        return self.app.state.motmedia.services["rooms"]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    # SQLite only: these tests are about media; the API tests cover PostgreSQL.
    from motmedia.api.app import create_app
    from motmedia.cli import ensure_vendor_key

    settings = ensure_secrets(
        Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 't.db'}",
                 prompt_check=False)
    )  # fmt: skip
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    vendor = ensure_vendor_key(settings, app.state.motmedia.db)
    assert vendor is not None
    with httpx.Client(base_url=url, timeout=30) as http:
        ids, admins = [], []
        for name in ("Tenant A", "Tenant B"):
            cid = http.post("/v1/customers", json={"name": name}, headers=auth(vendor)).json()["id"]
            ids.append(cid)
            r = http.post("/v1/keys", json={"role": "customer-admin", "customer_id": cid},
                          headers=auth(vendor))  # fmt: skip
            admins.append(r.json()["key"])
        keys = Keys(vendor, ids[0], ids[1], admins[0], admins[1])
        pbx = make_pbx(http, keys)  # type: ignore[arg-type]
        yield LiveServer(url, app, http, pbx)
    server.should_exit = True
    thread.join(30)
    assert not thread.is_alive(), "shutdown hung"


@dataclass
class Received:
    """Frames a client decoded, per publishing participant."""

    counters: dict[str, list[int]] = field(default_factory=dict)
    audio: dict[str, int] = field(default_factory=dict)


class SignalClient:
    """A participant speaking the signalling protocol with real aiortc peer connections."""

    def __init__(self, read_counter: Any) -> None:
        self.publish_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.subscribe_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.events: list[dict[str, Any]] = []
        self.received = Received()
        self._read_counter = read_counter
        self._mids: dict[str, str] = {}
        self._answered: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.ws: Any = None
        self.subscribe_pc.on("track", self._on_track)

    async def connect(self, url: str, token: str, *, subprotocol: bool = False) -> dict[str, Any]:
        if subprotocol:
            self.ws = await websockets.connect(url, subprotocols=["motmedia-signal", token])
        else:
            self.ws = await websockets.connect(url)
            await self.send({"type": "join", "token": token})
        first = json.loads(await self.ws.recv())
        if first["type"] == "joined":
            self._tasks.append(asyncio.ensure_future(self._read()))
        return dict(first)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def publish(self, *tracks: tuple[MediaStreamTrack, list[Any]]) -> None:
        for track, capabilities in tracks:
            transceiver = self.publish_pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(capabilities)
        await self.publish_pc.setLocalDescription(await self.publish_pc.createOffer())
        await self.send({"type": "publish", "sdp": self.publish_pc.localDescription.sdp})
        sdp = await asyncio.wait_for(self._answered.get(), 20)
        await self.publish_pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def wait_event(self, kind: str, within: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            for event in self.events:
                if event["type"] == kind:
                    self.events.remove(event)
                    return event
            assert time.monotonic() < deadline, f"no {kind} event in {self.events}"
            await asyncio.sleep(0.05)

    async def wait_frames(self, participant: str, count: int, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while len(self.received.counters.get(participant, [])) < count:
            got = len(self.received.counters.get(participant, []))
            assert time.monotonic() < deadline, f"only {got} frames from {participant}"
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.ws is not None:
            await self.ws.close()
        await self.publish_pc.close()
        await self.subscribe_pc.close()

    async def drop(self) -> None:
        """Vanish without a goodbye: no close frame, as when a phone loses its network."""
        for task in self._tasks:
            task.cancel()
        self.ws.transport.abort()
        await self.publish_pc.close()
        await self.subscribe_pc.close()

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._read_messages()

    async def _read_messages(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "answer":
                self._answered.put_nowait(message["sdp"])
            elif message["type"] == "offer":
                for track in message["tracks"]:
                    self._mids[track["mid"]] = track["participant"]
                pc = self.subscribe_pc
                await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                await self.send({"type": "answer", "sdp": pc.localDescription.sdp})
            else:
                self.events.append(message)

    def _on_track(self, track: MediaStreamTrack) -> None:
        mid = next(t.mid for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track)
        self._tasks.append(asyncio.ensure_future(self._consume(self._mids.get(mid, "?"), track)))

    async def _consume(self, participant: str, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    counters = self.received.counters.setdefault(participant, [])
                    counters.append(self._read_counter(frame))
                else:
                    self.received.audio[participant] = self.received.audio.get(participant, 0) + 1
        except MediaStreamError:
            pass
