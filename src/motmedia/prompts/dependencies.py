"""Loaders for the prompt library's routes: the device (tenant-scoped) and the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from motmedia.api.deps import CurrentPrincipal, DbSession, State
from motmedia.entitlements.models import Device
from motmedia.prompts.intelligibility import PromptChecker
from motmedia.tenants.scoping import get_scoped
from motmedia.tts.render import Renderer

__all__ = ["CurrentChecker", "CurrentRenderer", "ValidDevice"]


def valid_device(device_id: str, session: DbSession, principal: CurrentPrincipal) -> Device:
    """The path's device, if the caller may see it; another tenant's device is a 404."""
    return get_scoped(session, Device, device_id, principal)


def get_renderer(state: State) -> Renderer:
    renderer: Renderer = state.services["renderer"]
    return renderer


def get_checker(state: State) -> PromptChecker:
    checker: PromptChecker = state.services["prompt_checker"]
    return checker


ValidDevice = Annotated[Device, Depends(valid_device)]
CurrentRenderer = Annotated[Renderer, Depends(get_renderer)]
CurrentChecker = Annotated[PromptChecker, Depends(get_checker)]
