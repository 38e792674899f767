"""Shared fixtures: a fresh database per test on SQLite *and* PostgreSQL, app, clients, keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database

PG_URL = os.environ.get("MOTMEDIA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("MOTMEDIA_TEST_REQUIRE_POSTGRES") == "1"


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE … TEMPLATE)."""
    try:
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if REQUIRE_PG:
            raise RuntimeError(f"PostgreSQL required but not reachable at {PG_URL}") from exc
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"motmedia_tpl_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    tpl_url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(tpl_url)
    db.upgrade()
    db.dispose()
    yield name
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def pg_database_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"motmedia_t_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_database_url")
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Prompt round-trip checks load Whisper; tests that want them turn them on.
    return ensure_secrets(
        Settings(data_dir=tmp_path / "var", database_url=database_url, prompt_check=False)
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.sqlalchemy_url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    from motmedia.api.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class Keys:
    """Plaintext keys for the roles, for two tenants."""

    vendor: str
    customer_a: str
    customer_b: str
    admin_a: str
    admin_b: str


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def vendor_key(app: FastAPI) -> str:
    from motmedia.cli import ensure_vendor_key

    state = app.state.motmedia
    key = ensure_vendor_key(state.settings, state.db)
    assert key is not None
    return key


@pytest.fixture
def keys(client: TestClient, vendor_key: str) -> Keys:
    ids = []
    for name in ("Tenant A 株式会社", "Tenant B 株式会社"):
        r = client.post("/v1/customers", json={"name": name}, headers=auth(vendor_key))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    admins = []
    for cid in ids:
        r = client.post(
            "/v1/keys",
            json={"role": "customer-admin", "customer_id": cid},
            headers=auth(vendor_key),
        )
        assert r.status_code == 201, r.text
        admins.append(r.json()["key"])
    return Keys(vendor_key, ids[0], ids[1], admins[0], admins[1])


def make_device(
    client: TestClient, keys: Keys, customer: str, model: str, serial: str, *, contract: bool
) -> tuple[str, str]:
    """Register a device (installed 2019-01-10), optionally contracted; return (id, device key)."""
    r = client.post(
        "/v1/devices",
        headers=auth(keys.vendor),
        json={
            "customer_id": customer,
            "model": model,
            "serial": serial,
            "install_date": "2019-01-10",
        },
    )
    assert r.status_code == 201, r.text
    device = r.json()["id"]
    if contract:
        r = client.post(
            f"/v1/devices/{device}/contracts",
            headers=auth(keys.vendor),
            json={"signed_date": "2019-04-01"},
        )
        assert r.status_code == 201, r.text
    r = client.post(
        "/v1/keys",
        headers=auth(keys.vendor),
        json={"role": "device", "customer_id": customer, "device_id": device},
    )
    assert r.status_code == 201, r.text
    return device, r.json()["key"]
