"""Load and validate the contract policy (``policy.toml``).

The policy is data so that the vendor can change a rule without a release. It is checked
strictly at start: an unknown key, a feature naming an unknown model, or a quota without
both sides fails with :class:`PolicyError` and a message naming the place.
"""

from __future__ import annotations

import tomllib
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "FeatureRule",
    "Fulfilment",
    "Policy",
    "PolicyError",
    "Requirement",
    "load_policy",
]


class PolicyError(Exception):
    """The policy file cannot be used; the message says where and why."""


class Requirement(StrEnum):
    CONTRACT = "contract"
    ANY_CONTRACT = "any_contract"
    EVERYONE = "everyone"
    NOBODY = "nobody"


class Fulfilment(StrEnum):
    REMOTE = "remote"
    SELF_SERVICE = "self_service"
    PAID_WORK_ORDER = "paid_work_order"
    DEVICE_SWAP = "device_swap"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quota(_Strict):
    with_contract: int = Field(ge=0)
    without_contract: int = Field(ge=0)
    models: dict[str, int] = Field(default_factory=dict)


class FulfilmentRule(_Strict):
    with_contract: Fulfilment | None = None
    without_contract: Fulfilment | None = None
    models: dict[str, Fulfilment] = Field(default_factory=dict)


class FeatureRule(_Strict):
    title: str
    requires: Requirement
    excluded_models: tuple[str, ...] = ()
    free_until: date | None = None
    quota: Quota | None = None
    fulfilment: FulfilmentRule | None = None


class Billing(_Strict):
    service_start: date
    early_contract_rule: Literal["bill_from_service_start"]


class Repair(_Strict):
    free_years_from_install: int = Field(gt=0)
    dispatch_fee_yen: int = Field(ge=0)
    tax_included: bool


class ModelInfo(_Strict):
    year: int


class Policy(_Strict):
    version: Literal[1]
    billing: Billing
    repair: Repair
    models: dict[str, ModelInfo]
    features: dict[str, FeatureRule]

    @model_validator(mode="after")
    def _models_known(self) -> Policy:
        for key, rule in self.features.items():
            named = set(rule.excluded_models)
            named |= set(rule.quota.models) if rule.quota else set()
            named |= set(rule.fulfilment.models) if rule.fulfilment else set()
            if unknown := named - set(self.models):
                raise ValueError(f"feature {key!r} names unknown models {sorted(unknown)}")
        return self


def _bundled() -> str:
    return resources.files("motmedia.entitlements").joinpath("policy.toml").read_text("utf-8")


def load_policy(path: Path | None = None) -> Policy:
    """The policy from ``path`` (an operator's file) or the bundled one."""
    where = str(path) if path else "bundled policy.toml"
    try:
        raw = path.read_text("utf-8") if path else _bundled()
        data = tomllib.loads(raw)
        return Policy.model_validate(data)
    except OSError as exc:
        raise PolicyError(f"{where}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise PolicyError(
            f"{where}: {loc}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from exc
