"""The app factory: builds state, wires domain routers, installs the error model.

Domains own their routes; this module only assembles them. Long-lived services
(database, models, the SFU) are created here once and closed in the lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from motmedia import __version__
from motmedia.api import health
from motmedia.api.deps import AppState
from motmedia.api.middleware import RequestIdMiddleware
from motmedia.api.problems import install_problem_handlers
from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database
from motmedia.entitlements import service as entitlements
from motmedia.entitlements.policy import load_policy
from motmedia.entitlements.router import router as entitlements_router
from motmedia.prompts.router import router as prompts_router
from motmedia.stt.router import router as stt_router
from motmedia.tenants.router import router as tenants_router

__all__ = ["create_app"]

log = logging.getLogger("motmedia")

DESCRIPTION = """
Media backend of the MOT/PBX line: call-recording transcription, prompt synthesis,
a WebRTC SFU, all behind the Software Usage Contract entitlement API.

Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
`application/problem+json` documents with a stable `code`.
"""


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = ensure_secrets(settings or Settings())
    db = Database(settings.sqlalchemy_url)
    if migrate:
        db.upgrade()
    state = AppState(settings=settings, db=db)
    # A malformed policy stops the start here, with the file and the field in the message.
    state.services["policy"] = load_policy(settings.policy_file)
    state.services["device_lookup"] = entitlements.device_owner

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("motmedia %s ready (database %s)", __version__, db.dialect)
        try:
            yield
        finally:
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
    return app
