"""FastAPI dependencies: the policy, the business date, and ``require(feature)``.

``require`` is what every feature route of the later domains uses. The device is the
caller's own (device keys) or the ``device_id`` in the path or query (admin keys); it is
loaded through the tenant-scoped loader, so another tenant's device is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from motmedia.api.deps import CurrentPrincipal, DbSession, State
from motmedia.entitlements import service
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput
from motmedia.tenants.scoping import get_scoped

__all__ = ["CurrentPolicy", "business_today", "require", "resolve_device"]

# Contract dates are Japanese calendar dates: "today" is today in Tokyo, not in UTC.
BUSINESS_TZ = ZoneInfo("Asia/Tokyo")


def business_today() -> date:
    return datetime.now(BUSINESS_TZ).date()


def get_policy(state: State) -> Policy:
    policy: Policy = state.services["policy"]
    return policy


CurrentPolicy = Annotated[Policy, Depends(get_policy)]


def resolve_device(request: Request, principal: CurrentPrincipal, session: DbSession) -> Device:
    """The device a feature request is for."""
    device_id = (
        principal.device_id
        or request.path_params.get("device_id")
        or request.query_params.get("device_id")
    )
    if not device_id:
        raise BadInput(
            "Name the device: a device key, or device_id in the path or query.",
            code="DEVICE_REQUIRED",
        )
    return get_scoped(session, Device, device_id, principal)


def require(feature: str) -> Callable[..., Decision]:
    """A dependency that returns the decision, or answers 403 with its code and reason."""

    def dependency(
        session: DbSession,
        policy: CurrentPolicy,
        principal: CurrentPrincipal,
        device: Annotated[Device, Depends(resolve_device)],
    ) -> Decision:
        return service.check(
            session=session,
            policy=policy,
            principal=principal,
            device_id=device.id,
            feature=feature,
            at=business_today(),
        )

    dependency.__name__ = f"require_{feature.replace('.', '_')}"
    return dependency
