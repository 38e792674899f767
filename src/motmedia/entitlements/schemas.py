"""Wire shapes for devices, contracts, decisions, invoices, quotes and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from motmedia.entitlements.engine import Code
from motmedia.entitlements.policy import Fulfilment

__all__ = [
    "AuditOut",
    "BatchCheck",
    "BatchResult",
    "ContractCreate",
    "ContractOut",
    "ContractPatch",
    "DecisionOut",
    "DeviceCreate",
    "DeviceOut",
    "DevicePatch",
    "FirstInvoiceOut",
    "RepairQuoteOut",
]

ContractKind = Literal["software_usage", "maintenance"]


class DeviceCreate(BaseModel):
    customer_id: str
    model: str = Field(examples=["MOT/PBX M-V3"], max_length=64)
    serial: str = Field(min_length=1, max_length=64)
    install_date: date
    name: str = Field(default="", max_length=200)


class DevicePatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    install_date: date | None = None


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    model: str
    serial: str
    name: str
    install_date: date
    created_at: datetime


class ContractCreate(BaseModel):
    signed_date: date
    end_date: date | None = None
    kind: ContractKind = "software_usage"


class ContractPatch(BaseModel):
    end_date: date | None


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    device_id: str
    kind: str
    signed_date: date
    end_date: date | None
    created_at: datetime


class DecisionOut(BaseModel):
    feature: str
    allowed: bool
    code: Code
    reason: str
    limit: int | None = None
    used: int | None = None
    fulfilment: Fulfilment | None = None


class CheckItem(BaseModel):
    device_id: str
    feature: str = Field(max_length=64)


class BatchCheck(BaseModel):
    checks: list[CheckItem] = Field(min_length=1, max_length=200)
    at: date | None = Field(default=None, description="the day to decide for; default today (JST)")


class BatchResult(BaseModel):
    device_id: str
    decision: DecisionOut


class FirstInvoiceOut(BaseModel):
    device_id: str
    install_date: date
    contract_date: date
    first_month: str
    last_month: str
    months: int
    rule: str


class RepairQuoteOut(BaseModel):
    device_id: str
    date: date
    free: bool
    reason: str
    dispatch_fee_yen: int
    parts: str
    tax_included: bool


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    decided_at: datetime
    key_id: str | None
    role: str | None
    customer_id: str | None
    device_id: str | None
    feature: str
    allowed: bool
    code: str
    reason: str
    at_date: date
    used: int | None
    limit: int | None
