"""Decisions: may this device use this feature on this date?

Pure functions over facts (device model, install date, contracts) and the policy; no
database, so every rule is testable in isolation and the decision is cheap. Unknown
devices, models and features are refusals with their own codes, never exceptions:
the engine fails closed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from motmedia.entitlements.policy import FeatureRule, Fulfilment, Policy, Requirement

__all__ = [
    "Code",
    "ContractFacts",
    "ContractStatus",
    "Decision",
    "DeviceFacts",
    "contract_status",
    "decide",
]

SOFTWARE_USAGE = "software_usage"
# Another maintenance contract of the vendor's (counts for premium membership only).
MAINTENANCE = "maintenance"


class Code(StrEnum):
    """Stable decision codes (documented in docs/entitlements.md)."""

    OK = "OK"
    FREE_PERIOD = "FREE_PERIOD"
    NO_CONTRACT = "NO_CONTRACT"
    CONTRACT_EXPIRED = "CONTRACT_EXPIRED"
    MODEL_EXCLUDED = "MODEL_EXCLUDED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    NOT_OFFERED = "NOT_OFFERED"
    UNKNOWN_FEATURE = "UNKNOWN_FEATURE"
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    UNKNOWN_MODEL = "UNKNOWN_MODEL"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ContractFacts:
    signed: date
    end: date | None = None
    kind: str = SOFTWARE_USAGE

    def active_on(self, day: date) -> bool:
        return self.signed <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    id: str
    model: str
    install_date: date
    contracts: tuple[ContractFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    feature: str
    allowed: bool
    code: Code
    reason: str
    limit: int | None = None
    used: int | None = None
    fulfilment: Fulfilment | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def contract_status(
    device: DeviceFacts, day: date, *, kinds: tuple[str, ...] = (SOFTWARE_USAGE,)
) -> ContractStatus:
    relevant = [c for c in device.contracts if c.kind in kinds]
    if any(c.active_on(day) for c in relevant):
        return ContractStatus.ACTIVE
    if any(c.end is not None and c.end < day for c in relevant):
        return ContractStatus.EXPIRED
    return ContractStatus.NONE


def decide(
    policy: Policy,
    device: DeviceFacts | None,
    feature: str,
    *,
    at: date,
    used: int | None = None,
    requested: int = 0,
) -> Decision:
    """Decide ``feature`` for ``device`` on day ``at``.

    ``used`` is the device's current usage of a quota feature (e.g. filled hold-message
    slots) and ``requested`` how many more the caller is about to take; a read of the
    entitlement passes 0, a write passes 1.
    """
    rule = policy.features.get(feature)
    if rule is None:
        return Decision(feature, False, Code.UNKNOWN_FEATURE, f"No feature named {feature!r}.")
    if device is None:
        return Decision(feature, False, Code.UNKNOWN_DEVICE, "The device is not registered.")
    if device.model not in policy.models:
        return Decision(
            feature, False, Code.UNKNOWN_MODEL, f"Unknown device model {device.model!r}."
        )
    if device.model in rule.excluded_models:
        return Decision(
            feature,
            False,
            Code.MODEL_EXCLUDED,
            f"{rule.title} is not available on {device.model} (product specification).",
        )

    if rule.requires is Requirement.NOBODY:
        return Decision(feature, False, Code.NOT_OFFERED, f"{rule.title} is not offered.")
    kinds = (
        (SOFTWARE_USAGE, MAINTENANCE)
        if rule.requires is Requirement.ANY_CONTRACT
        else (SOFTWARE_USAGE,)
    )
    status = contract_status(device, at, kinds=kinds)
    contracted = status is ContractStatus.ACTIVE

    if rule.requires is Requirement.EVERYONE or contracted:
        code = Code.OK
        reason = f"{rule.title}: " + (
            "covered by the contract." if contracted else "available to every device."
        )
    elif rule.free_until is not None and at <= rule.free_until:
        code = Code.FREE_PERIOD
        reason = f"{rule.title}: free without a contract until {rule.free_until.isoformat()}."
    else:
        fulfilment = _fulfilment(rule, device.model, contracted=False, allowed=False)
        code = Code.CONTRACT_EXPIRED if status is ContractStatus.EXPIRED else Code.NO_CONTRACT
        needed = (
            "a Software Usage Contract"
            if rule.requires is Requirement.CONTRACT
            else "a Software Usage or other maintenance contract"
        )
        state = "has expired" if status is ContractStatus.EXPIRED else "is needed"
        reason = f"{rule.title}: {needed} {state} on {at.isoformat()}."
        reason += _ALTERNATIVES.get(fulfilment, "") if fulfilment else ""
        return Decision(feature, False, code, reason, fulfilment=fulfilment)

    fulfilment = _fulfilment(rule, device.model, contracted=contracted, allowed=True)
    if rule.quota is None:
        return Decision(feature, True, code, reason, fulfilment=fulfilment)
    limit = rule.quota.models.get(
        device.model, rule.quota.with_contract if contracted else rule.quota.without_contract
    )
    current = used or 0
    if current + requested > limit:
        return Decision(
            feature,
            False,
            Code.QUOTA_EXCEEDED,
            f"{rule.title}: {current} of {limit} in use on {device.model}"
            + ("" if contracted else " without a contract")
            + ".",
            limit=limit,
            used=current,
            fulfilment=fulfilment,
        )
    return Decision(feature, True, code, reason, limit=limit, used=current, fulfilment=fulfilment)


_ALTERNATIVES = {
    Fulfilment.SELF_SERVICE: (
        " The customer may change it on the device; a request is a paid work order."
    ),
    Fulfilment.PAID_WORK_ORDER: " It can be ordered as paid work.",
}


def _fulfilment(
    rule: FeatureRule, model: str, *, contracted: bool, allowed: bool
) -> Fulfilment | None:
    """How the service is delivered; when refused, what the customer can do instead."""
    if rule.fulfilment is None:
        return None
    if allowed and model in rule.fulfilment.models:
        return rule.fulfilment.models[model]  # MOT/Mini, note 1: a replacement unit
    return rule.fulfilment.with_contract if contracted else rule.fulfilment.without_contract
