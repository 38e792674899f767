"""Wire shapes for customers and API keys."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from motmedia.tenants.auth import Role

__all__ = [
    "CustomerCreate",
    "CustomerOut",
    "CustomerPatch",
    "CustomerSettings",
    "KeyCreate",
    "KeyCreated",
    "KeyOut",
]


class CustomerSettings(BaseModel):
    """Per-tenant options the domains read. Unknown keys and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    retention_days: int | None = Field(
        default=None, ge=1, le=36500, description="delete recordings older than this"
    )
    redact_pii: bool = Field(default=False, description="mask phone/card/account numbers")
    vocabulary: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=100, description="names passed to STT as hotwords"
    )
    reading_dictionary: dict[str, Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=dict, max_length=500, description="word → katakana reading for TTS"
    )


class CustomerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    settings: CustomerSettings = Field(default_factory=CustomerSettings)


class CustomerPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: CustomerSettings | None = None


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime
    settings: CustomerSettings

    @classmethod
    def of(cls, customer: Any) -> CustomerOut:
        return cls(
            id=customer.id,
            name=customer.name,
            created_at=customer.created_at,
            settings=CustomerSettings.model_validate(json.loads(customer.settings_json or "{}")),
        )


class KeyCreate(BaseModel):
    role: Role
    customer_id: str | None = None
    device_id: str | None = None
    scopes: list[str] | None = Field(default=None, description="default: every scope of the role")
    name: str = Field(default="", max_length=200)


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    scopes: list[str]
    customer_id: str | None
    device_id: str | None
    created_at: datetime


class KeyCreated(KeyOut):
    key: str = Field(description="the secret key; shown once, never again")
