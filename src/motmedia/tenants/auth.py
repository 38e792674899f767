"""API keys: generation, keyed hashing, verification, roles and scopes.

A key is ``mot_<key id>_<secret>`` where the secret is 256 random bits. The key id is
public and indexes the row; the secret is stored only as HMAC-SHA256 under the
server-side pepper, and compared with :func:`hmac.compare_digest`. A database dump
therefore reveals no usable key, and a stolen pepper alone reveals none either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ROLE_SCOPES",
    "Principal",
    "Role",
    "format_key",
    "generate_secret",
    "hash_secret",
    "parse_key",
    "verify_secret",
]

KEY_PREFIX = "mot"


class Role(StrEnum):
    VENDOR = "vendor"
    CUSTOMER_ADMIN = "customer-admin"
    DEVICE = "device"


# What each role may be granted. A key carries a subset (all, by default).
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VENDOR: frozenset(
        {
            "customers:read",
            "customers:write",
            "settings:write",
            "keys:read",
            "keys:write",
            "devices:read",
            "devices:write",
            "entitlements:read",
            "audit:read",
            "recordings:read",
            "recordings:write",
            "stt",
            "tts",
            "prompts:read",
            "prompts:write",
            "rooms:read",
            "rooms:write",
        }
    ),
    Role.CUSTOMER_ADMIN: frozenset(
        {
            "customers:read",
            "settings:write",
            "keys:read",
            "keys:write",
            "devices:read",
            "entitlements:read",
            "audit:read",
            "recordings:read",
            "recordings:write",
            "stt",
            "tts",
            "prompts:read",
            "prompts:write",
            "rooms:read",
            "rooms:write",
        }
    ),
    Role.DEVICE: frozenset(
        {
            "devices:read",
            "entitlements:read",
            "recordings:read",
            "recordings:write",
            "stt",
            "tts",
            "prompts:read",
            "rooms:read",
            "rooms:write",
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved once per request from the bearer key."""

    key_id: str
    role: Role
    customer_id: str | None
    device_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_vendor(self) -> bool:
        return self.role is Role.VENDOR

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def generate_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def format_key(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}_{key_id.replace('-', '')}_{secret}"


def parse_key(token: str) -> tuple[str, str] | None:
    """Split a presented key into (row id, secret); ``None`` when it is not our shape."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 32:
        return None
    raw = parts[1]
    if any(c not in "0123456789abcdef" for c in raw):
        return None
    key_id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return key_id, parts[2]


def hash_secret(secret: str, pepper: bytes) -> str:
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def verify_secret(secret: str, stored_hash: str, pepper: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, pepper), stored_hash)
