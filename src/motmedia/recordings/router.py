"""HTTP for recordings: upload, list and search, transcript, audio with ranges, delete."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

import anyio
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Header,
    Query,
    Request,
    Response,
)
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as FormFile

from motmedia.api.deps import DbSession, State, require_scope
from motmedia.api.uploads import spool_stream, spool_upload
from motmedia.entitlements.dependencies import require, resolve_device
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Device
from motmedia.errors import BadInput, PayloadTooLarge
from motmedia.media.decode import AudioInfo, probe
from motmedia.recordings import service, webhooks
from motmedia.recordings.models import Webhook
from motmedia.recordings.schemas import RecordingOut, WebhookCreate, WebhookCreated, WebhookOut
from motmedia.recordings.search import snippet
from motmedia.recordings.storage import AudioStore
from motmedia.schemas import PageOut
from motmedia.stt.formats import MEDIA_TYPES
from motmedia.tenants.auth import Principal
from motmedia.tenants.scoping import get_scoped, scoped

router = APIRouter(prefix="/v1", tags=["recordings"])

Reader = Annotated[Principal, Depends(require_scope("recordings:read"))]
Writer = Annotated[Principal, Depends(require_scope("recordings:write"))]
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_DIRECTIONS = ("inbound", "outbound", "internal")

UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "call_id": {"type": "string"},
                        "started_at": {"type": "string", "format": "date-time"},
                        "direction": {"type": "string", "enum": list(_DIRECTIONS)},
                        "caller": {"type": "string"},
                        "callee": {"type": "string"},
                        "extension": {"type": "string"},
                        "parties": {
                            "type": "string",
                            "description": "party per channel: caller,agent",
                        },
                        "language": {"type": "string"},
                    },
                }
            },
            "audio/*": {
                "schema": {"type": "string", "format": "binary"},
                "description": "raw audio; metadata in the query string",
            },
        }
    }
}


def store_of(state: State) -> AudioStore:
    store: AudioStore = state.services["audio_store"]
    return store


def _field(values: FormData | dict[str, str], name: str, limit: int = 200) -> str | None:
    value = values.get(name)
    if value is None or isinstance(value, FormFile):
        return None
    value = str(value).strip()
    if len(value) > limit:
        raise BadInput(f"{name} is longer than {limit} characters.", code="INVALID_METADATA")
    return value or None


def _meta(values: FormData | dict[str, str], idempotency_key: str | None) -> service.CallMeta:
    started = _field(values, "started_at")
    started_at = None
    if started:
        try:
            started_at = datetime.fromisoformat(started)
        except ValueError as exc:
            raise BadInput("started_at must be ISO 8601.", code="INVALID_METADATA") from exc
        if started_at.tzinfo is None:
            raise BadInput(
                "started_at needs a time zone (e.g. +09:00 or Z).", code="INVALID_METADATA"
            )
        started_at = started_at.astimezone(UTC)
    direction = _field(values, "direction")
    if direction and direction not in _DIRECTIONS:
        raise BadInput(
            f"direction must be one of {', '.join(_DIRECTIONS)}.", code="INVALID_METADATA"
        )
    parties = _field(values, "parties")
    call_id = _field(values, "call_id")
    key = idempotency_key or (f"call:{call_id}" if call_id else f"anon:{uuid.uuid4()}")
    return service.CallMeta(
        idempotency_key=key[:200],
        call_id=call_id,
        started_at=started_at,
        direction=direction,
        caller=_field(values, "caller", 64),
        callee=_field(values, "callee", 64),
        extension=_field(values, "extension", 32),
        parties=tuple(p.strip() for p in parties.split(",") if p.strip()) if parties else None,
        language=_field(values, "language", 8),
    )


@router.post("/recordings", status_code=202, response_model=RecordingOut, openapi_extra=UPLOAD_DOC)
async def upload(
    request: Request,
    state: State,
    session: DbSession,
    background: BackgroundTasks,
    _principal: Writer,
    _decision: Annotated[Decision, Depends(require("stt.transcribe"))],
    device: Annotated[Device, Depends(resolve_device)],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Upload a call recording (multipart ``file`` + metadata, or a raw audio body)."""
    settings = state.settings
    early_key = idempotency_key
    if early_key is not None and (
        found := service.find_existing(
            session=session, device_id=device.id, idempotency_key=early_key
        )
    ):
        return _accepted(found, replayed=True)
    spool_dir = settings.data_dir / "spool"
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        length = int(request.headers.get("content-length") or 0)
        if length > settings.max_upload_bytes + 64 * 1024:
            raise PayloadTooLarge(
                f"The upload exceeds the limit of {settings.max_upload_bytes} bytes.",
                limit=settings.max_upload_bytes,
            )
        form = await request.form(max_files=1, max_fields=20)
        file = form.get("file")
        if not isinstance(file, FormFile):
            raise BadInput("Send the audio as the multipart field `file`.", code="MISSING_FILE")
        meta = _meta(form, idempotency_key)
        spool = await spool_upload(file, max_bytes=settings.max_upload_bytes, directory=spool_dir)
    else:
        meta = _meta(dict(request.query_params), idempotency_key)
        spool = await spool_stream(
            request.stream(), max_bytes=settings.max_upload_bytes, directory=spool_dir
        )
    try:
        info: AudioInfo = await anyio.to_thread.run_sync(probe, spool)
        _check(info, settings.max_audio_seconds)
        recording, created = await anyio.to_thread.run_sync(
            lambda: service.accept(
                session=session,
                store=store_of(state),
                device=device,
                meta=meta,
                spool=spool,
                info=info,
            )
        )
    finally:
        await anyio.Path(spool).unlink(missing_ok=True)
    if created and (send := state.services.get("send_job")) is not None:
        # After the commit (the response is sent after the session commits).
        job_id = recording_job_id(session, recording.id)
        background.add_task(send, job_id)
    return _accepted(recording, replayed=not created)


