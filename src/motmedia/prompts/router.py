"""HTTP for the prompt library of a device: message slots, the IVR tree, audio, export.

Writes render the 16 kHz prompt first (so bad text or SSML is a 422 before anything is
stored), then store, then queue the round-trip check after the commit. Renders and the
check run off the event loop; database work runs on worker threads.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Response

from motmedia.api.deps import DbSession, require_scope
from motmedia.entitlements.dependencies import CurrentPolicy, business_today
from motmedia.errors import NotFound
from motmedia.prompts import export, ivr, rendering, service
from motmedia.prompts.dependencies import CurrentChecker, CurrentRenderer, ValidDevice
from motmedia.prompts.schemas import IvrIn, IvrOut, MenuOut, SlotIn, SlotOut
from motmedia.tenants.auth import Principal
from motmedia.tts.render import RenderResult

router = APIRouter(prefix="/v1/devices/{device_id}", tags=["prompt library"])

Writer = Annotated[Principal, Depends(require_scope("prompts:write"))]
Reader = Annotated[Principal, Depends(require_scope("prompts:read"))]
SlotNo = Annotated[int, Path(ge=1, le=service.MAX_SLOT)]
AudioFormat = Annotated[str, Query(max_length=16, description="see GET /v1/tts/formats")]
IfNoneMatch = Annotated[str | None, Header(max_length=200)]


def _audio(result: RenderResult, filename: str, if_none_match: str | None) -> Response:
    etag = f'"{result.key}"'
    headers = {
        "ETag": etag,
        "X-Cache": "hit" if result.cache_hit else "miss",
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    if if_none_match and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{filename}{result.extension}"'
    return Response(result.data, media_type=result.media_type, headers=headers)


# ---- message slots ----


@router.get("/messages", response_model=list[SlotOut])
def list_slots(device: ValidDevice, session: DbSession, _: Reader) -> list[SlotOut]:
    return [SlotOut.of(row) for row in service.list_slots(session=session, device=device)]


@router.get("/messages/{slot}", response_model=SlotOut)
def get_slot(slot: SlotNo, device: ValidDevice, session: DbSession, _: Reader) -> SlotOut:
    return SlotOut.of(service.get_slot(session=session, device=device, slot=slot))


@router.put("/messages/{slot}", response_model=SlotOut)
async def put_slot(
    slot: SlotNo,
    body: SlotIn,
    response: Response,
    device: ValidDevice,
    session: DbSession,
    policy: CurrentPolicy,
    principal: Writer,
    renderer: CurrentRenderer,
    checker: CurrentChecker,
    background: BackgroundTasks,
) -> SlotOut:
    """Fill or replace a hold / recording-notice message slot (quota ``prompts.hold``)."""
    rendering.check_voice(renderer, language=body.language, voice=body.voice)
    text = service.clean_text(body.text)
    dictionary = await anyio.to_thread.run_sync(
        partial(service.reading_dictionary, session=session, customer_id=device.customer_id)
    )
    spec = rendering.PromptSpec(
        rendering.slot_name(slot), "message", text, body.ssml, body.language, body.voice
    )
    pre = await rendering.prerender(renderer, {spec.name: [spec]}, dictionary=dictionary)
    row, created = await anyio.to_thread.run_sync(
        partial(
            service.put_slot,
            session=session,
            policy=policy,
            principal=principal,
            device=device,
            slot=slot,
            kind=body.kind,
            text=text,
            language=body.language,
            voice=body.voice,
            ssml=body.ssml,
            render_key=pre.key(spec.name),
            at=business_today(),
        )
    )
    if row.check_status == "pending":
        job = pre.check_job(renderer, table="message_slots", row_id=row.id, row=spec.name)
        background.add_task(checker.submit, job)  # after the commit
    response.status_code = 201 if created else 200
    return SlotOut.of(row)


@router.delete("/messages/{slot}", status_code=204)
def delete_slot(slot: SlotNo, device: ValidDevice, session: DbSession, _: Writer) -> Response:
    service.delete_slot(session=session, device=device, slot=slot)
    return Response(status_code=204)


@router.get("/messages/{slot}/audio", response_class=Response)
async def slot_audio(
    slot: SlotNo,
    device: ValidDevice,
    session: DbSession,
    _: Reader,
    renderer: CurrentRenderer,
    format: AudioFormat = "wav",
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The slot's audio in ``format`` (rendered on first request, then from the cache)."""

    def load() -> tuple[rendering.PromptSpec, dict[str, str]]:
        row = service.get_slot(session=session, device=device, slot=slot)
        dictionary = service.reading_dictionary(session=session, customer_id=device.customer_id)
        return rendering.slot_prompt(row), dictionary

    spec, dictionary = await anyio.to_thread.run_sync(load)
    result = await rendering.render(renderer, spec, format=format, dictionary=dictionary)
    return _audio(result, spec.name, if_none_match)


