"""Entitlement decisions per second: the pure engine, the service with its database work and
audit row, and the HTTP API (a real uvicorn server, requests from another process's client).

    python -m benchmarks.entitlements [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import free_port, machine, write_results
from motmedia.config import Settings, ensure_secrets
from motmedia.db import Database
from motmedia.entitlements import service
from motmedia.entitlements.engine import ContractFacts, DeviceFacts, decide
from motmedia.entitlements.policy import load_policy
from motmedia.tenants import service as tenants
from motmedia.tenants.auth import Role

FEATURES = ["stt.transcribe", "ivr.multilevel", "prompts.hold", "remote.settings", "video.call"]


def _rate(fn: Any, seconds: float) -> tuple[float, int]:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn(n)
            n += 1
    return n / elapsed, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    policy = load_policy()
    facts = DeviceFacts("d", "MOT/PBX M-V3", date(2018, 6, 1), (ContractFacts(date(2019, 5, 1)),))
    day = date(2026, 11, 24)
    engine_rate, _ = _rate(lambda i: decide(policy, facts, FEATURES[i % 5], at=day), args.seconds)

    data_dir = Path(tempfile.mkdtemp(prefix="bench-ent-"))
    settings = ensure_secrets(Settings(data_dir=data_dir))
    db = Database(settings.sqlalchemy_url)
    db.upgrade()
    with db.session() as session:
        customer = tenants.create_customer(session=session, name="bench")
        device = service.create_device(
            session=session,
            policy=policy,
            customer_id=customer.id,
            model="MOT/PBX M-V3",
            serial="B1",
            install_date=date(2018, 6, 1),
        )
        service.create_contract(
            session=session,
            device=device,
            signed_date=date(2019, 5, 1),
            end_date=None,
            kind="software_usage",
        )
        _, key = tenants.create_key(
            session=session,
            actor=None,
            role=Role.VENDOR,
            customer_id=None,
            pepper=settings.secret("api_key_pepper"),
        )
        device_id = device.id

    def one_service(i: int) -> None:
        with db.session() as session:
            service.decide_for(
                session=session,
                policy=policy,
                principal=None,
                device_id=device_id,
                feature=FEATURES[i % 5],
                at=day,
            )

    service_rate, _ = _rate(one_service, args.seconds)

    port = free_port()
    env = {**os.environ, "MOTMEDIA_DATA_DIR": str(data_dir), "MOTMEDIA_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "motmedia.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:

            def one_http(i: int) -> None:
                r = client.get(f"/v1/devices/{device_id}/entitlements/{FEATURES[i % 5]}")
                r.raise_for_status()

            http_rate, _ = _rate(one_http, args.seconds)

            def batch_http(_: int) -> None:
                checks = [{"device_id": device_id, "feature": f} for f in FEATURES] * 20
                client.post("/v1/entitlements/check", json={"checks": checks}).raise_for_status()

            batch_calls, _ = _rate(batch_http, args.seconds / 5)
    finally:
        server.terminate()
        server.wait(30)

    results = {
        "benchmark": "entitlements",
        "machine": machine(("fastapi", "sqlalchemy", "uvicorn")),
        "database": "sqlite (embedded default)",
        "decisions_per_second": {
            "engine_in_process": round(engine_rate),
            "service_with_db_and_audit": round(service_rate),
            "http_single_decision": round(http_rate, 1),
            "http_batch_of_100": round(batch_calls * 100, 1),
        },
        "notes": "service and HTTP rates include loading the device and contracts and writing one "
        "audit row per decision (SQLite, WAL). The HTTP client runs sequentially.",
    }
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    labels = list(results["decisions_per_second"])
    values = list(results["decisions_per_second"].values())
    ax.barh(labels, values, color=["#4c72b0", "#55a868", "#c44e52", "#8172b2"])
    ax.set_xscale("log")
    ax.set_xlabel("decisions per second (log)")
    ax.set_title("Entitlement decisions")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,.0f}", va="center")
    print(write_results("entitlements", results, fig))
    print(results["decisions_per_second"])


if __name__ == "__main__":
    main()
