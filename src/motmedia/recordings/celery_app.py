"""Celery mode: ``celery -A motmedia.recordings.celery_app worker --pool=solo`` (one per GPU).

The API sends job ids (``motmedia.transcribe``); a worker claims the job row and runs the
same :func:`~motmedia.recordings.worker.process` as the local pool. Messages are
acknowledged late and rejected when a worker dies, so the broker redelivers them; the
job's lease decides who actually runs it, and the periodic sweep (``motmedia.sweep``, in
beat or in the API's supervisor) re-sends jobs whose lease expired or whose message was
lost.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from functools import lru_cache

from celery import Celery

from motmedia.config import get_settings
from motmedia.recordings import jobs

__all__ = ["app", "make_app", "send_job", "sender"]

TASK = "motmedia.transcribe"


def make_app(broker_url: str | None) -> Celery:
    celery = Celery("motmedia", broker=broker_url or "redis://127.0.0.1:6379/0")
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long job must not hold others hostage
        task_default_queue="motmedia",
        broker_connection_retry_on_startup=True,
        beat_schedule={"motmedia-sweep": {"task": "motmedia.sweep", "schedule": 30.0}},
    )
    return celery


# The worker's app, configured from the environment / TOML like everything else.
app = make_app(get_settings().broker_url)


@lru_cache(maxsize=1)
def _context():  # type: ignore[no-untyped-def]
    from motmedia.recordings.worker import WorkerContext
    from motmedia.stt.models import load_model_from_settings

    settings = get_settings()
    load_model_from_settings(settings)
    worker_id = f"celery-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return WorkerContext.create(settings, worker_id, settings.job_lease_seconds)


@app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def transcribe_job(job_id: str) -> str | None:
    from motmedia.recordings.worker import process

    ctx = _context()
    with ctx.db.session() as session:
        job = jobs.claim(session=session, job_id=job_id, worker_id=ctx.worker_id, lease=ctx.lease)
        if job is None:
            return None  # done already, or someone else holds a live lease
    status: str | None = process(job_id, ctx)
    return status


@app.task(name="motmedia.sweep")  # type: ignore[untyped-decorator]
def sweep() -> int:
    from motmedia.recordings.pool import Supervisor

    supervisor = Supervisor(get_settings(), resend=send_job)
    supervisor.tick()
    return 0


def send_job(job_id: str) -> None:
    app.send_task(TASK, args=[job_id])


def sender(broker_url: str) -> Callable[[str], None]:
    """A ``send_job`` for a given broker (the API's settings may differ from the environment)."""
    client = make_app(broker_url)

    def send(job_id: str) -> None:
        client.send_task(TASK, args=[job_id])

    return send