# ---- IVR ----


@router.put("/ivr", response_model=IvrOut)
async def put_ivr(
    body: IvrIn,
    device: ValidDevice,
    session: DbSession,
    policy: CurrentPolicy,
    principal: Writer,
    renderer: CurrentRenderer,
    checker: CurrentChecker,
    background: BackgroundTasks,
) -> IvrOut:
    """Replace the device's whole IVR tree (``tts.synthesize``; deeper than one level also
    ``ivr.multilevel``)."""
    tree = ivr.validate_tree(
        root=body.root,
        menus=body.tree_menus(),
        language=body.language,
        voice=body.voice,
        ssml=body.ssml,
    )
    rendering.check_voice(renderer, language=body.language, voice=body.voice)

    def authorize() -> dict[str, str]:
        ivr.authorize(
            session=session,
            policy=policy,
            principal=principal,
            device=device,
            tree=tree,
            at=business_today(),
        )
        return service.reading_dictionary(session=session, customer_id=device.customer_id)

    dictionary = await anyio.to_thread.run_sync(authorize)
    pre = await rendering.prerender(renderer, rendering.tree_prompts(tree), dictionary=dictionary)
    rows = await anyio.to_thread.run_sync(
        partial(ivr.replace_tree, session=session, device=device, tree=tree, render_keys=pre.keys())
    )
    for row in rows:
        if row.check_status == "pending":
            job = pre.check_job(renderer, table="ivr_menus", row_id=row.id, row=row.name)
            background.add_task(checker.submit, job)
    return IvrOut.of(rows)


@router.get("/ivr", response_model=IvrOut)
def get_ivr(device: ValidDevice, session: DbSession, _: Reader) -> IvrOut:
    return IvrOut.of(ivr.get_tree(session=session, device=device))


@router.delete("/ivr", status_code=204)
def delete_ivr(device: ValidDevice, session: DbSession, _: Writer) -> Response:
    ivr.delete_tree(session=session, device=device)
    return Response(status_code=204)


@router.get("/ivr/{menu}", response_model=MenuOut)
def get_menu(
    menu: Annotated[str, Path(max_length=64)], device: ValidDevice, session: DbSession, _: Reader
) -> MenuOut:
    return MenuOut.of(ivr.get_menu(session=session, device=device, name=menu))


@router.get("/ivr/{menu}/audio", response_class=Response)
async def menu_audio(
    menu: Annotated[str, Path(max_length=64)],
    device: ValidDevice,
    session: DbSession,
    _: Reader,
    renderer: CurrentRenderer,
    format: AudioFormat = "wav",
    prompt: Literal["main", "timeout", "invalid"] = "main",
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One prompt of a menu (``prompt``: the menu text, or its timeout / invalid-input text)."""

    def load() -> tuple[list[rendering.PromptSpec], dict[str, str]]:
        row = ivr.get_menu(session=session, device=device, name=menu)
        dictionary = service.reading_dictionary(session=session, customer_id=device.customer_id)
        return rendering.menu_row_prompts(row), dictionary

    specs, dictionary = await anyio.to_thread.run_sync(load)
    spec = next((s for s in specs if s.role == prompt), None)
    if spec is None:
        raise NotFound(f"Menu {menu!r} has no {prompt} prompt.", code="IVR_PROMPT_NOT_FOUND")
    result = await rendering.render(renderer, spec, format=format, dictionary=dictionary)
    return _audio(result, spec.name, if_none_match)


# ---- export ----


@router.get("/prompts/export.zip", response_class=Response)
async def export_zip(
    device: ValidDevice,
    session: DbSession,
    _: Reader,
    renderer: CurrentRenderer,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every prompt as an Asterisk sounds folder (``<lang>/<name>.{wav,ulaw,alaw,sln16}``)
    with ``manifest.json``."""

    def load() -> tuple[export.Library, dict[str, str]]:
        slots = service.list_slots(session=session, device=device)
        menus = ivr.list_menus(session=session, device=device)
        dictionary = service.reading_dictionary(session=session, customer_id=device.customer_id)
        return export.library_of(device.id, slots, menus), dictionary

    library, dictionary = await anyio.to_thread.run_sync(load)
    data = await export.build_zip(renderer=renderer, library=library, dictionary=dictionary)
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    if if_none_match and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(
        data,
        media_type="application/zip",
        headers={
            "ETag": etag,
            "Content-Disposition": f'attachment; filename="prompts-{device.id}.zip"',
        },
    )
