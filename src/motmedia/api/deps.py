"""Dependencies shared by every domain router: state, the DB session, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from motmedia.config import Settings
from motmedia.db import Database
from motmedia.errors import Forbidden, Unauthorized
from motmedia.tenants import service as tenants
from motmedia.tenants.auth import Principal

__all__ = [
    "AppState",
    "CurrentPrincipal",
    "DbSession",
    "State",
    "require_scope",
]


@dataclass
class AppState:
    """What the app factory builds once and every request reads."""

    settings: Settings
    db: Database
    # Long-lived engines and services that domains attach in the lifespan (models, SFU...).
    services: dict[str, Any] = field(default_factory=dict)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.motmedia
    return state


State = Annotated[AppState, Depends(get_state)]


def db_session(state: State) -> Iterator[Session]:
    with state.db.session() as session:
        yield session


# scope="function": commit before the response is sent, so a 2xx means the data is stored.
DbSession = Annotated[Session, Depends(db_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer mot_…`")


def current_principal(
    state: State,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.", code="MISSING_KEY")
    return tenants.authenticate(
        session=session,
        token=credentials.credentials,
        pepper=state.settings.secret("api_key_pepper"),
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that returns the caller when its key holds ``scope``, else 403."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has(scope):
            raise Forbidden(
                f"This key lacks the scope {scope!r}.", code="MISSING_SCOPE", scope=scope
            )
        return principal

    return dependency
