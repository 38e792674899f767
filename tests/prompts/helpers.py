"""Helpers for the prompt-library and TTS API tests: devices with keys, waiting for checks.

A plain module (not a conftest), so tests/tts can import it too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from ..conftest import Keys, auth, make_device

PROBLEM = "application/problem+json"


@dataclass
class Fleet:
    """Tenant A: a contracted M-V3, an uncontracted S-V2, a contracted and a bare MOT/Mini.
    Tenant B: a contracted M-V3."""

    keys: Keys
    pbx: str
    pbx_key: str
    bare: str
    bare_key: str
    mini: str
    mini_bare: str
    other: str  # tenant B


def make_fleet(client: TestClient, keys: Keys) -> Fleet:
    a, b = keys.customer_a, keys.customer_b
    pbx, pbx_key = make_device(client, keys, a, "MOT/PBX M-V3", "A1", contract=True)
    bare, bare_key = make_device(client, keys, a, "MOT/PBX S-V2", "A2", contract=False)
    mini, _ = make_device(client, keys, a, "MOT/Mini", "A3", contract=True)
    mini_bare, _ = make_device(client, keys, a, "MOT/Mini", "A4", contract=False)
    other, _ = make_device(client, keys, b, "MOT/PBX M-V3", "B1", contract=True)
    return Fleet(keys, pbx, pbx_key, bare, bare_key, mini, mini_bare, other)


def wait_checked(client: TestClient, url: str, key: str, timeout: float = 300.0) -> dict[str, Any]:
    """GET ``url`` until its check (or every menu's) is no longer pending; return the body."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(url, headers=auth(key)).json()
        rows = body.get("menus", [body])
        if all(row["check"]["status"] != "pending" for row in rows):
            return body
        assert time.monotonic() < deadline, f"check still pending after {timeout} s: {body}"
        time.sleep(0.2)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body
