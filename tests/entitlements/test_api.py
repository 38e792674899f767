"""The entitlement API end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from motmedia.entitlements.dependencies import require
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import load_policy
from motmedia.prompts import service as prompts

from ..conftest import Keys, auth
from .test_engine import DEVICES, ORDER, TABLE

PROBLEM = "application/problem+json"
SPECS = {
    "M-V3+contract": ("MOT/PBX M-V3", "2018-06-01", "2019-05-01"),
    "S-V2 no contract": ("MOT/PBX S-V2", "2018-09-01", None),
    "Mini+contract": ("MOT/Mini", "2015-01-01", "2019-05-01"),
    "Mini no contract": ("MOT/Mini", "2015-01-01", None),
}


@pytest.fixture
def devices(client: TestClient, keys: Keys) -> dict[str, str]:
    ids = {}
    for i, (name, (model, installed, signed)) in enumerate(SPECS.items()):
        r = client.post(
            "/v1/devices",
            headers=auth(keys.vendor),
            json={
                "customer_id": keys.customer_a,
                "model": model,
                "serial": f"SN{i:04d}",
                "install_date": installed,
                "name": name,
            },
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
        if signed:
            r = client.post(
                f"/v1/devices/{ids[name]}/contracts",
                headers=auth(keys.vendor),
                json={"signed_date": signed},
            )
            assert r.status_code == 201, r.text
    return ids


def test_every_row_through_the_api(client: TestClient, keys: Keys, devices: dict[str, str]) -> None:
    assert set(DEVICES) == set(SPECS)
    for i, name in enumerate(ORDER):
        r = client.get(
            f"/v1/devices/{devices[name]}/entitlements",
            params={"at": "2026-11-24"},
            headers=auth(keys.admin_a),
        )
        assert r.status_code == 200
        got = {d["feature"]: (d["allowed"], d["code"], d["fulfilment"]) for d in r.json()}
        want = {f: (row[i][0], row[i][1].value, row[i][2]) for f, row in TABLE.items()}
        assert got == want, name


def test_single_and_batch(client: TestClient, keys: Keys, devices: dict[str, str]) -> None:
    mini = devices["Mini+contract"]
    d = client.get(
        f"/v1/devices/{mini}/entitlements/ivr.multilevel", headers=auth(keys.admin_a)
    ).json()
    assert (d["allowed"], d["code"]) == (False, "MODEL_EXCLUDED")
    d = client.get(f"/v1/devices/{mini}/entitlements/warp.drive", headers=auth(keys.admin_a)).json()
    assert (d["allowed"], d["code"]) == (False, "UNKNOWN_FEATURE")
    r = client.post(
        "/v1/entitlements/check",
        headers=auth(keys.admin_a),
        json={
            "checks": [
                {"device_id": mini, "feature": "video.call"},
                {"device_id": "00000000-0000-0000-0000-000000000000", "feature": "chat"},
            ]
        },
    )
    codes = [x["decision"]["code"] for x in r.json()]
    assert codes == ["OK", "UNKNOWN_DEVICE"]
    # Another tenant's device is unknown to B's admin, in a batch and directly.
    r = client.post(
        "/v1/entitlements/check",
        headers=auth(keys.admin_b),
        json={"checks": [{"device_id": mini, "feature": "video.call"}]},
    )
    assert r.json()[0]["decision"]["code"] == "UNKNOWN_DEVICE"
    assert client.get(f"/v1/devices/{mini}", headers=auth(keys.admin_b)).status_code == 404
    assert (
        client.get(f"/v1/devices/{mini}/entitlements", headers=auth(keys.admin_b)).status_code
        == 404
    )


def test_money_endpoints(client: TestClient, keys: Keys, devices: dict[str, str]) -> None:
    dev = devices["S-V2 no contract"]  # installed 2018-09-01
    r = client.get(
        f"/v1/devices/{dev}/first-invoice",
        params={"contract_date": "2019-06-15"},
        headers=auth(keys.admin_a),
    )
    assert r.json()["months"] == 3 and r.json()["first_month"] == "2019-04"
    r = client.get(
        f"/v1/devices/{dev}/first-invoice",
        params={"contract_date": "2018-01-01"},
        headers=auth(keys.admin_a),
    )
    assert r.status_code == 422 and r.json()["code"] == "CONTRACT_BEFORE_INSTALL"
    r = client.get(
        f"/v1/devices/{dev}/repair-quote", params={"date": "2020-01-01"}, headers=auth(keys.admin_a)
    )
    assert r.json()["free"] is False and r.json()["dispatch_fee_yen"] == 15000
    r = client.get(
        f"/v1/devices/{dev}/repair-quote", params={"date": "not-a-date"}, headers=auth(keys.admin_a)
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


def test_vendor_only_writes_and_device_keys(
    client: TestClient, keys: Keys, devices: dict[str, str]
) -> None:
    dev = devices["M-V3+contract"]
    r = client.post(
        "/v1/devices",
        headers=auth(keys.admin_a),
        json={
            "customer_id": keys.customer_a,
            "model": "MOT/PRO",
            "serial": "X",
            "install_date": "2020-01-01",
        },
    )
    assert r.status_code == 403
    r = client.post(
        "/v1/devices",
        headers=auth(keys.vendor),
        json={
            "customer_id": keys.customer_a,
            "model": "MOT/Toaster",
            "serial": "X",
            "install_date": "2020-01-01",
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_MODEL"
    r = client.post(
        "/v1/devices",
        headers=auth(keys.vendor),
        json={
            "customer_id": keys.customer_a,
            "model": "MOT/PBX M-V3",
            "serial": "SN0000",
            "install_date": "2020-01-01",
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "DEVICE_EXISTS"
    r = client.post(
        f"/v1/devices/{dev}/contracts",
        headers=auth(keys.vendor),
        json={"signed_date": "2020-01-01"},
    )
    assert r.status_code == 409 and r.json()["code"] == "CONTRACT_OVERLAP"
    r = client.post(
        "/v1/keys",
        headers=auth(keys.admin_a),
        json={"role": "device", "customer_id": keys.customer_a, "device_id": dev},
    )
    assert r.status_code == 201
    device_key = r.json()["key"]
    # A device key reads its own device, nothing else, and cannot create keys.
    assert client.get(f"/v1/devices/{dev}", headers=auth(device_key)).status_code == 200
    other = devices["Mini+contract"]
    assert client.get(f"/v1/devices/{other}", headers=auth(device_key)).status_code == 404
    r = client.post(
        "/v1/keys",
        headers=auth(device_key),
        json={"role": "device", "customer_id": keys.customer_a, "device_id": dev},
    )
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    # A key cannot be minted for another tenant's device.
    r = client.post(
        "/v1/keys",
        headers=auth(keys.admin_b),
        json={"role": "device", "customer_id": keys.customer_b, "device_id": dev},
    )
    assert r.status_code == 404


def test_require_dependency_refuses_with_403_and_audits(
    app: FastAPI, client: TestClient, keys: Keys, devices: dict[str, str]
) -> None:
    probe = APIRouter()

    @probe.post("/v1/devices/{device_id}/probe-video")
    def use_video(decision: Annotated[Decision, Depends(require("video.call"))]) -> dict[str, str]:
        return {"code": decision.code.value}

    app.include_router(probe)
    ok = client.post(
        f"/v1/devices/{devices['M-V3+contract']}/probe-video", headers=auth(keys.admin_a)
    )
    assert ok.status_code == 200 and ok.json() == {"code": "OK"}
    no = client.post(
        f"/v1/devices/{devices['S-V2 no contract']}/probe-video", headers=auth(keys.admin_a)
    )
    body = no.json()
    assert no.status_code == 403 and no.headers["content-type"] == PROBLEM
    assert (body["code"], body["feature"]) == ("NO_CONTRACT", "video.call") and body["reason"]
    audit = client.get(
        "/v1/audit", params={"feature": "video.call"}, headers=auth(keys.admin_a)
    ).json()
    assert [(a["allowed"], a["code"]) for a in audit["items"]] == [
        (False, "NO_CONTRACT"),
        (True, "OK"),
    ]
    assert client.get("/v1/audit", headers=auth(keys.admin_b)).json()["items"] == []


def test_hold_slots_quota_via_api(client: TestClient, keys: Keys, devices: dict[str, str]) -> None:
    for name, limit in (("S-V2 no contract", 1), ("M-V3+contract", 5), ("Mini+contract", 1)):
        dev = devices[name]
        for slot in range(1, limit + 1):
            r = client.put(
                f"/v1/devices/{dev}/messages/{slot}",
                headers=auth(keys.admin_a),
                json={"text": f"少々お待ちください {slot}"},
            )
            assert r.status_code == 201, r.text
        r = client.put(
            f"/v1/devices/{dev}/messages/{limit + 1}",
            headers=auth(keys.admin_a),
            json={"text": "もう一つ"},
        )
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
        assert (r.json()["code"], r.json()["limit"], r.json()["used"]) == (
            "QUOTA_EXCEEDED",
            limit,
            limit,
        )
        # Replacing a filled slot needs no quota.
        r = client.put(
            f"/v1/devices/{dev}/messages/1",
            headers=auth(keys.admin_a),
            json={"text": "お電話ありがとうございます", "kind": "recording_notice"},
        )
        assert r.status_code == 200
    refusals = client.get(
        "/v1/audit", params={"feature": "prompts.hold"}, headers=auth(keys.vendor)
    ).json()
    assert sum(1 for a in refusals["items"] if a["code"] == "QUOTA_EXCEEDED") == 3


def test_concurrent_sixth_slot_exactly_one_wins(
    app: FastAPI, client: TestClient, keys: Keys, devices: dict[str, str]
) -> None:
    db = app.state.motmedia.db
    policy = load_policy()
    dev_id = devices["M-V3+contract"]
    for slot in range(1, 5):
        client.put(
            f"/v1/devices/{dev_id}/messages/{slot}", headers=auth(keys.admin_a), json={"text": "x"}
        )
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(slot: int) -> None:
        with db.session() as session:
            device = session.get(Device, dev_id)
            assert device is not None
            barrier.wait()
            try:
                prompts.put_slot(
                    session=session,
                    policy=policy,
                    principal=None,
                    device=device,
                    slot=slot,
                    kind="hold",
                    text=f"slot {slot}",
                    at=date(2026, 11, 24),
                )
                session.flush()
                results.append("won")
            except Exception as exc:
                results.append(getattr(exc, "code", repr(exc)))

    threads = [threading.Thread(target=attempt, args=(s,)) for s in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["QUOTA_EXCEEDED", "won"]
    with db.session() as session:
        assert prompts.count_slots(session, dev_id) == 5
