"""The `motmedia` command: version, admin, and `serve` on a real port (what `make run` does)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from motmedia import __version__
from motmedia.cli import app


def test_version() -> None:
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output


def test_admin_customer_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTMEDIA_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(app, ["admin", "customer", "create", "株式会社オフィス24"])
    assert r.exit_code == 0, r.output
    customer = json.loads(r.output)
    r = runner.invoke(
        app, ["admin", "key", "create", "--role", "customer-admin", "--customer", customer["id"]]
    )
    assert r.exit_code == 0 and json.loads(r.output)["key"].startswith("mot_")
    r = runner.invoke(
        app, ["admin", "key", "create", "--role", "customer-admin", "--customer", "nope"]
    )
    assert r.exit_code == 2 and "CUSTOMER_NOT_FOUND" in r.output
    r = runner.invoke(app, ["admin", "customer", "list"])
    assert "オフィス24" in r.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "motmedia.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start: {proc.communicate()[1][-2000:]}")
        time.sleep(0.3)


@pytest.mark.slow
def test_serve_first_start(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "MOTMEDIA_DATA_DIR": str(tmp_path), "MOTMEDIA_LOG_FORMAT": "json"}
    env.pop("MOTMEDIA_DATABASE_URL", None)
    proc = _serve(port, env)
    try:
        assert "/v1/customers" in httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    key = next(w for w in out.split() if w.startswith("mot_"))
    assert f"http://127.0.0.1:{port}/docs" in out
    assert key not in err  # printed once to the terminal, never into the logs
    # Second start: the key still works and is not printed again.
    proc = _serve(port, env)
    try:
        me = httpx.get(f"http://127.0.0.1:{port}/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200 and me.json()["role"] == "vendor"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "mot_" not in out


def test_admin_device_and_entitlements_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTMEDIA_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    customer = json.loads(runner.invoke(app, ["admin", "customer", "create", "Mini shop"]).output)
    r = runner.invoke(
        app,
        [
            "admin",
            "device",
            "create",
            "--customer",
            customer["id"],
            "--model",
            "MOT/Mini",
            "--serial",
            "M1",
            "--installed",
            "2016-04-01",
        ],
    )
    assert r.exit_code == 0, r.output
    device = json.loads(r.output)
    r = runner.invoke(app, ["admin", "device", "contract", device["id"], "--signed", "2019-06-01"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["entitlements", "show", device["id"], "--at", "2026-01-01"])
    lines = {
        line.split()[1]: line.split()[0] + " " + line.split()[2] for line in r.output.splitlines()
    }
    assert lines["ivr.multilevel"] == "no MODEL_EXCLUDED"
    assert lines["video.call"] == "yes OK"
    r = runner.invoke(
        app,
        [
            "admin",
            "device",
            "create",
            "--customer",
            customer["id"],
            "--model",
            "MOT/Toaster",
            "--serial",
            "M2",
            "--installed",
            "2016-04-01",
        ],
    )
    assert r.exit_code == 2 and "UNKNOWN_MODEL" in r.output
