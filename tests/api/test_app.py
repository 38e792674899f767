"""The assembled app: probes, docs, the problem+json error model, request ids."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _v1_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        if path.startswith("/v1")
        for method in ops
    ]


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] in ("sqlite", "postgresql")


def test_docs_list_routes(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/customers" in paths and "/v1/keys" in paths


def test_every_v1_route_requires_a_key(app: FastAPI, client: TestClient) -> None:
    routes = _v1_routes(app)
    assert routes
    for method, path in routes:
        url = path.replace("{", "").replace("}", "")
        r = client.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["code"] in ("MISSING_KEY",)


def test_bad_key_is_401(client: TestClient) -> None:
    for token in ("nonsense", "mot_" + "0" * 32 + "_xyz", "mot_zz_abc"):
        r = client.get("/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.json()["code"] == "INVALID_KEY"


def test_404_405_422_are_problems(client: TestClient, vendor_key: str) -> None:
    r = client.get("/no/such/path")
    assert (r.status_code, r.headers["content-type"], r.json()["code"]) == (
        404,
        PROBLEM,
        "NOT_FOUND",
    )
    r = client.put("/healthz")
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    r = client.post(
        "/v1/customers", json={"name": ""}, headers={"Authorization": f"Bearer {vendor_key}"}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "VALIDATION_FAILED" and body["errors"][0]["loc"][-1] == "name"
    r = client.post(
        "/v1/customers",
        content=b"{not json",
        headers={"Authorization": f"Bearer {vendor_key}", "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "pbx-42.abc"})
    assert r.headers["x-request-id"] == "pbx-42.abc"
    r = client.get("/healthz", headers={"X-Request-ID": "bad id\r\nInjected: 1"})
    assert r.headers["x-request-id"] != "bad id" and len(r.headers["x-request-id"]) == 32
    problem = client.get("/v1/customers")
    assert problem.json()["request_id"] == problem.headers["x-request-id"]
