"""The local worker pool: processes that claim jobs from the database, and a supervisor.

Each worker process loads the model once and loops claim → process. The supervisor (a
thread of the serving process) restarts workers that died, and runs the periodic chores:
re-queueing jobs whose lease expired (for Celery, re-sending them), retention, webhooks.
Processes are started with ``spawn`` so that no event loop, socket or lock of the API
process is inherited.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from multiprocessing.process import BaseProcess

import httpx

from motmedia.config import Settings
from motmedia.db import Database
from motmedia.recordings import jobs, service, webhooks
from motmedia.recordings.storage import AudioStore

__all__ = ["LocalPool", "Supervisor", "default_workers", "worker_main"]

log = logging.getLogger("motmedia.pool")
POLL_SECONDS = 0.5


def default_workers(settings: Settings) -> int:
    """One worker per two cores (CTranslate2 uses several threads per worker), at least 1."""
    if settings.workers > 0:
        return settings.workers
    return max(1, len(os.sched_getaffinity(0)) // 2)


def worker_main(settings: Settings, worker_id: str, lease: float) -> None:
    """Entry point of a worker process."""
    from motmedia.logs import configure_logging
    from motmedia.recordings.worker import WorkerContext, process
    from motmedia.stt.models import load_model_from_settings

    configure_logging(settings.log_level, settings.log_format)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    ctx = WorkerContext.create(settings, worker_id, lease)
    load_model_from_settings(settings)  # once, before the first job
    log.info("worker %s ready", worker_id)
    while not stopping.is_set():
        with ctx.db.session() as session:
            job = jobs.claim_next(session=session, worker_id=worker_id, lease=lease)
            job_id = job.id if job else None
        if job_id is None:
            stopping.wait(POLL_SECONDS)
            continue
        status = process(job_id, ctx)
        log.info("job %s → %s", job_id, status)
    ctx.db.dispose()


class Supervisor(threading.Thread):
    """Periodic chores; ``resend`` is set in Celery mode to re-send re-queued job ids."""

    def __init__(
        self,
        settings: Settings,
        *,
        interval: float = 5.0,
        resend: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(name="motmedia-supervisor", daemon=True)
        self.settings, self.interval, self.resend = settings, interval, resend
        self.stopped = threading.Event()
        self.ticks = 0
        self.on_tick: list[Callable[[], None]] = []

    def tick(self) -> None:
        db = Database(self.settings.sqlalchemy_url)
        store = AudioStore(
            self.settings.data_dir / "recordings", self.settings.secret("storage_key")
        )
        try:
            with db.session() as session:
                requeued = jobs.requeue_expired(session=session)
                stale = jobs.stale_queued(session=session, older_than=120) if self.resend else []
            if self.resend:
                for job_id in {*requeued, *stale}:
                    self.resend(job_id)
            with db.session() as session:
                service.purge_expired(session=session, store=store)
            with httpx.Client() as client:
                webhooks.deliver_due(db=db, client=client)
        finally:
            db.dispose()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("supervisor tick failed")
            self.ticks += 1
            for hook in self.on_tick:
                hook()


class LocalPool:
    """``size`` worker processes, restarted when they die."""

    def __init__(self, settings: Settings, size: int) -> None:
        self.settings, self.size, self.lease = settings, size, settings.job_lease_seconds
        self._ctx = mp.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self._watch: threading.Thread | None = None
        self._stop = threading.Event()

    def _spawn(self) -> BaseProcess:
        worker_id = f"{os.uname().nodename}-{uuid.uuid4().hex[:8]}"
        proc = self._ctx.Process(
            target=worker_main,
            args=(self.settings, worker_id, self.lease),
            name=f"motmedia-worker-{worker_id}",
            daemon=True,
        )
        proc.start()
        return proc

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.size)]
        self._watch = threading.Thread(target=self._keep_alive, name="motmedia-pool", daemon=True)
        self._watch.start()

    def _keep_alive(self) -> None:
        while not self._stop.wait(1.0):
            for i, proc in enumerate(self.processes):
                if not proc.is_alive():
                    log.warning("worker %s exited (%s); starting another", proc.name, proc.exitcode)
                    self.processes[i] = self._spawn()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._watch:
            self._watch.join(timeout)
        for proc in self.processes:
            proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self.processes:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(5)
