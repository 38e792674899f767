"""Liveness and readiness probes (no authentication, outside /v1)."""

from __future__ import annotations

from fastapi import APIRouter

from motmedia.api.deps import State
from motmedia.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: State) -> dict[str, str]:
    """The database answers; a load balancer may route traffic here."""
    if not state.db.ping():
        raise ServiceUnavailable("The database is not reachable.", code="DATABASE_UNREACHABLE")
    return {"status": "ready", "database": state.db.dialect}
