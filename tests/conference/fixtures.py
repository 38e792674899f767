"""Devices with and without contracts for the conference API tests (test modules import it)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from ..conftest import Keys, auth


@dataclass
class Pbx:
    keys: Keys
    device: str  # contracted M-V3 of tenant A
    device_key: str
    bare: str  # uncontracted device of tenant A
    bare_key: str
    mini: str  # contracted MOT/Mini of tenant A: no voice conference
    device_b: str
    device_b_key: str


def make_device(
    client: TestClient, keys: Keys, customer: str, model: str, serial: str, contract: bool
) -> tuple[str, str]:
    r = client.post(
        "/v1/devices",
        headers=auth(keys.vendor),
        json={"customer_id": customer, "model": model, "serial": serial,
              "install_date": "2019-01-10"},
    )  # fmt: skip
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


def make_pbx(client: TestClient, keys: Keys) -> Pbx:
    device, device_key = make_device(client, keys, keys.customer_a, "MOT/PBX M-V3", "A1", True)
    bare, bare_key = make_device(client, keys, keys.customer_a, "MOT/PBX S-V2", "A2", False)
    mini, _ = make_device(client, keys, keys.customer_a, "MOT/Mini", "A3", True)
    device_b, device_b_key = make_device(client, keys, keys.customer_b, "MOT/PBX M-V3", "B1", True)
    return Pbx(keys, device, device_key, bare, bare_key, mini, device_b, device_b_key)


def make_room(client: TestClient, key: str, **fields: object) -> dict[str, object]:
    body = {"kind": "conference", "name": "朝会", "media": "audio_video", **fields}
    r = client.post("/v1/rooms", headers=auth(key), json=body)
    assert r.status_code == 201, r.text
    data: dict[str, object] = r.json()
    return data


def make_token(client: TestClient, key: str, room: str, identity: str, **fields: object) -> str:
    r = client.post(
        f"/v1/rooms/{room}/tokens", headers=auth(key), json={"identity": identity, **fields}
    )
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token
