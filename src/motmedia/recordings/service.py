"""Recordings: accept an upload, read, list, search, delete, retention. No FastAPI here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motmedia.db import new_id, utcnow
from motmedia.entitlements.models import Device
from motmedia.errors import BadInput, Conflict, NotFound
from motmedia.media.decode import AudioInfo
from motmedia.pagination import Page, paginate
from motmedia.recordings import jobs, search
from motmedia.recordings.models import Job, JobStatus, Recording
from motmedia.recordings.storage import AudioStore
from motmedia.tenants.auth import Principal
from motmedia.tenants.models import Customer
from motmedia.tenants.scoping import get_scoped, scoped

__all__ = [
    "CallMeta",
    "accept",
    "delete_recording",
    "find_existing",
    "list_recordings",
    "purge_expired",
]

CONTAINER_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "matroska,webm": "audio/webm",
}


@dataclass(frozen=True, slots=True)
class CallMeta:
    """What the PBX says about the call, besides the audio."""

    idempotency_key: str
    call_id: str | None = None
    started_at: datetime | None = None
    direction: str | None = None
    caller: str | None = None
    callee: str | None = None
    extension: str | None = None
    parties: tuple[str, ...] | None = None
    language: str | None = None


def find_existing(*, session: Session, device_id: str, idempotency_key: str) -> Recording | None:
    return session.scalars(
        select(Recording).where(
            Recording.device_id == device_id, Recording.idempotency_key == idempotency_key
        )
    ).first()


def accept(
    *,
    session: Session,
    store: AudioStore,
    device: Device,
    meta: CallMeta,
    spool: Path,
    info: AudioInfo,
    max_attempts: int = 5,
) -> tuple[Recording, bool]:
    """Store a validated upload encrypted and queue its job; returns (recording, created).

    A retried upload with the same key returns the first recording. The row and the job
    commit together with the caller's transaction; the sealed file is written first and
    removed again if the row cannot be stored, so nothing is left half-written.
    """
    existing = find_existing(
        session=session, device_id=device.id, idempotency_key=meta.idempotency_key
    )
    if existing is not None:
        return existing, False
    if meta.parties is not None and len(meta.parties) != info.channels:
        raise BadInput(
            f"{len(meta.parties)} parties named for {info.channels} channel(s).",
            code="PARTIES_MISMATCH",
        )
    digest = hashlib.sha256()
    with spool.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    recording = Recording(
        id=new_id(),
        customer_id=device.customer_id,
        device_id=device.id,
        idempotency_key=meta.idempotency_key,
        call_id=meta.call_id,
        started_at=meta.started_at,
        direction=meta.direction,
        caller=meta.caller,
        callee=meta.callee,
        extension=meta.extension,
        parties=",".join(meta.parties) if meta.parties else None,
        language=meta.language,
        status=JobStatus.QUEUED,
        sha256=digest.hexdigest(),
        media_type=CONTAINER_TYPES.get(info.container, "application/octet-stream"),
        codec=info.codec,
        channels=info.channels,
        duration=info.duration,
    )
    with spool.open("rb") as fh:
        recording.size_bytes = store.put(device.customer_id, recording.id, fh)
    try:
        with session.begin_nested():
            session.add(recording)
            session.flush()
            jobs.enqueue(session=session, recording=recording, max_attempts=max_attempts)
    except IntegrityError as exc:
        store.delete(device.customer_id, recording.id)
        # Two identical uploads raced; the other one won and is the answer.
        winner = find_existing(
            session=session, device_id=device.id, idempotency_key=meta.idempotency_key
        )
        if winner is None:
            raise Conflict(
                "The recording could not be stored; retry.", code="UPLOAD_CONFLICT"
            ) from exc
        return winner, False
    except BaseException:
        store.delete(device.customer_id, recording.id)
        raise
    return recording, True


def list_recordings(
    *,
    session: Session,
    principal: Principal,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    number: str | None = None,
    status: str | None = None,
    q: str | None = None,
    cursor: str | None,
    limit: int,
) -> Page[Recording]:
    stmt = scoped(select(Recording), Recording, principal)
    if device_id:
        stmt = stmt.where(Recording.device_id == device_id)
    if since:
        stmt = stmt.where(Recording.started_at >= since)
    if until:
        stmt = stmt.where(Recording.started_at < until)
    if number:
        stmt = stmt.where((Recording.caller == number) | (Recording.callee == number))
    if status:
        stmt = stmt.where(Recording.status == status)
    if q is not None:
        if not search.normalise_query(q):
            raise BadInput("The search phrase is empty.", code="EMPTY_QUERY")
        stmt = search.filter_by_phrase(session, stmt, q)
    return paginate(session, stmt, Recording, cursor=cursor, limit=limit)


def get_recording(*, session: Session, principal: Principal, recording_id: str) -> Recording:
    return get_scoped(session, Recording, recording_id, principal)


def transcript(recording: Recording, fmt: str) -> dict[str, Any] | str:
    """The stored transcript: the JSON document, or the ``txt``/``srt``/``vtt`` rendering."""
    if recording.status != JobStatus.DONE or recording.transcript_json is None:
        raise NotFound(
            f"Recording {recording.id} has no transcript (status {recording.status}).",
            code="TRANSCRIPT_NOT_READY",
            recording_status=recording.status,
        )
    stored: dict[str, Any] = json.loads(recording.transcript_json)
    if fmt == "json":
        document: dict[str, Any] = stored["document"]
        return document
    rendering: str = stored[fmt]
    return rendering


def delete_recording(*, session: Session, store: AudioStore, recording: Recording) -> None:
    """Audio, transcript, search entry and job all go."""
    search.remove(session, recording.id)
    session.execute(delete(Job).where(Job.recording_id == recording.id))
    session.delete(recording)
    session.flush()
    store.delete(recording.customer_id, recording.id)


def purge_expired(*, session: Session, store: AudioStore, now: datetime | None = None) -> int:
    """Retention: delete recordings older than each customer's ``retention_days``."""
    now = now or utcnow()
    removed = 0
    for customer in session.scalars(select(Customer)):
        days = json.loads(customer.settings_json or "{}").get("retention_days")
        if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
            continue
        cutoff = now - timedelta(days=days)
        old = session.scalars(
            select(Recording).where(
                Recording.customer_id == customer.id,
                Recording.created_at < cutoff,
                Recording.status.in_(JobStatus.FINAL),
            )
        )
        for recording in list(old):
            delete_recording(session=session, store=store, recording=recording)
            removed += 1
    return removed
