"""Retention: ``service.purge_expired`` on SQLite and PostgreSQL.

A customer created with ``settings={"retention_days": 30}`` loses recordings older than 30
days — audio file, row, transcript, search entry and job — once they are finished; younger
ones, unfinished ones and every recording of a customer without retention stay. Recordings
are uploaded through the API, finished the way the worker finishes them (status, transcript
text in the search index) and aged by moving ``created_at`` back in the database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from motmedia.db import utcnow
from motmedia.media.decode import write_wav
from motmedia.recordings import search, service
from motmedia.recordings.models import Job, JobStatus, Recording
from motmedia.recordings.pool import Supervisor
from motmedia.recordings.storage import AudioStore
from motmedia.tenants.models import Customer

from ..conftest import Keys, auth, make_device

PHRASE = "保守契約の更新"


@dataclass
class Tenant:
    customer_id: str
    key: str  # device key of its contracted PBX


def _tenant(client: TestClient, keys: Keys, name: str, settings: dict[str, Any]) -> Tenant:
    r = client.post(
        "/v1/customers", json={"name": name, "settings": settings}, headers=auth(keys.vendor)
    )
    assert r.status_code == 201, r.text
    customer = r.json()["id"]
    _, key = make_device(client, keys, customer, "MOT/PBX M-V3", f"{name}-1", contract=True)
    return Tenant(customer, key)


def _wav(seed: int) -> bytes:
    t = np.arange(8000) / 8000
    tone = 0.3 * np.sin(2 * np.pi * (300 + seed) * t)
    buffer = io.BytesIO()
    write_wav(buffer, np.stack([tone, tone[::-1]]).astype(np.float32), 8000, codec="pcm_mulaw")
    return buffer.getvalue()


class Calls:
    """Uploads through the API; finishes and ages recordings in the database."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client, self.app = client, app
        self.db = app.state.motmedia.db
        self.store: AudioStore = app.state.motmedia.services["audio_store"]
        self.seed = 0
        self.sent: dict[str, bytes] = {}

    def upload(self, tenant: Tenant, *, age_days: float, status: str = JobStatus.DONE) -> str:
        self.seed += 1
        data = _wav(self.seed)
        r = self.client.post(
            "/v1/recordings",
            headers={**auth(tenant.key), "Idempotency-Key": f"call-{self.seed}"},
            files={"file": ("c.wav", data, "audio/wav")},
        )
        assert r.status_code == 202, r.text
        rid: str = r.json()["id"]
        self.sent[rid] = data
        with self.db.session() as session:
            recording = session.get(Recording, rid)
            assert recording is not None
            if status in JobStatus.FINAL:
                recording.status = status
                recording.transcript_json = '{"document": {}}'
                session.execute(update(Job).where(Job.recording_id == rid).values(status=status))
            search.store_text(session, recording, f"caller: {PHRASE}についてです ({self.seed})")
            recording.created_at = utcnow() - timedelta(days=age_days)
        return rid

    def exists(self, tenant: Tenant, rid: str) -> bool:
        """Row, job, audio and search entry: all there (True) or all gone (False)."""
        with self.db.session() as session:
            row = session.get(Recording, rid) is not None
            job = session.scalar(select(func.count()).where(Job.recording_id == rid)) == 1
            indexed = _indexed(session, rid)
        audio = self.store.path(tenant.customer_id, rid).exists()
        api = self.client.get(f"/v1/recordings/{rid}", headers=auth(tenant.key)).status_code
        parts = {"row": row, "job": job, "audio": audio, "index": indexed, "api": api == 200}
        assert len(set(parts.values())) == 1, f"half-deleted recording {rid}: {parts}"
        return row

    def found(self, tenant: Tenant) -> set[str]:
        r = self.client.get("/v1/recordings", params={"q": PHRASE}, headers=auth(tenant.key))
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    def purge(self) -> int:
        with self.db.session() as session:
            return service.purge_expired(session=session, store=self.store)


def _indexed(session: Any, rid: str) -> bool:
    if session.get_bind().dialect.name == "sqlite":  # the FTS5 table is a separate index
        n = session.execute(
            text("SELECT count(*) FROM recording_search WHERE recording_id = :r"), {"r": rid}
        ).scalar_one()
        return bool(n)
    body = session.scalar(select(Recording.transcript_text).where(Recording.id == rid))
    return body is not None


@pytest.fixture
def calls(client: TestClient, app: FastAPI) -> Calls:
    return Calls(client, app)


def test_purge_deletes_only_expired_finished_recordings(
    client: TestClient, keys: Keys, calls: Calls
) -> None:
    short = _tenant(client, keys, "Retains30", {"retention_days": 30})
    forever = _tenant(client, keys, "KeepsAll", {})
    expired = [
        calls.upload(short, age_days=31),
        calls.upload(short, age_days=400, status=JobStatus.FAILED),
        calls.upload(short, age_days=45, status=JobStatus.DEAD),
    ]
    kept = [
        calls.upload(short, age_days=29),
        calls.upload(short, age_days=0),
        calls.upload(short, age_days=60, status=JobStatus.QUEUED),  # not finished: not touched
    ]
    others = [calls.upload(forever, age_days=400), calls.upload(forever, age_days=31)]
    for rid in expired + kept:
        assert calls.exists(short, rid)
    assert calls.found(short) == set(expired + kept)

    assert calls.purge() == len(expired)

    for rid in expired:
        assert not calls.exists(short, rid)
    for rid in kept:
        assert calls.exists(short, rid)
    for rid in others:
        assert calls.exists(forever, rid)
    assert calls.found(short) == set(kept)
    assert calls.found(forever) == set(others)
    # Kept audio still decrypts to what was uploaded.
    audio = client.get(f"/v1/recordings/{kept[0]}/audio", headers=auth(short.key))
    assert audio.status_code == 200 and audio.content == calls.sent[kept[0]]
    # The store holds no orphan file for a deleted recording.
    folder = calls.store.root / short.customer_id
    stored = {p.stem for p in folder.rglob("*.mra")}
    assert stored == set(kept)
    assert calls.purge() == 0  # nothing left to do


@pytest.mark.parametrize("retention", ["30", 0, -1, 3.5, True])
def test_unusable_retention_settings_are_refused(
    client: TestClient, keys: Keys, retention: Any
) -> None:
    r = client.post(
        "/v1/customers",
        json={"name": "Odd", "settings": {"retention_days": retention}},
        headers=auth(keys.vendor),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "retention_days"


@pytest.mark.parametrize("stored", ['{"retention_days": "30"}', '{"retention_days": true}', "{}"])
def test_stored_odd_settings_keep_everything(
    client: TestClient, keys: Keys, calls: Calls, app: FastAPI, stored: str
) -> None:
    """Rows written before settings were validated: the purge still never guesses."""
    tenant = _tenant(client, keys, "Old", {})
    rid = calls.upload(tenant, age_days=1000)
    with app.state.motmedia.db.session() as session:
        session.get(Customer, tenant.customer_id).settings_json = stored  # type: ignore[union-attr]
    assert calls.purge() == 0
    assert calls.exists(tenant, rid)


def test_supervisor_tick_applies_retention(
    client: TestClient, keys: Keys, calls: Calls, app: FastAPI
) -> None:
    tenant = _tenant(client, keys, "Ticked", {"retention_days": 7})
    old, new = calls.upload(tenant, age_days=8), calls.upload(tenant, age_days=6)

    Supervisor(app.state.motmedia.settings).tick()

    assert not calls.exists(tenant, old)
    assert calls.exists(tenant, new)
