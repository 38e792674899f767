"""The one command, ``motmedia``, with subcommands.

Each domain contributes its own Typer app (``stt.cli``, ``tts.cli``, ...); this module
mounts them and owns only the process-level commands (serve, db, admin).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from motmedia import __version__
from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database
from motmedia.entitlements.cli import device_app, entitlements_app
from motmedia.errors import MotMediaError
from motmedia.stt import cli as stt_cli
from motmedia.tenants import service as tenants
from motmedia.tenants.auth import Role
from motmedia.tts import cli as tts_cli

app = typer.Typer(help="MOT media services.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Customers and API keys.", no_args_is_help=True)
customer_app = typer.Typer(help="Customers (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
admin_app.add_typer(customer_app, name="customer")
admin_app.add_typer(key_app, name="key")
admin_app.add_typer(device_app, name="device")
app.add_typer(entitlements_app, name="entitlements")
app.add_typer(stt_cli.app)  # `motmedia transcribe`
app.add_typer(tts_cli.app)  # `motmedia say`, `motmedia voices`


def _settings() -> Settings:
    return ensure_secrets(Settings())


def _database(settings: Settings) -> Database:
    db = Database(settings.sqlalchemy_url)
    db.upgrade()
    return db


def _fail(exc: MotMediaError) -> None:
    typer.echo(f"error: {exc.detail} ({exc.code})", err=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"motmedia {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """MOT media services: transcription, prompts, SFU and entitlements."""


def ensure_vendor_key(settings: Settings, db: Database) -> str | None:
    """Create the first vendor key if none exists; return its plaintext (else ``None``)."""
    with db.session() as session:
        if tenants.has_vendor_key(session=session):
            return None
        _, plaintext = tenants.create_key(
            session=session,
            actor=None,
            role=Role.VENDOR,
            customer_id=None,
            name="first-start vendor key",
            pepper=settings.secret("api_key_pepper"),
        )
        return plaintext


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (MOTMEDIA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MOTMEDIA_PORT).")] = None,
    workers: Annotated[
        bool, typer.Option(help="Run the transcription workers (local pool or Celery dispatch).")
    ] = True,
) -> None:
    """Run the API with the local worker pool (or Celery dispatch when a broker is set)."""
    import uvicorn

    from motmedia.api.app import create_app
    from motmedia.logs import configure_logging

    settings = _settings()
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = settings.model_copy(update=updates)
    configure_logging(settings.log_level, settings.log_format)
    db = _database(settings)
    plaintext = ensure_vendor_key(settings, db)
    db.dispose()
    base = f"http://{settings.host}:{settings.port}"
    if plaintext:
        # Printed to the terminal once, never logged: it is the only copy.
        typer.echo(
            "\nFirst start: a vendor API key was created. It is shown only now:\n\n"
            f"    {plaintext}\n\nUse it as `Authorization: Bearer <key>`; API docs: {base}/docs\n"
        )
    else:
        typer.echo(f"motmedia {__version__} on {base} (API docs: {base}/docs)")
    app_ = create_app(settings, workers=workers)
    uvicorn.run(app_, host=settings.host, port=settings.port, log_config=None)


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="worker processes; 0 = one per two cores")] = 0,
) -> None:
    """Run the local worker pool alone (no API), claiming jobs from the database."""
    import signal
    import threading

    from motmedia.logs import configure_logging
    from motmedia.recordings.pool import LocalPool, Supervisor, default_workers

    settings = _settings()
    if processes:
        settings = settings.model_copy(update={"workers": processes})
    configure_logging(settings.log_level, settings.log_format)
    _database(settings).dispose()
    pool = LocalPool(settings, default_workers(settings))
    supervisor = Supervisor(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    pool.start()
    supervisor.start()
    typer.echo(f"motmedia worker: {pool.size} process(es)")
    stop.wait()
    supervisor.stopped.set()
    pool.stop()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    settings = _settings()
    _database(settings).dispose()
    typer.echo("database is up to date")


@customer_app.command("create")
def customer_create(name: str) -> None:
    """Create a customer and print it as JSON."""
    settings = _settings()
    db = _database(settings)
    try:
        with db.session() as session:
            customer = tenants.create_customer(session=session, name=name)
            typer.echo(json.dumps({"id": customer.id, "name": customer.name}, ensure_ascii=False))
    except MotMediaError as exc:
        _fail(exc)


@customer_app.command("list")
def customer_list() -> None:
    """List customers, one JSON object per line."""
    from sqlalchemy import select

    from motmedia.tenants.models import Customer

    db = _database(_settings())
    with db.session() as session:
        for c in session.scalars(select(Customer).order_by(Customer.created_at)):
            typer.echo(json.dumps({"id": c.id, "name": c.name}, ensure_ascii=False))


@key_app.command("create")
def key_create(
    role: Annotated[Role, typer.Option(help="vendor, customer-admin or device")],
    customer: Annotated[str | None, typer.Option(help="customer id")] = None,
    device: Annotated[str | None, typer.Option(help="device id (device keys)")] = None,
    scopes: Annotated[
        str | None, typer.Option(help="comma-separated subset of the role's scopes")
    ] = None,
    name: Annotated[str, typer.Option(help="a label for the key")] = "",
) -> None:
    """Create an API key and print it once."""
    settings = _settings()
    db = _database(settings)
    try:
        with db.session() as session:
            key, plaintext = tenants.create_key(
                session=session,
                actor=None,
                role=role,
                customer_id=customer,
                device_id=device,
                scopes=scopes.split(",") if scopes else None,
                name=name,
                pepper=settings.secret("api_key_pepper"),
                device_lookup=_device_lookup(),
            )
            typer.echo(json.dumps({"id": key.id, "role": key.role, "key": plaintext}))
    except MotMediaError as exc:
        _fail(exc)


def _device_lookup() -> tenants.DeviceLookup:
    from motmedia.entitlements.service import device_owner

    return device_owner


if __name__ == "__main__":  # pragma: no cover
    app()
