"""The app factory: builds state, wires domain routers, installs the error model.

Domains own their routes; this module only assembles them. Long-lived services
(database, models, the SFU) are created here once and closed in the lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from motmedia import __version__
from motmedia.api import health
from motmedia.api.deps import AppState
from motmedia.api.middleware import RequestIdMiddleware
from motmedia.api.problems import install_problem_handlers
from motmedia.conference.registry import RoomRegistry
from motmedia.conference.router import router as conference_router
from motmedia.conference.router import whip_router
from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database
from motmedia.entitlements import service as entitlements
from motmedia.entitlements.policy import load_policy
from motmedia.entitlements.router import router as entitlements_router
from motmedia.prompts.intelligibility import PromptChecker
from motmedia.prompts.router import router as prompts_router
from motmedia.recordings.pool import LocalPool, Supervisor, default_workers
from motmedia.recordings.router import router as recordings_router
from motmedia.recordings.storage import AudioStore
from motmedia.stt.router import router as stt_router
from motmedia.tenants.router import router as tenants_router
from motmedia.tts.render import Renderer
from motmedia.tts.router import router as tts_router

__all__ = ["create_app"]

log = logging.getLogger("motmedia")

DESCRIPTION = """
Media backend of the MOT/PBX line: call-recording transcription, prompt synthesis,
a WebRTC SFU, all behind the Software Usage Contract entitlement API.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
`application/problem+json` documents with a stable `code`.
"""


def create_app(
    settings: Settings | None = None, *, migrate: bool = True, workers: bool = False
) -> FastAPI:
    """Build the app. ``workers``: also run the job machinery (what ``motmedia serve`` does):
    the local worker pool, or — with a broker configured — Celery dispatch; and the
    supervisor for leases, retention and webhooks."""
    settings = ensure_secrets(settings or Settings())
    db = Database(settings.sqlalchemy_url)
    if migrate:
        db.upgrade()
    state = AppState(settings=settings, db=db)
    # A malformed policy stops the start here, with the file and the field in the message.
    state.services["policy"] = load_policy(settings.policy_file)
    state.services["device_lookup"] = entitlements.device_owner
    state.services["audio_store"] = AudioStore(
        settings.data_dir / "recordings", settings.secret("storage_key")
    )
    # TTS engines load on first use; the pool and the checker's thread start idle.
    renderer = state.services["renderer"] = Renderer.from_settings(settings)
    checker = state.services["prompt_checker"] = PromptChecker(settings=settings, db=db)
    # Live SFU rooms; every peer connection is closed with them in the lifespan.
    rooms = state.services["rooms"] = RoomRegistry()
    send_job: Callable[[str], None] | None = None
    if settings.broker_url:
        from motmedia.recordings import celery_app

        send_job = state.services["send_job"] = celery_app.sender(settings.broker_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = supervisor = None
        if workers:
            supervisor = Supervisor(settings, resend=send_job)
            supervisor.start()
            if send_job is None:
                pool = LocalPool(settings, default_workers(settings))
                pool.start()
        log.info("motmedia %s ready (database %s)", __version__, db.dialect)
        try:
            yield
        finally:
            await rooms.close()
            if supervisor is not None:
                supervisor.stopped.set()
            if pool is not None:
                await anyio.to_thread.run_sync(pool.stop)
            await anyio.to_thread.run_sync(checker.close)
            await anyio.to_thread.run_sync(renderer.close)
            db.dispose()

    app = FastAPI(
        title="MOT media services",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.motmedia = state
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(tenants_router)
    app.include_router(entitlements_router)
    app.include_router(prompts_router)
    app.include_router(stt_router)
    app.include_router(recordings_router)
    app.include_router(tts_router)
    app.include_router(conference_router)
    app.include_router(whip_router)
    # The browser client: static files, no build step (src/motmedia/web).
    web = Path(__file__).resolve().parent.parent / "web"
    app.mount("/app", StaticFiles(directory=web, html=True), name="web")
    return app
