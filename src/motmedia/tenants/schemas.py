"""Wire shapes for customers and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from motmedia.tenants.auth import Role

__all__ = ["CustomerCreate", "CustomerOut", "KeyCreate", "KeyCreated", "KeyOut"]


class CustomerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime


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
