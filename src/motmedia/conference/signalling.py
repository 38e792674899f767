"""The signalling WebSocket: one browser (or aiortc) participant of a live room.

Each participant has two peer connections, as in LiveKit: a *publish* connection the
client offers (its camera and microphone) and a *subscribe* connection the server offers
(everyone else's tracks). Keeping the directions apart means neither side ever has to
resolve an offer glare. SDP is exchanged complete (non-trickle): aiortc gathers its
candidates before it answers, and clients wait for ``icegatheringstate == "complete"``.

Messages (JSON text frames), client → server::

    {"type": "join", "token": "<jwt>"}            first, unless the token came as a subprotocol
    {"type": "publish", "sdp": "<offer>"}         (re)negotiate the publish connection
    {"type": "answer", "sdp": "<answer>"}         answer to the server's subscribe offer
    {"type": "ping"} | {"type": "leave"}

server → client::

    {"type": "joined", "identity", "room", "participants": [...], "grants": {...}}
    {"type": "answer", "sdp"}                      answer to "publish"
    {"type": "offer", "sdp", "tracks": [{"mid", "participant", "kind"}]}
    {"type": "participant_joined" | "participant_left", "participant": {...}}
    {"type": "error", "code", "detail"}  |  {"type": "pong"}  |  {"type": "room_closed"}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from starlette.websockets import WebSocket, WebSocketDisconnect

from motmedia.api.deps import AppState
from motmedia.errors import BadInput, Forbidden, MotMediaError, Unauthorized

from .dependencies import authorise_token
from .forwarder import TrackForwarder
from .registry import LiveRoom, MemberInfo, RoomRegistry

__all__ = ["SUBPROTOCOL", "SignalSession", "has_video", "serve_signalling"]

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 15.0  # seconds a client has to answer a subscribe offer
JOIN_TIMEOUT = 10.0  # seconds a client has to send "join" after connecting
# ``Sec-WebSocket-Protocol: motmedia-signal, <jwt>``: browsers cannot set an Authorization
# header on a WebSocket, and a token in the URL would end up in access logs.
SUBPROTOCOL = "motmedia-signal"
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404, 409: 4409}


def has_video(sdp: str) -> bool:
    return any(line.startswith("m=video") for line in sdp.splitlines())


def new_pc() -> RTCPeerConnection:
    # Host candidates only: the service and its clients share a network (PBX LAN).
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class SignalSession:
    """One participant connected over the signalling WebSocket (a room :class:`Member`)."""

    def __init__(self, ws: WebSocket, live: LiveRoom, info: MemberInfo, media: str) -> None:
        self.info = info
        self.ws = ws
        self.live = live
        self.media = media
        self.publish_pc: RTCPeerConnection | None = None
        self.subscribe_pc = new_pc()
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._dirty = False
        self._negotiating: asyncio.Task[None] | None = None
        self._answer: asyncio.Future[RTCSessionDescription] | None = None
        self._closed = False

    # -- Member ------------------------------------------------------------------------

    def notify(self, event: dict[str, Any]) -> None:
        self._outbox.put_nowait(event)

    def track_published(self, forwarder: TrackForwarder) -> None:
        if self.info.can_subscribe:
            self.renegotiate()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._outbox.put_nowait(None)
        if self._negotiating is not None:
            self._negotiating.cancel()
        pcs = [pc for pc in (self.publish_pc, self.subscribe_pc) if pc is not None]
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)

    # -- the session -------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until the client leaves or drops; the caller then leaves the room."""
        writer = asyncio.ensure_future(self._write())
        try:
            participants = [
                info.as_event() for info, _ in self.live.snapshot() if info != self.info
            ]
            self.notify(
                {
                    "type": "joined",
                    "identity": self.info.identity,
                    "room": self.live.room_id,
                    "participants": participants,
                    "grants": {
                        "publish": self.info.can_publish,
                        "subscribe": self.info.can_subscribe,
                    },
                }
            )
            if self.info.can_subscribe and self.live.room.tracks():
                self.renegotiate()
            while not self._closed:
                message = await self.ws.receive_json()
                if not isinstance(message, dict) or message.get("type") == "leave":
                    break
                try:
                    await self._handle(message)
                except MotMediaError as exc:
                    self.notify({"type": "error", "code": exc.code, "detail": exc.detail})
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away (RuntimeError: receive after the socket closed)
        finally:
            self._outbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2.0)
            writer.cancel()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        sdp = message.get("sdp")
        if kind == "ping":
            self.notify({"type": "pong"})
        elif kind == "publish" and isinstance(sdp, str):
            await self._publish(sdp)
        elif kind == "answer" and isinstance(sdp, str):
            if self._answer is not None and not self._answer.done():
                self._answer.set_result(RTCSessionDescription(sdp=sdp, type="answer"))
        elif kind == "candidate":
            pass  # candidates travel in the SDP (non-trickle); see the module doc
        else:
            raise BadInput(f"unknown or incomplete message {kind!r}", code="BAD_MESSAGE")

    async def _publish(self, sdp: str) -> None:
        if not self.info.can_publish:
            raise Forbidden("This join token may not publish.", code="PUBLISH_NOT_ALLOWED")
        if self.media == "audio" and has_video(sdp):
            raise Forbidden("This room carries audio only.", code="VIDEO_NOT_ALLOWED")
        if self.publish_pc is None:
            self.publish_pc = new_pc()
            # Before applying the offer: tracks switch to passthrough in the track event.
            self.live.room.add_publisher(self.info.identity, self.publish_pc)
        pc = self.publish_pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except ValueError as exc:
            raise BadInput(f"The offer was refused: {exc}", code="BAD_SDP") from exc
        self.notify({"type": "answer", "sdp": pc.localDescription.sdp})

    def renegotiate(self) -> None:
        """Offer the subscribe connection again; coalesces while one is in flight."""
        self._dirty = True
        if self._negotiating is None or self._negotiating.done():
            self._negotiating = asyncio.ensure_future(self._negotiate())

    async def _negotiate(self) -> None:
        pc = self.subscribe_pc
        while self._dirty and not self._closed:
            self._dirty = False
            added = await self.live.room.add_subscriber(self.info.identity, pc)
            if not added:
                continue
            await pc.setLocalDescription(await pc.createOffer())
            tracks = [
                {
                    "mid": sub.transceiver.mid,
                    "participant": sub.track_key.split("/", 1)[0],
                    "kind": sub.relay.kind,
                }
                for sub in self.live.room.subscriptions(self.info.identity)
            ]
            self._answer = asyncio.get_running_loop().create_future()
            self.notify({"type": "offer", "sdp": pc.localDescription.sdp, "tracks": tracks})
            try:
                answer = await asyncio.wait_for(self._answer, ANSWER_TIMEOUT)
            except TimeoutError:
                log.warning("%s did not answer the subscribe offer", self.info.identity)
                return
            await pc.setRemoteDescription(answer)

    async def _write(self) -> None:
        while True:
            event = await self._outbox.get()
            if event is None:
                return
            try:
                await self.ws.send_json(event)
            except (WebSocketDisconnect, RuntimeError):
                return


