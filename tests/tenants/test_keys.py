"""API keys: shown once, stored as keyed hashes, scoped by role and tenant."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from motmedia.tenants.auth import hash_secret, parse_key, verify_secret

from ..conftest import Keys, auth


def test_key_not_recoverable_from_database(app: FastAPI, client: TestClient, keys: Keys) -> None:
    db = app.state.motmedia.db
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM api_keys"))]
    assert len(rows) == 3
    dump = repr(rows)
    for plaintext in (keys.vendor, keys.admin_a, keys.admin_b):
        parsed = parse_key(plaintext)
        assert parsed is not None
        _, secret = parsed
        assert secret not in dump and plaintext not in dump
        # Not a plain digest either: the hash is keyed with the server-side pepper.
        assert hashlib.sha256(secret.encode()).hexdigest() not in dump
        assert hashlib.sha256(plaintext.encode()).hexdigest() not in dump


def test_secret_is_256_bits_and_hash_keyed() -> None:
    from motmedia.tenants.auth import generate_secret

    secret = generate_secret()
    assert len(secret) == 43  # 32 bytes, base64url without padding
    assert hash_secret(secret, b"a") != hash_secret(secret, b"b")
    assert verify_secret(secret, hash_secret(secret, b"p"), b"p")
    assert not verify_secret(secret + "x", hash_secret(secret, b"p"), b"p")


def test_key_is_shown_once(client: TestClient, keys: Keys) -> None:
    listed = client.get("/v1/keys", headers=auth(keys.vendor)).json()["items"]
    assert listed and all("key" not in k and "secret_hash" not in k for k in listed)


def test_tenant_isolation(client: TestClient, keys: Keys) -> None:
    own = client.get(f"/v1/customers/{keys.customer_a}", headers=auth(keys.admin_a))
    assert own.status_code == 200
    other = client.get(f"/v1/customers/{keys.customer_b}", headers=auth(keys.admin_a))
    assert other.status_code == 404 and other.json()["code"] == "CUSTOMER_NOT_FOUND"
    seen = client.get("/v1/customers", headers=auth(keys.admin_a)).json()["items"]
    assert [c["id"] for c in seen] == [keys.customer_a]
    # The vendor sees both.
    all_ids = {
        c["id"] for c in client.get("/v1/customers", headers=auth(keys.vendor)).json()["items"]
    }
    assert {keys.customer_a, keys.customer_b} <= all_ids
    # A's admin cannot mint keys for B, and B's keys are invisible to A.
    r = client.post(
        "/v1/keys",
        json={"role": "customer-admin", "customer_id": keys.customer_b},
        headers=auth(keys.admin_a),
    )
    assert r.status_code == 404
    b_keys = client.get("/v1/keys", headers=auth(keys.admin_b)).json()["items"]
    r = client.delete(f"/v1/keys/{b_keys[0]['id']}", headers=auth(keys.admin_a))
    assert r.status_code == 404


def test_scopes_and_roles(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/customers", json={"name": "x"}, headers=auth(keys.admin_a))
    assert r.status_code == 403 and r.json()["code"] == "MISSING_SCOPE"
    r = client.post("/v1/keys", json={"role": "vendor"}, headers=auth(keys.admin_a))
    assert r.status_code == 403 and r.json()["code"] == "ROLE_NOT_GRANTABLE"
    # A read-only key cannot create keys.
    r = client.post(
        "/v1/keys",
        json={
            "role": "customer-admin",
            "customer_id": keys.customer_a,
            "scopes": ["customers:read"],
        },
        headers=auth(keys.admin_a),
    )
    assert r.status_code == 201
    limited = r.json()["key"]
    assert client.get("/v1/me", headers=auth(limited)).json()["scopes"] == ["customers:read"]
    r = client.post(
        "/v1/keys",
        json={"role": "customer-admin", "customer_id": keys.customer_a},
        headers=auth(limited),
    )
    assert r.status_code == 403
    r = client.post(
        "/v1/keys",
        json={
            "role": "customer-admin",
            "customer_id": keys.customer_a,
            "scopes": ["customers:write"],
        },
        headers=auth(keys.vendor),
    )
    assert r.status_code == 422 and r.json()["code"] == "INVALID_SCOPES"


def test_revoked_key_is_refused(client: TestClient, keys: Keys) -> None:
    me = client.get("/v1/me", headers=auth(keys.admin_a)).json()
    assert client.delete(f"/v1/keys/{me['key_id']}", headers=auth(keys.vendor)).status_code == 204
    r = client.get("/v1/me", headers=auth(keys.admin_a))
    assert r.status_code == 401


def test_pagination_cursor(client: TestClient, keys: Keys) -> None:
    for i in range(5):
        client.post("/v1/customers", json={"name": f"c{i}"}, headers=auth(keys.vendor))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/customers", params=params, headers=auth(keys.vendor)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    r = client.get("/v1/customers", params={"cursor": "!!"}, headers=auth(keys.vendor))
    assert r.status_code == 422 and r.json()["code"] == "INVALID_CURSOR"


def test_customer_settings_validated_and_patched(client: TestClient, keys: Keys) -> None:
    url = f"/v1/customers/{keys.customer_a}"
    body = {"settings": {"retention_days": 90, "redact_pii": True, "vocabulary": ["オフィス24"]}}
    r = client.patch(url, json=body, headers=auth(keys.admin_a))
    assert r.status_code == 200, r.text
    assert client.get(url, headers=auth(keys.admin_a)).json()["settings"]["retention_days"] == 90
    r = client.patch(url, json={"settings": {"retention_days": "90"}}, headers=auth(keys.admin_a))
    assert r.status_code == 422
    r = client.patch(url, json={"settings": {"colour": "blue"}}, headers=auth(keys.admin_a))
    assert r.status_code == 422
    r = client.patch(url, json={"name": "renamed"}, headers=auth(keys.admin_a))
    assert r.status_code == 403
    r = client.patch(f"/v1/customers/{keys.customer_b}", json=body, headers=auth(keys.admin_a))
    assert r.status_code == 404
    r = client.patch(url, json={"name": "株式会社 改名"}, headers=auth(keys.vendor))
    assert r.json()["name"] == "株式会社 改名" and r.json()["settings"]["redact_pii"] is True
