"""HTTP for the prompt library of a device."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import select

from motmedia.api.deps import DbSession, require_scope
from motmedia.entitlements.dependencies import CurrentPolicy, business_today
from motmedia.entitlements.models import Device
from motmedia.prompts import service
from motmedia.prompts.models import MessageSlot
from motmedia.prompts.schemas import SlotIn, SlotOut
from motmedia.tenants.auth import Principal
from motmedia.tenants.scoping import get_scoped

router = APIRouter(prefix="/v1/devices/{device_id}", tags=["prompt library"])

Writer = Annotated[Principal, Depends(require_scope("prompts:write"))]
Reader = Annotated[Principal, Depends(require_scope("prompts:read"))]
SlotNo = Annotated[int, Path(ge=1, le=service.MAX_SLOT)]


@router.get("/messages", response_model=list[SlotOut])
def list_slots(device_id: str, session: DbSession, principal: Reader) -> list[MessageSlot]:
    device = get_scoped(session, Device, device_id, principal)
    stmt = select(MessageSlot).where(MessageSlot.device_id == device.id).order_by(MessageSlot.slot)
    return list(session.scalars(stmt))


@router.put("/messages/{slot}", response_model=SlotOut)
def put_slot(
    device_id: str,
    slot: SlotNo,
    body: SlotIn,
    response: Response,
    session: DbSession,
    policy: CurrentPolicy,
    principal: Writer,
) -> MessageSlot:
    """Fill or replace a hold / recording-notice message slot (quota ``prompts.hold``)."""
    device = get_scoped(session, Device, device_id, principal)
    row, created = service.put_slot(
        session=session,
        policy=policy,
        principal=principal,
        device=device,
        slot=slot,
        kind=body.kind,
        text=body.text,
        language=body.language,
        voice=body.voice,
        at=business_today(),
    )
    response.status_code = 201 if created else 200
    return row


@router.delete("/messages/{slot}", status_code=204)
def delete_slot(device_id: str, slot: SlotNo, session: DbSession, principal: Writer) -> Response:
    device = get_scoped(session, Device, device_id, principal)
    service.delete_slot(session=session, device=device, slot=slot)
    return Response(status_code=204)
