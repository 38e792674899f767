"""CLI: devices, contracts and the entitlements of a device."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import select

from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database
from motmedia.entitlements import service
from motmedia.entitlements.engine import decide
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import load_policy
from motmedia.errors import MotMediaError

device_app = typer.Typer(help="Devices and their contracts.", no_args_is_help=True)
entitlements_app = typer.Typer(help="What a device may use.", no_args_is_help=True)


def _db() -> tuple[Settings, Database]:
    settings = ensure_secrets(Settings())
    db = Database(settings.sqlalchemy_url)
    db.upgrade()
    return settings, db


def _fail(exc: MotMediaError) -> None:
    typer.echo(f"error: {exc.detail} ({exc.code})", err=True)
    raise typer.Exit(2)


@device_app.command("create")
def create(
    customer: Annotated[str, typer.Option(help="customer id")],
    model: Annotated[str, typer.Option(help='e.g. "MOT/PBX M-V3"')],
    serial: Annotated[str, typer.Option()],
    installed: Annotated[str, typer.Option(help="install date, YYYY-MM-DD")],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Register a device and print it as JSON."""
    settings, db = _db()
    try:
        with db.session() as session:
            device = service.create_device(
                session=session,
                policy=load_policy(settings.policy_file),
                customer_id=customer,
                model=model,
                serial=serial,
                install_date=date.fromisoformat(installed),
                name=name,
            )
            typer.echo(
                json.dumps({"id": device.id, "model": device.model, "serial": device.serial})
            )
    except MotMediaError as exc:
        _fail(exc)


@device_app.command("contract")
def contract(
    device_id: str,
    signed: Annotated[str, typer.Option(help="signed date, YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="end date, YYYY-MM-DD")] = None,
    kind: Annotated[str, typer.Option(help="software_usage or maintenance")] = "software_usage",
) -> None:
    """Record a contract for a device."""
    _, db = _db()
    try:
        with db.session() as session:
            device = session.get(Device, device_id)
            if device is None:
                typer.echo(f"error: no device {device_id} (DEVICE_NOT_FOUND)", err=True)
                raise typer.Exit(2)
            row = service.create_contract(
                session=session,
                device=device,
                signed_date=date.fromisoformat(signed),
                end_date=date.fromisoformat(end) if end else None,
                kind=kind,
            )
            typer.echo(json.dumps({"id": row.id, "device_id": device_id, "signed": signed}))
    except MotMediaError as exc:
        _fail(exc)


@device_app.command("list")
def list_devices(customer: Annotated[str | None, typer.Option(help="customer id")] = None) -> None:
    """List devices, one JSON object per line."""
    _, db = _db()
    with db.session() as session:
        stmt = select(Device).order_by(Device.created_at)
        if customer:
            stmt = stmt.where(Device.customer_id == customer)
        for d in session.scalars(stmt):
            typer.echo(
                json.dumps(
                    {
                        "id": d.id,
                        "customer_id": d.customer_id,
                        "model": d.model,
                        "serial": d.serial,
                        "install_date": d.install_date.isoformat(),
                    }
                )
            )


@entitlements_app.command("show")
def show(
    device_id: str,
    at: Annotated[str | None, typer.Option(help="the day, YYYY-MM-DD (default today, JST)")] = None,
) -> None:
    """Every feature for a device: allowed, code, fulfilment, reason."""
    from motmedia.entitlements.dependencies import business_today

    settings, db = _db()
    policy = load_policy(settings.policy_file)
    day = date.fromisoformat(at) if at else business_today()
    with db.session() as session:
        device = session.get(Device, device_id)
        facts = service.device_facts(session, device) if device else None
        for feature in policy.features:
            d = decide(policy, facts, feature, at=day)
            mark = "yes" if d.allowed else "no "
            extra = f" [{d.fulfilment}]" if d.fulfilment else ""
            quota = f" {d.used or 0}/{d.limit}" if d.limit is not None else ""
            typer.echo(f"{mark} {feature:<26} {d.code.value:<16}{quota}{extra}  {d.reason}")
