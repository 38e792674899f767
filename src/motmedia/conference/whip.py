"""WHIP (RFC 9725) ingest and WHEP egress: one HTTP exchange per peer connection.

``POST /whip/{room}`` with ``Authorization: Bearer <join token>`` and an
``application/sdp`` offer answers ``201 Created``, a ``Location`` for the session and the
SDP answer; ``DELETE`` on that location ends it. WHEP (``/whep/{room}``) is the same for
viewers, with the viewer's offer receiving the room's tracks.

Only complete SDP is supported (aiortc gathers its candidates before answering, and
offers are expected to carry theirs): ``PATCH`` with ``application/trickle-ice-sdpfrag``
is answered ``405 Method Not Allowed``, which RFC 9725 §4.3.1 allows a server that does
not support trickle or ICE restarts to do.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription

from motmedia.errors import BadInput, Forbidden, NotFound

from .forwarder import TrackForwarder
from .registry import LiveRoom, MemberInfo, RoomRegistry
from .signalling import has_video, new_pc
from .tokens import Grant

__all__ = ["HttpPeer", "end_session", "start_session"]


class HttpPeer:
    """A WHIP publisher or a WHEP viewer: one peer connection, no signalling channel."""

    def __init__(self, info: MemberInfo, pc: RTCPeerConnection) -> None:
        self.info = info
        self.pc = pc
        # The session URL is the capability to end the session (RFC 9725 §4.2): unguessable.
        self.session_id = f"{info.identity}.{secrets.token_urlsafe(12)}"

    def notify(self, event: dict[str, Any]) -> None:
        pass  # no channel to tell; WHEP viewers see only what was there when they came

    def track_published(self, forwarder: TrackForwarder) -> None:
        pass  # WHEP cannot renegotiate from the server side

    async def close(self) -> None:
        await self.pc.close()


async def start_session(
    *,
    live: LiveRoom,
    grant: Grant,
    media: str,
    offer_sdp: str,
    egress: bool,
    ready_timeout: float = 5.0,
) -> tuple[str, str]:
    """Join ``live`` with ``offer_sdp``; returns ``(session id, answer SDP)``."""
    if egress and not grant.can_subscribe:
        raise Forbidden("This join token may not subscribe.", code="SUBSCRIBE_NOT_ALLOWED")
    if not egress and not grant.can_publish:
        raise Forbidden("This join token may not publish.", code="PUBLISH_NOT_ALLOWED")
    if not egress and media == "audio" and has_video(offer_sdp):
        raise Forbidden("This room carries audio only.", code="VIDEO_NOT_ALLOWED")
    if "m=" not in offer_sdp:
        raise BadInput("The body is not an SDP offer.", code="BAD_SDP")
    pc = new_pc()
    info = MemberInfo(grant.identity, grant.display_name, "whep" if egress else "whip",
                      grant.can_publish and not egress, egress)  # fmt: skip
    peer = HttpPeer(info, pc)
    live.join(peer)
    try:
        if egress:
            # Senders first, so aiortc pairs the viewer's recvonly m-lines with them.
            await live.room.add_subscriber(grant.identity, pc, ready_timeout=ready_timeout)
        else:
            live.room.add_publisher(grant.identity, pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    except ValueError as exc:
        await live.leave(grant.identity)
        raise BadInput(f"The offer was refused: {exc}", code="BAD_SDP") from exc
    except BaseException:
        await live.leave(grant.identity)
        raise

    def on_state() -> None:
        # The peer vanished without DELETE: leave, so the room can empty and close.
        if pc.connectionState in ("failed", "closed") and live.members.get(grant.identity) is peer:
            live.leave_later(grant.identity)

    pc.on("connectionstatechange", on_state)
    return peer.session_id, pc.localDescription.sdp


async def end_session(*, registry: RoomRegistry, room_id: str, session_id: str) -> None:
    live = registry.get(room_id)
    identity = session_id.rsplit(".", 1)[0]
    member = live.members.get(identity) if live is not None else None
    if not isinstance(member, HttpPeer) or member.session_id != session_id:
        raise NotFound("No such WHIP/WHEP session.", code="SESSION_NOT_FOUND")
    assert live is not None
    await live.leave(identity)
