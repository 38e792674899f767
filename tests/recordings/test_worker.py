"""Real workers, the real bundled model, real synthesised calls.

Local pool: upload → done → transcript and metrics; queued jobs survive a restart; a
worker SIGKILLed mid-transcription loses nothing and the job ends ``done`` exactly once.
Celery: the same end to end against a real Redis broker and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import jiwer
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from motmedia.api.app import create_app
from motmedia.cli import ensure_vendor_key
from motmedia.config import Settings, ensure_secrets
from motmedia.media.decode import write_wav
from motmedia.recordings.models import Job, WebhookDelivery
from motmedia.recordings.pool import LocalPool, Supervisor
from motmedia.recordings.webhooks import HEADER, verify
from motmedia.stt.models import ensure_bundled_model

from ..conftest import Keys, auth, make_device
from ..speech import Voices, make_voices, resample, silence
from .conftest import Pbx

pytestmark = pytest.mark.slow

CALLER = ["お世話になっております。", "請求書の再発行をお願いしたいのですが。"]
AGENT = ["お電話ありがとうございます。", "かしこまりました。ご契約番号をお願いいたします。"]


@pytest.fixture(scope="module")
def voices() -> Voices:
    return make_voices()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_bundled_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def call_wav(voices: Voices) -> bytes:
    """A stereo 8 kHz μ-law call: agent greets, caller answers, turn by turn."""
    caller, agent = [silence(0.5)], [silence(0.5)]
    for said_by_agent, said_by_caller in zip(AGENT, CALLER, strict=True):
        a = voices.ja(said_by_agent)
        agent += [a, silence(0.6)]
        caller += [silence(len(a) / 16000), silence(0.6)]
        c = voices.ja(said_by_caller)
        caller += [c, silence(0.6)]
        agent += [silence(len(c) / 16000), silence(0.6)]
    left, right = np.concatenate(caller), np.concatenate(agent)
    stereo = np.stack([left, right])
    buf = io.BytesIO()
    write_wav(buf, resample(stereo, 16000, 8000), 8000, codec="pcm_mulaw")
    return buf.getvalue()


def cer(reference: str, hypothesis: str) -> float:
    strip = str.maketrans("", "", "。、.,!?！？ 　")
    return float(jiwer.cer(reference.translate(strip), hypothesis.translate(strip)))


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.received.append((body, self.headers[HEADER]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_server() -> Iterator[str]:
    Hooks.received = []
    server = HTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path) -> Settings:  # only SQLite for the local pool
    return ensure_secrets(
        Settings(
            data_dir=tmp_path / "var",
            stt_model=str(model_dir),
            stt_device="cpu",
            stt_compute_type="int8",
            job_lease_seconds=3.0,
            workers=1,
        )
    )


def _upload(client: TestClient, key: str, data: bytes, call_id: str) -> str:
    r = client.post(
        "/v1/recordings",
        headers={**auth(key), "Idempotency-Key": call_id},
        data={"call_id": call_id, "parties": "caller,agent", "language": "ja"},
        files={"file": ("c.wav", data, "audio/wav")},
    )
    assert r.status_code == 202, r.text
    rid: str = r.json()["id"]
    return rid


def _status(client: TestClient, key: str, rid: str) -> str:
    status: str = client.get(f"/v1/recordings/{rid}", headers=auth(key)).json()["status"]
    return status


def _check_transcript(client: TestClient, key: str, rid: str) -> None:
    doc = client.get(f"/v1/recordings/{rid}/transcript", headers=auth(key)).json()
    by_party = {
        p: "".join(s["text"] for s in doc["segments"] if s["party"] == p)
        for p in ("caller", "agent")
    }
    # 8 kHz G.711 through Whisper base: a few kanji may differ (成球所 for 請求書), so the
    # check is a character error rate per party, not exact text.
    for party, said in (("caller", CALLER), ("agent", AGENT)):
        assert cer("".join(said), by_party[party]) < 0.3, (party, by_party[party])
    # The agent greets first, the caller answers: dialogue order is kept.
    assert doc["segments"][0]["party"] == "agent"
    talk = {p["party"]: p["talk_seconds"] for p in doc["metrics"]["parties"]}
    assert talk["caller"] > 1.0 and talk["agent"] > 1.0
    meta = client.get(f"/v1/recordings/{rid}", headers=auth(key)).json()
    assert meta["metrics"] == doc["metrics"]
    txt = client.get(
        f"/v1/recordings/{rid}/transcript", params={"format": "txt"}, headers=auth(key)
    )
    assert txt.text.startswith("agent: ")
    vtt = client.get(
        f"/v1/recordings/{rid}/transcript", params={"format": "vtt"}, headers=auth(key)
    )
    assert vtt.text.startswith("WEBVTT")


def test_local_pool_restart_and_sigkill(
    settings: Settings, call_wav: bytes, hook_server: str
) -> None:
    app = create_app(settings)  # no workers yet: uploads wait in the queue, as across a restart
    with TestClient(app) as client:
        pbx = _make_pbx(client, app)
        r = client.post("/v1/webhooks", json={"url": hook_server}, headers=auth(pbx.keys.admin_a))
        secret = r.json()["secret"]
        first = _upload(client, pbx.device_key, call_wav, "call-1")
        second = _upload(client, pbx.device_key, call_wav + b"", "call-2")
        assert _upload(client, pbx.device_key, call_wav, "call-1") == first  # retried upload
        assert {_status(client, pbx.device_key, x) for x in (first, second)} == {"queued"}

        pool = LocalPool(settings, 1)
        pool.start()
        try:
            wait_for(lambda: _status(client, pbx.device_key, first) == "running", 120, "first job")
            time.sleep(0.5)  # mid-transcription
            victim = pool.processes[0]
            os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
            wait_for(
                lambda: {_status(client, pbx.device_key, x) for x in (first, second)} == {"done"},
                300,
                "both jobs done after the kill",
            )
        finally:
            pool.stop()
        _check_transcript(client, pbx.device_key, first)
        with app.state.motmedia.db.session() as s:
            jobs = {j.recording_id: j for j in s.scalars(select(Job))}
            assert jobs[first].attempts == 2 and jobs[first].status == "done"
            assert jobs[second].attempts == 1
            deliveries = [json.loads(d.event) for d in s.scalars(select(WebhookDelivery))]
        # Exactly one "done" event per recording, although the first one ran twice.
        assert sorted(e["recording_id"] for e in deliveries) == sorted([first, second])
        Supervisor(settings).tick()  # deliver the webhooks now
        assert len(Hooks.received) == 2
        assert all(verify(secret, body, sig) for body, sig in Hooks.received)
        assert not verify("wrong", *Hooks.received[0])


def _make_pbx(client: TestClient, app: FastAPI) -> Pbx:
    state = app.state.motmedia
    vendor = ensure_vendor_key(state.settings, state.db)
    assert vendor
    ids, admins = [], []
    for name in ("A", "B"):
        cid = client.post("/v1/customers", json={"name": name}, headers=auth(vendor)).json()["id"]
        ids.append(cid)
        admins.append(
            client.post(
                "/v1/keys",
                json={"role": "customer-admin", "customer_id": cid},
                headers=auth(vendor),
            ).json()["key"]
        )
    keys = Keys(vendor, ids[0], ids[1], admins[0], admins[1])
    device, device_key = make_device(
        client, keys, keys.customer_a, "MOT/PBX M-V3", "W1", contract=True
    )
    bare, bare_key = make_device(
        client, keys, keys.customer_a, "MOT/PBX S-V2", "W2", contract=False
    )
    device_b, device_b_key = make_device(
        client, keys, keys.customer_b, "MOT/PBX M-V3", "W3", contract=True
    )
    return Pbx(keys, device, device_key, bare, bare_key, device_b, device_b_key)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_celery_mode_with_redis_and_postgres(
    tmp_path: Path, model_dir: Path, call_wav: bytes, pg_database_url: str
) -> None:
    redis = pytest.importorskip("redis")
    broker = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(broker).flushdb()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("MOTMEDIA_TEST_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"no Redis: {exc}")
    database_url = pg_database_url
    settings = ensure_secrets(
        Settings(
            data_dir=tmp_path / "var",
            database_url=database_url,
            stt_model=str(model_dir),
            stt_device="cpu",
            stt_compute_type="int8",
            broker_url=broker,
        )
    )
    env = {
        **os.environ,
        "MOTMEDIA_DATA_DIR": str(settings.data_dir),
        "MOTMEDIA_DATABASE_URL": database_url,
        "MOTMEDIA_BROKER_URL": broker,
        "MOTMEDIA_STT_MODEL": str(model_dir),
        "MOTMEDIA_STT_DEVICE": "cpu",
        "MOTMEDIA_STT_COMPUTE_TYPE": "int8",
    }
    app = create_app(settings)
    with TestClient(app) as client:
        pbx = _make_pbx(client, app)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "motmedia.recordings.celery_app",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                "motmedia",
                "--loglevel=INFO",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            rid = _upload(client, pbx.device_key, call_wav, "celery-1")
            try:
                wait_for(lambda: _status(client, pbx.device_key, rid) == "done", 300, "celery job")
            except AssertionError:
                worker.terminate()
                raise AssertionError(worker.communicate(timeout=30)[0][-4000:]) from None
            _check_transcript(client, pbx.device_key, rid)
        finally:
            worker.terminate()
            worker.wait(30)
