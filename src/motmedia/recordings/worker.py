"""``process(job_id)``: the one function that transcribes a recording, in both modes.

A local pool process and a Celery task both claim a job, then call :func:`process`. It
decrypts the audio to a private spool file, runs the STT call pipeline, and records the
transcript, talk metrics and search text in the same transaction that marks the job
done — only if the lease is still ours, so a result is never written twice. A heartbeat
thread extends the lease while the model works.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from motmedia.config import Settings
from motmedia.db import Database
from motmedia.errors import MotMediaError
from motmedia.media.decode import decode
from motmedia.recordings import jobs, search, webhooks
from motmedia.recordings.models import Job, JobStatus, Recording
from motmedia.recordings.redact import redact
from motmedia.recordings.storage import AudioStore
from motmedia.stt.formats import render, to_json
from motmedia.stt.metrics import call_metrics
from motmedia.stt.models import load_model_from_settings
from motmedia.stt.pipeline import TranscribeOptions, transcribe
from motmedia.tenants.models import Customer

__all__ = ["WorkerContext", "process"]

log = logging.getLogger("motmedia.worker")


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    store: AudioStore
    worker_id: str
    lease: float = 60.0
    lost: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def create(cls, settings: Settings, worker_id: str, lease: float = 60.0) -> WorkerContext:
        return cls(
            settings=settings,
            db=Database(settings.sqlalchemy_url),
            store=AudioStore(settings.data_dir / "recordings", settings.secret("storage_key")),
            worker_id=worker_id,
            lease=lease,
        )


class _Heartbeat(threading.Thread):
    def __init__(self, ctx: WorkerContext, job_id: str) -> None:
        super().__init__(name=f"heartbeat-{job_id[:8]}", daemon=True)
        self.ctx, self.job_id, self.stop = ctx, job_id, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.ctx.lease / 3):
            try:
                with self.ctx.db.session() as session:
                    alive = jobs.heartbeat(
                        session=session,
                        job_id=self.job_id,
                        worker_id=self.ctx.worker_id,
                        lease=self.ctx.lease,
                    )
            except Exception:  # a database hiccup: the next beat may succeed
                log.warning("heartbeat failed", exc_info=True)
                continue
            if not alive:
                self.ctx.lost.set()
                return


def _options(recording: Recording, customer: Customer | None) -> tuple[TranscribeOptions, bool]:
    settings = json.loads(customer.settings_json or "{}") if customer else {}
    vocabulary = tuple(str(w) for w in settings.get("vocabulary", []))[:100]
    options = TranscribeOptions(
        language=recording.language or None,
        parties=tuple(recording.parties.split(",")) if recording.parties else None,
        hotwords=vocabulary,
    )
    return options, bool(settings.get("redact_pii"))


def process(job_id: str, ctx: WorkerContext) -> str | None:
    """Run a job this worker has claimed. Returns the job's status afterwards, or ``None``
    when the lease was lost (another worker owns the job now)."""
    ctx.lost.clear()
    with ctx.db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.worker_id != ctx.worker_id or job.status != JobStatus.RUNNING:
            return None
        recording = session.get(Recording, job.recording_id)
        if recording is None:
            return None
        customer = session.get(Customer, recording.customer_id)
        options, redact_pii = _options(recording, customer)
        customer_id, recording_id = recording.customer_id, recording.id
    beat = _Heartbeat(ctx, job_id)
    beat.start()
    spool_dir = ctx.settings.data_dir / "spool"
    spool_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="job-", dir=spool_dir)
    spool = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in ctx.store.read(customer_id, recording_id):
                out.write(block)
        audio = decode(
            spool,
            max_seconds=ctx.settings.max_audio_seconds,
            max_bytes=ctx.settings.max_upload_bytes,
        )
        transcript = transcribe(
            audio,
            load_model_from_settings(ctx.settings),
            options,
            default_parties=ctx.settings.stt_parties,
        )
        metrics = call_metrics(transcript)
    except MotMediaError as exc:
        permanent = exc.status < 500
        return _failed(ctx, job_id, f"{exc.code}: {exc.detail}", permanent=permanent)
    except Exception as exc:
        log.exception("job %s failed", job_id)
        return _failed(ctx, job_id, f"{type(exc).__name__}: {exc}", permanent=False)
    finally:
        beat.stop.set()
        spool.unlink(missing_ok=True)
    if ctx.lost.is_set():
        return None
    if redact_pii:
        # Word timings would spell a number out again, so redacted segments lose them.
        transcript = replace(
            transcript,
            segments=tuple(replace(s, text=redact(s.text), words=()) for s in transcript.segments),
        )
    stored = {
        "document": to_json(transcript, metrics),
        **{fmt: render(transcript, fmt) for fmt in ("txt", "srt", "vtt")},
    }
    text = "\n".join(f"{s.party}: {s.text}" for s in transcript.segments)
    with ctx.db.session() as session:
        if not jobs.finish(session=session, job_id=job_id, worker_id=ctx.worker_id):
            session.rollback()
            return None
        recording = session.get(Recording, recording_id)
        assert recording is not None
        recording.transcript_json = json.dumps(stored, ensure_ascii=False)
        recording.metrics_json = json.dumps(metrics.to_dict(), ensure_ascii=False)
        recording.status = JobStatus.DONE
        recording.error = None
        recording.duration = transcript.duration
        search.store_text(session, recording, text)
        webhooks.enqueue_event(
            session=session,
            customer_id=customer_id,
            event={
                "type": "recording.done",
                "recording_id": recording_id,
                "status": JobStatus.DONE,
                "call_id": recording.call_id,
            },
        )
    return JobStatus.DONE


def _failed(ctx: WorkerContext, job_id: str, error: str, *, permanent: bool) -> str | None:
    with ctx.db.session() as session:
        status = jobs.fail(
            session=session,
            job_id=job_id,
            worker_id=ctx.worker_id,
            error=error,
            permanent=permanent,
        )
        if status in (JobStatus.DEAD, JobStatus.FAILED):
            job = session.get(Job, job_id)
            assert job is not None
            webhooks.enqueue_event(
                session=session,
                customer_id=job.customer_id,
                event={
                    "type": "recording.dead",
                    "recording_id": job.recording_id,
                    "status": status,
                    "error": error,
                },
            )
    return status
