"""Recordings fixtures: a customer with a contracted and an uncontracted device, and keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ..conftest import Keys, auth


@dataclass
class Pbx:
    keys: Keys
    device: str  # contracted M-V3 of tenant A
    device_key: str
    bare: str  # uncontracted S-V2 of tenant A
    bare_key: str
    device_b: str  # contracted device of tenant B
    device_b_key: str


def _device(
    client: TestClient, keys: Keys, customer: str, model: str, serial: str, contract: bool
) -> tuple[str, str]:
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
        assert r.status_code == 201
    r = client.post(
        "/v1/keys",
        headers=auth(keys.vendor),
        json={"role": "device", "customer_id": customer, "device_id": device},
    )
    return device, r.json()["key"]


@pytest.fixture
def pbx(client: TestClient, keys: Keys) -> Pbx:
    device, device_key = _device(client, keys, keys.customer_a, "MOT/PBX M-V3", "A1", True)
    bare, bare_key = _device(client, keys, keys.customer_a, "MOT/PBX S-V2", "A2", False)
    device_b, device_b_key = _device(client, keys, keys.customer_b, "MOT/PBX M-V3", "B1", True)
    return Pbx(keys, device, device_key, bare, bare_key, device_b, device_b_key)
