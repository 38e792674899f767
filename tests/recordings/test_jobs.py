"""The SQL job queue: leases, ownership, backoff, dead letters — on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from motmedia.db import Database, new_id, utcnow
from motmedia.entitlements.models import Device
from motmedia.media.decode import AudioInfo
from motmedia.recordings import jobs, service
from motmedia.recordings.models import Job, JobStatus, Recording
from motmedia.recordings.storage import AudioStore
from motmedia.tenants import service as tenants


def _job(db: Database, tmp_store: AudioStore, max_attempts: int = 3) -> str:
    with db.session() as session:
        customer = tenants.create_customer(session=session, name="q")
        device = Device(
            id=new_id(),
            customer_id=customer.id,
            model="MOT/PRO",
            serial=new_id(),
            install_date=date(2019, 1, 1),
            name="",
            quota_seq=0,
        )
        session.add(device)
        session.flush()
        spool = tmp_store.root / "in.bin"
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(b"RIFF....")
        recording, _ = service.accept(
            session=session,
            store=tmp_store,
            device=device,
            meta=service.CallMeta(idempotency_key="k"),
            spool=spool,
            info=AudioInfo(1.0, 1, 8000, "pcm_mulaw", "wav"),
            max_attempts=max_attempts,
        )
        return session.scalars(select(Job.id).where(Job.recording_id == recording.id)).one()


def test_claim_lease_and_ownership(database: Database, tmp_path: Path) -> None:
    store = AudioStore(tmp_path / "a", b"k" * 32)
    job_id = _job(database, store)
    with database.session() as s:
        job = jobs.claim_next(session=s, worker_id="w1", lease=30)
        assert job is not None and job.id == job_id and job.attempts == 1
    with database.session() as s:
        assert jobs.claim_next(session=s, worker_id="w2", lease=30) is None  # leased
        assert jobs.heartbeat(session=s, job_id=job_id, worker_id="w1", lease=30)
        assert not jobs.heartbeat(session=s, job_id=job_id, worker_id="w2", lease=30)
        assert not jobs.finish(session=s, job_id=job_id, worker_id="w2")
    # The lease runs out (w1 was killed): w2 takes the job; w1 can no longer finish it.
    with database.session() as s:
        s.get(Job, job_id).lease_until = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    with database.session() as s:
        job = jobs.claim_next(session=s, worker_id="w2", lease=30)
        assert job is not None and job.attempts == 2 and job.worker_id == "w2"
    with database.session() as s:
        assert not jobs.finish(session=s, job_id=job_id, worker_id="w1")
        assert (
            jobs.fail(session=s, job_id=job_id, worker_id="w1", error="x", permanent=False) is None
        )
        assert jobs.finish(session=s, job_id=job_id, worker_id="w2")
    with database.session() as s:
        assert s.get(Job, job_id).status == JobStatus.DONE  # type: ignore[union-attr]
        assert not jobs.finish(session=s, job_id=job_id, worker_id="w2")  # exactly once


def test_backoff_then_dead(database: Database, tmp_path: Path) -> None:
    store = AudioStore(tmp_path / "b", b"k" * 32)
    job_id = _job(database, store, max_attempts=2)
    with database.session() as s:
        jobs.claim(session=s, job_id=job_id, worker_id="w", lease=30)
        assert (
            jobs.fail(session=s, job_id=job_id, worker_id="w", error="boom", permanent=False)
            == "queued"
        )
    with database.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.run_after > utcnow()  # backing off
        assert jobs.claim_next(session=s, worker_id="w", lease=30) is None
        job.run_after = utcnow()
    with database.session() as s:
        assert jobs.claim_next(session=s, worker_id="w", lease=30) is not None
        assert (
            jobs.fail(session=s, job_id=job_id, worker_id="w", error="boom again", permanent=False)
            == "dead"
        )
    with database.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.last_error == "boom again" and job.finished_at is not None
        rec = s.get(Recording, job.recording_id)
        assert rec is not None and rec.status == "dead" and rec.error == "boom again"


def test_permanent_failure_and_sweep(database: Database, tmp_path: Path) -> None:
    store = AudioStore(tmp_path / "c", b"k" * 32)
    first = _job(database, store)
    with database.session() as s:
        jobs.claim(session=s, job_id=first, worker_id="w", lease=0.01)
    time.sleep(0.05)
    with database.session() as s:
        assert jobs.requeue_expired(session=s) == [first]
    with database.session() as s:
        assert s.get(Job, first).status == JobStatus.QUEUED  # type: ignore[union-attr]
        jobs.claim(session=s, job_id=first, worker_id="w", lease=30)
        assert (
            jobs.fail(session=s, job_id=first, worker_id="w", error="UNREADABLE", permanent=True)
            == "failed"
        )


def test_backoff_grows_with_jitter() -> None:
    rng = random.Random(1)
    delays = [jobs.backoff(n, rng) for n in range(1, 8)]
    assert all(d >= jobs.BACKOFF_BASE / 2 for d in delays)
    assert delays[-1] > delays[0] and max(delays) <= jobs.BACKOFF_CAP
    assert len({round(jobs.backoff(3, rng), 6) for _ in range(5)}) == 5  # jittered