async def _read_token(ws: WebSocket) -> str:
    offered = [p for p in ws.scope.get("subprotocols", []) if p != SUBPROTOCOL]
    if SUBPROTOCOL in ws.scope.get("subprotocols", []) and offered:
        await ws.accept(subprotocol=SUBPROTOCOL)
        return str(offered[0])
    await ws.accept()
    try:
        message = await asyncio.wait_for(ws.receive_json(), JOIN_TIMEOUT)
    except (TimeoutError, ValueError) as exc:
        raise Unauthorized("Send {type: join, token} first.", code="JOIN_REQUIRED") from exc
    token = message.get("token") if isinstance(message, dict) else None
    if not isinstance(token, str) or message.get("type") != "join":
        raise Unauthorized("Send {type: join, token} first.", code="JOIN_REQUIRED")
    return token


async def serve_signalling(ws: WebSocket, state: AppState, room_id: str) -> None:
    """Authenticate, join the live room, serve the session, and always leave again."""
    registry: RoomRegistry = state.services["rooms"]
    try:
        token = await _read_token(ws)
        room, grant = await authorise_token(state, room_id, token)
        live = registry.open(room.id, max_participants=room.max_participants,
                             empty_timeout_s=room.empty_timeout_s)  # fmt: skip
        info = MemberInfo(grant.identity, grant.display_name, "signal",
                          grant.can_publish, grant.can_subscribe)  # fmt: skip
        session = SignalSession(ws, live, info, room.media)
        live.join(session)
    except MotMediaError as exc:
        with contextlib.suppress(Exception):
            await ws.send_json({"type": "error", "code": exc.code, "detail": exc.detail})
            await ws.close(CLOSE_CODES.get(exc.status, 4400))
        return
    except WebSocketDisconnect:
        return
    try:
        await session.run()
    finally:
        # A dropped client ends up here too: its connections close and others hear of it.
        await live.leave(info.identity)
        with contextlib.suppress(Exception):
            await ws.close()
