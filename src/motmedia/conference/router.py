"""HTTP for rooms and join tokens (signalling, WHIP/WHEP and cameras have their own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response, WebSocket

from motmedia.api.deps import DbSession, State, require_scope
from motmedia.entitlements.dependencies import CurrentPolicy, business_today
from motmedia.errors import Unauthorized, UnsupportedMedia
from motmedia.schemas import PageOut
from motmedia.tenants.auth import Principal

from . import cameras, service, whip
from .dependencies import LiveRooms, ValidRoom, authorise_token
from .models import Camera, Room
from .registry import RoomRegistry
from .schemas import (
    CameraCreate,
    ParticipantOut,
    RoomCreate,
    RoomOut,
    TokenCreate,
    TokenOut,
    TrackOut,
)
from .signalling import serve_signalling

router = APIRouter(prefix="/v1", tags=["conference"])

Reader = Annotated[Principal, Depends(require_scope("rooms:read"))]
Writer = Annotated[Principal, Depends(require_scope("rooms:write"))]


def room_out(room: Room, registry: RoomRegistry | None = None) -> RoomOut:
    out = RoomOut.model_validate(room)
    live = registry.get(room.id) if registry is not None else None
    if live is not None and not live.closed:
        out.live = True
        out.participants = [
            ParticipantOut(
                identity=info.identity,
                display_name=info.display_name,
                via=info.via,
                can_publish=info.can_publish,
                can_subscribe=info.can_subscribe,
                tracks=[TrackOut(key=t.key, kind=t.kind, mime_type=t.mime_type) for t in tracks],
            )
            for info, tracks in live.snapshot()
        ]
    return out


@router.post("/rooms", status_code=201, response_model=RoomOut)
def create_room(
    body: RoomCreate, principal: Writer, session: DbSession, policy: CurrentPolicy
) -> RoomOut:
    room = service.create_room(
        session=session, policy=policy, principal=principal, data=body, at=business_today()
    )
    return room_out(room)


@router.get("/rooms", response_model=PageOut[RoomOut])
def list_rooms(
    principal: Reader,
    session: DbSession,
    device_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[RoomOut]:
    page = service.list_rooms(
        session=session, principal=principal, device_id=device_id, cursor=cursor, limit=limit
    )
    return PageOut(items=[room_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/rooms/{room_id}", response_model=RoomOut)
async def get_room(_: Reader, room: ValidRoom, registry: LiveRooms) -> RoomOut:
    # async: the live registry belongs to the event loop, so it is read there.
    return room_out(room, registry)


@router.delete("/rooms/{room_id}", status_code=204)
async def delete_room(
    _: Writer, room: ValidRoom, session: DbSession, registry: LiveRooms
) -> Response:
    await anyio.to_thread.run_sync(lambda: service.delete_room(session=session, room=room))
    await registry.close_room(room.id)
    return Response(status_code=204)


@router.post("/rooms/{room_id}/tokens", status_code=201, response_model=TokenOut)
def mint_token(
    body: TokenCreate,
    principal: Writer,
    room: ValidRoom,
    session: DbSession,
    policy: CurrentPolicy,
    state: State,
) -> TokenOut:
    token, grant = service.mint_token(
        session=session,
        policy=policy,
        principal=principal,
        room=room,
        data=body,
        key=state.settings.secret("token_signing_key"),
        now=datetime.now(UTC),
        at=business_today(),
    )
    return TokenOut(
        token=token,
        room_id=room.id,
        identity=grant.identity,
        expires_at=grant.expires_at,
        signal_url=f"/v1/rooms/{room.id}/signal",
        whip_url=f"/whip/{room.id}",
        whep_url=f"/whep/{room.id}",
    )


@router.websocket("/rooms/{room_id}/signal")
async def signal(ws: WebSocket, room_id: str) -> None:
    """The signalling WebSocket (protocol in :mod:`motmedia.conference.signalling`)."""
    await serve_signalling(ws, ws.app.state.motmedia, room_id)


@router.post("/cameras", status_code=201, response_model=cameras.CameraStatusOut)
async def create_camera(
    body: CameraCreate,
    principal: Writer,
    session: DbSession,
    policy: CurrentPolicy,
    state: State,
    registry: LiveRooms,
) -> cameras.CameraStatusOut:
    """An RTSP camera pulled into its entrance room (``video.entrance``); credentials are
    stored encrypted and never returned."""
    key = state.settings.secret("storage_key")

    def store() -> tuple[Camera, Room, str | None, str | None]:
        result = cameras.create_camera(session=session, policy=policy, principal=principal,
                                       data=body, key=key, at=business_today())  # fmt: skip
        session.commit()  # the puller outlives the request: the row must exist first
        session.refresh(result[0])  # loaded here, not lazily on the event loop
        session.refresh(result[1])
        return result

    camera, room, username, password = await anyio.to_thread.run_sync(store)
    puller = cameras.start_camera(registry, room, camera, username=username, password=password)
    return cameras.camera_out(camera, puller)


@router.get("/cameras", response_model=PageOut[cameras.CameraStatusOut])
async def list_cameras(
    principal: Reader,
    session: DbSession,
    registry: LiveRooms,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[cameras.CameraStatusOut]:
    page = await anyio.to_thread.run_sync(
        lambda: cameras.list_cameras(
            session=session, principal=principal, cursor=cursor, limit=limit
        )
    )
    items = [cameras.camera_out(c, registry.camera(c.id)) for c in page.items]
    return PageOut(items=items, next_cursor=page.next_cursor)


@router.get("/cameras/{camera_id}", response_model=cameras.CameraStatusOut)
async def get_camera(
    camera_id: str, principal: Reader, session: DbSession, registry: LiveRooms
) -> cameras.CameraStatusOut:
    camera = await anyio.to_thread.run_sync(
        lambda: cameras.get_camera(session=session, principal=principal, camera_id=camera_id)
    )
    return cameras.camera_out(camera, registry.camera(camera.id))


@router.delete("/cameras/{camera_id}", status_code=204)
async def delete_camera(
    camera_id: str, principal: Writer, session: DbSession, registry: LiveRooms
) -> Response:
    def remove() -> None:
        camera = cameras.get_camera(session=session, principal=principal, camera_id=camera_id)
        cameras.delete_camera(session=session, camera=camera)

    await anyio.to_thread.run_sync(remove)
    await registry.stop_camera(camera_id)
    return Response(status_code=204)


whip_router = APIRouter(tags=["conference"])
SDP = "application/sdp"


async def _http_session(request: Request, room_id: str, egress: bool) -> Response:
    state = request.app.state.motmedia
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthorized("Send the join token as `Authorization: Bearer <token>`.",
                           code="MISSING_TOKEN")  # fmt: skip
    if request.headers.get("content-type", "").split(";")[0].strip() != SDP:
        raise UnsupportedMedia("Send the offer as application/sdp.", code="SDP_REQUIRED")
    room, grant = await authorise_token(state, room_id, header[7:].strip())
    live = state.services["rooms"].open(room.id, max_participants=room.max_participants,
                                        empty_timeout_s=room.empty_timeout_s)  # fmt: skip
    offer = (await request.body()).decode("utf-8", "replace")
    session_id, answer = await whip.start_session(
        live=live, grant=grant, media=room.media, offer_sdp=offer, egress=egress
    )
    prefix = "whep" if egress else "whip"
    return Response(answer, status_code=201, media_type=SDP,
                    headers={"Location": f"/{prefix}/{room.id}/{session_id}"})  # fmt: skip


@whip_router.post("/whip/{room_id}", status_code=201, response_class=Response)
async def whip_publish(request: Request, room_id: str) -> Response:
    """WHIP ingest (RFC 9725): an encoder or camera publishes into the room."""
    return await _http_session(request, room_id, egress=False)


@whip_router.post("/whep/{room_id}", status_code=201, response_class=Response)
async def whep_view(request: Request, room_id: str) -> Response:
    """WHEP egress: a viewer receives the room's current tracks."""
    return await _http_session(request, room_id, egress=True)


@whip_router.delete("/whip/{room_id}/{session_id}", status_code=200)
@whip_router.delete("/whep/{room_id}/{session_id}", status_code=200)
async def end_http_session(request: Request, room_id: str, session_id: str) -> Response:
    # The session URL is the capability (unguessable suffix), as RFC 9725 §4.2 suggests.
    await whip.end_session(registry=request.app.state.motmedia.services["rooms"],
                           room_id=room_id, session_id=session_id)  # fmt: skip
    return Response(status_code=200)


@whip_router.patch("/whip/{room_id}/{session_id}")
@whip_router.patch("/whep/{room_id}/{session_id}")
async def patch_http_session(room_id: str, session_id: str) -> Response:
    """Trickle ICE and ICE restarts are not supported: full SDP only (405, RFC 9725 §4.3.1)."""
    return Response(status_code=405, headers={"Allow": "POST, DELETE"})
