"""The job queue in SQL: claim under a lease, heartbeat, finish once, back off, die.

The job row is the source of truth in both modes. Local workers poll with
:func:`claim_next`; Celery workers receive a job id and take it with :func:`claim`. Either
way a job is run by the holder of an unexpired lease, and only the holder can finish it
(:func:`finish` checks ``worker_id``), so a worker that lost its lease — killed, frozen,
partitioned — can never record a second result: the job ends ``done`` exactly once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from motmedia.db import new_id, utcnow
from motmedia.recordings.models import Job, JobStatus, Recording

__all__ = [
    "backoff",
    "claim",
    "claim_next",
    "enqueue",
    "fail",
    "finish",
    "heartbeat",
    "requeue_expired",
]

BACKOFF_BASE = 5.0  # seconds before the second attempt
BACKOFF_CAP = 600.0


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: half fixed, half random, so retries spread out."""
    delay = float(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))
    return delay / 2 + (rng or random).random() * delay / 2


def enqueue(*, session: Session, recording: Recording, max_attempts: int = 5) -> Job:
    job = Job(
        id=new_id(),
        recording_id=recording.id,
        customer_id=recording.customer_id,
        status=JobStatus.QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        run_after=utcnow(),
        updated_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def _take(session: Session, job_id: str, worker_id: str, lease: float, now: datetime) -> Job | None:
    claimable = or_(
        (Job.status == JobStatus.QUEUED) & (Job.run_after <= now),
        (Job.status == JobStatus.RUNNING) & (Job.lease_until < now),
    )
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, claimable)
        .values(
            status=JobStatus.RUNNING,
            worker_id=worker_id,
            attempts=Job.attempts + 1,
            lease_until=now + timedelta(seconds=lease),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.execute(
        update(Recording)
        .where(Recording.id == select(Job.recording_id).where(Job.id == job_id).scalar_subquery())
        .values(status=JobStatus.RUNNING)
    )
    job = session.get(Job, job_id, populate_existing=True)
    return job


def claim_next(*, session: Session, worker_id: str, lease: float) -> Job | None:
    """Take the oldest runnable job, or one whose holder's lease ran out."""
    now = utcnow()
    candidate = session.scalars(
        select(Job.id)
        .where(
            or_(
                (Job.status == JobStatus.QUEUED) & (Job.run_after <= now),
                (Job.status == JobStatus.RUNNING) & (Job.lease_until < now),
            )
        )
        .order_by(Job.run_after)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if candidate is None:
        return None
    return _take(session, candidate, worker_id, lease, now)


def claim(*, session: Session, job_id: str, worker_id: str, lease: float) -> Job | None:
    """Take a specific job (Celery delivers ids); ``None`` if it is not runnable now."""
    return _take(session, job_id, worker_id, lease, utcnow())


def heartbeat(*, session: Session, job_id: str, worker_id: str, lease: float) -> bool:
    """Extend the lease; ``False`` means the lease was lost and the work must be abandoned."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == JobStatus.RUNNING)
        .values(lease_until=now + timedelta(seconds=lease), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(*, session: Session, job_id: str, worker_id: str) -> bool:
    """Mark done if still ours; the caller writes the result in the same transaction."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.DONE, finished_at=now, updated_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def fail(
    *, session: Session, job_id: str, worker_id: str, error: str, permanent: bool
) -> str | None:
    """Record a failed attempt: back off and retry, or end ``failed``/``dead``.

    Returns the job's new status, or ``None`` when the lease was no longer ours.
    """
    job = session.get(Job, job_id, populate_existing=True, with_for_update=True)
    if job is None or job.worker_id != worker_id or job.status != JobStatus.RUNNING:
        return None
    now = utcnow()
    job.last_error = error[:4000]
    job.updated_at = now
    job.lease_until = None
    if permanent:
        job.status = JobStatus.FAILED
    elif job.attempts >= job.max_attempts:
        job.status = JobStatus.DEAD
    else:
        job.status = JobStatus.QUEUED
        job.run_after = now + timedelta(seconds=backoff(job.attempts))
    if job.status in JobStatus.FINAL:
        job.finished_at = now
    recording = session.get(Recording, job.recording_id)
    if recording is not None:
        recording.status = job.status
        recording.error = job.last_error if job.status in JobStatus.FINAL else None
    return job.status


def requeue_expired(*, session: Session) -> list[str]:
    """Jobs whose holder's lease ran out go back to the queue (or die if out of attempts).

    Returns the ids now queued, for the Celery sweep to re-send (a lost message or a dead
    worker thus loses no job). Local workers would also find them via :func:`claim_next`.
    """
    now = utcnow()
    expired = list(
        session.scalars(
            select(Job)
            .where(Job.status == JobStatus.RUNNING, Job.lease_until < now)
            .with_for_update(skip_locked=True)
        )
    )
    queued: list[str] = []
    for job in expired:
        job.worker_id = None
        job.lease_until = None
        job.updated_at = now
        if job.attempts >= job.max_attempts:
            job.status = JobStatus.DEAD
            job.last_error = (job.last_error or "") + " (lease expired on the last attempt)"
            job.finished_at = now
        else:
            job.status = JobStatus.QUEUED
            job.run_after = now
            queued.append(job.id)
        session.execute(
            update(Recording).where(Recording.id == job.recording_id).values(status=job.status)
        )
    return queued


def stale_queued(*, session: Session, older_than: float) -> list[str]:
    """Queued jobs that nobody took for a while (Celery message lost): ids to re-send."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    return list(
        session.scalars(
            select(Job.id).where(
                Job.status == JobStatus.QUEUED, Job.run_after <= cutoff, Job.updated_at <= cutoff
            )
        )
    )