def recording_job_id(session: DbSession, recording_id: str) -> str:
    from motmedia.recordings.models import Job

    job_id = session.scalar(select(Job.id).where(Job.recording_id == recording_id))
    assert job_id is not None
    return job_id


def _check(info: AudioInfo, max_seconds: float) -> None:
    from motmedia.errors import UnsupportedMedia

    if info.channels < 1 or info.sample_rate <= 0:
        raise UnsupportedMedia("The upload has no usable audio stream.", code="NO_AUDIO_STREAM")
    if info.channels > 8:
        raise BadInput(f"{info.channels} channels; at most 8.", code="TOO_MANY_CHANNELS")
    if info.duration is not None and info.duration > max_seconds:
        raise BadInput(f"The recording is longer than {max_seconds:.0f} s.", code="AUDIO_TOO_LONG")


def _accepted(recording: object, *, replayed: bool) -> JSONResponse:
    assert hasattr(recording, "id")
    body = RecordingOut.of(recording).model_dump(mode="json")  # type: ignore[arg-type]
    headers = {"Location": f"/v1/recordings/{recording.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=202, headers=headers)


@router.get("/recordings", response_model=PageOut[RecordingOut])
def list_recordings(
    session: DbSession,
    principal: Reader,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    number: Annotated[str | None, Query(max_length=64, description="caller or callee")] = None,
    status: Literal["queued", "running", "done", "failed", "dead"] | None = None,
    q: Annotated[str | None, Query(max_length=200, description="phrase in the transcript")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[RecordingOut]:
    page = service.list_recordings(
        session=session,
        principal=principal,
        device_id=device_id,
        since=since,
        until=until,
        number=number,
        status=status,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    items = [RecordingOut.of(r, snippet(r.transcript_text, q) if q else None) for r in page.items]
    return PageOut[RecordingOut](items=items, next_cursor=page.next_cursor)


@router.get("/recordings/{recording_id}", response_model=RecordingOut)
def get_recording(recording_id: str, session: DbSession, principal: Reader) -> RecordingOut:
    return RecordingOut.of(
        service.get_recording(session=session, principal=principal, recording_id=recording_id)
    )


@router.get("/recordings/{recording_id}/transcript", response_model=None)
def get_transcript(
    recording_id: str,
    session: DbSession,
    principal: Reader,
    format: Literal["json", "txt", "srt", "vtt"] = "json",
) -> Response:
    recording = service.get_recording(
        session=session, principal=principal, recording_id=recording_id
    )
    body = service.transcript(recording, format)
    if isinstance(body, dict):
        return JSONResponse(body)
    return PlainTextResponse(body, media_type=MEDIA_TYPES[format])


@router.get("/recordings/{recording_id}/audio", response_model=None)
def get_audio(
    recording_id: str,
    session: DbSession,
    state: State,
    principal: Reader,
    range: Annotated[str | None, Header()] = None,
) -> Response:
    """The original bytes, decrypted; supports ``Range: bytes=…`` so players can seek."""
    recording = service.get_recording(
        session=session, principal=principal, recording_id=recording_id
    )
    store = store_of(state)
    size = recording.size_bytes
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'inline; filename="{recording.id}"',
    }
    start, end, status = 0, size, 200
    if range:
        match = _RANGE.match(range.strip())
        lo, hi = (match.group(1), match.group(2)) if match else ("", "")
        if not match or (not lo and not hi):
            return _unsatisfiable(size)
        if lo:
            start, end = int(lo), (int(hi) + 1 if hi else size)
        else:  # suffix range: the last N bytes
            start, end = max(0, size - int(hi)), size
        end = min(end, size)
        if start >= end:
            return _unsatisfiable(size)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)

    def body() -> Iterator[bytes]:
        yield from store.read(recording.customer_id, recording.id, start, end)

    return StreamingResponse(
        body(), status_code=status, media_type=recording.media_type, headers=headers
    )


def _unsatisfiable(size: int) -> Response:
    return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})


