"""Join tokens: short-lived HS256 JWTs that let one identity into one room.

The claims follow LiveKit's access tokens, trimmed to what this SFU enforces::

    {"iss": "motmedia", "sub": "<identity>", "name": "<display name>",
     "room": "<room id>", "iat": ..., "nbf": ..., "exp": ..., "jti": "<uuid>",
     "grants": {"publish": true, "subscribe": true}}

A token is a bearer credential for the room only; it carries no API scope. Signalling
and WHIP/WHEP verify it with :func:`verify` and then enforce ``grants`` themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from motmedia.errors import Forbidden, Unauthorized

__all__ = ["ISSUER", "MAX_TTL", "Grant", "mint", "verify"]

ISSUER = "motmedia"
MAX_TTL = timedelta(hours=24)
ALGORITHM = "HS256"
# Clock skew tolerated between the minting and the verifying host.
LEEWAY = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a verified token allows."""

    room_id: str
    identity: str
    display_name: str
    can_publish: bool
    can_subscribe: bool
    expires_at: datetime
    token_id: str


def mint(
    *,
    key: bytes,
    room_id: str,
    identity: str,
    display_name: str,
    can_publish: bool,
    can_subscribe: bool,
    ttl: timedelta,
    now: datetime,
) -> tuple[str, Grant]:
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError("ttl must be positive and at most 24 hours")
    grant = Grant(
        room_id=room_id,
        identity=identity,
        display_name=display_name,
        can_publish=can_publish,
        can_subscribe=can_subscribe,
        expires_at=now + ttl,
        token_id=str(uuid.uuid4()),
    )
    claims = {
        "iss": ISSUER,
        "sub": identity,
        "name": display_name,
        "room": room_id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(grant.expires_at.timestamp()),
        "jti": grant.token_id,
        "grants": {"publish": can_publish, "subscribe": can_subscribe},
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), grant


def verify(*, key: bytes, token: str, room_id: str) -> Grant:
    """The token's grant for ``room_id``; 401 when it is not valid, 403 for another room."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # never "none", never an algorithm the token picks
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": ["exp", "nbf", "iss", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The join token has expired.", code="TOKEN_EXPIRED") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"The join token is not valid: {exc}.", code="INVALID_TOKEN") from exc
    grants = claims.get("grants")
    room = claims.get("room")
    if not isinstance(grants, dict) or not isinstance(room, str):
        raise Unauthorized("The join token lacks room or grants.", code="INVALID_TOKEN")
    if room != room_id:
        raise Forbidden("The join token is for another room.", code="TOKEN_WRONG_ROOM")
    return Grant(
        room_id=room,
        identity=str(claims["sub"]),
        display_name=str(claims.get("name") or claims["sub"]),
        can_publish=grants.get("publish") is True,
        can_subscribe=grants.get("subscribe") is True,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=str(claims["jti"]),
    )