@router.delete("/recordings/{recording_id}", status_code=204)
def delete_recording(
    recording_id: str, session: DbSession, state: State, principal: Writer
) -> Response:
    recording = service.get_recording(
        session=session, principal=principal, recording_id=recording_id
    )
    service.delete_recording(session=session, store=store_of(state), recording=recording)
    return Response(status_code=204)


# ---- webhooks ----


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, tags=["webhooks"])
def create_webhook(
    body: WebhookCreate,
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("keys:write"))],
) -> WebhookCreated:
    """Register a URL for ``recording.done`` / ``recording.dead`` events (HMAC-signed)."""
    if principal.customer_id is None:
        raise BadInput(
            "Webhooks belong to a customer; use a customer key.", code="CUSTOMER_REQUIRED"
        )
    hook = webhooks.create(session=session, customer_id=principal.customer_id, url=body.url)
    return WebhookCreated(id=hook.id, url=hook.url, created_at=hook.created_at, secret=hook.secret)


@router.get("/webhooks", response_model=list[WebhookOut], tags=["webhooks"])
def list_webhooks(
    session: DbSession, principal: Annotated[Principal, Depends(require_scope("keys:read"))]
) -> list[WebhookOut]:
    hooks = session.scalars(scoped(select(Webhook), Webhook, principal))
    return [WebhookOut(id=h.id, url=h.url, created_at=h.created_at) for h in hooks]


@router.delete("/webhooks/{webhook_id}", status_code=204, tags=["webhooks"])
def delete_webhook(
    webhook_id: str,
    session: DbSession,
    principal: Annotated[Principal, Depends(require_scope("keys:write"))],
) -> Response:
    session.delete(get_scoped(session, Webhook, webhook_id, principal))
    return Response(status_code=204)
