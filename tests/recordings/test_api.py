"""Recordings over HTTP without the model: upload, idempotency, refusals, isolation, audio,
search and delete — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from motmedia.media.decode import write_wav
from motmedia.recordings import search
from motmedia.recordings.models import Job, Recording
from motmedia.recordings.storage import AudioStore

from ..conftest import auth
from .conftest import Pbx

PROBLEM = "application/problem+json"


def call_wav(seconds: float = 1.0, codec: str = "pcm_mulaw") -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)])
    buf = io.BytesIO()
    write_wav(buf, stereo.astype(np.float32), 8000, codec=codec)
    return buf.getvalue()


def upload(client: TestClient, key: str, data: bytes, **fields: str) -> object:
    headers = auth(key)
    if "idempotency_key" in fields:
        headers["Idempotency-Key"] = fields.pop("idempotency_key")
    return client.post(
        "/v1/recordings",
        headers=headers,
        data=fields,
        files={"file": ("call.wav", data, "audio/wav")},
    )


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_stores_encrypted_and_returns_original(
    client: TestClient, app: FastAPI, pbx: Pbx
) -> None:
    data = call_wav()
    r = upload(
        client,
        pbx.device_key,
        data,
        call_id="c-1",
        caller="0353301165",
        callee="201",
        direction="inbound",
        started_at="2026-11-24T09:00:00+09:00",
        parties="customer,operator",
    )
    assert r.status_code == 202, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert r.headers["location"] == f"/v1/recordings/{body['id']}"  # type: ignore[attr-defined]
    assert body["status"] == "queued" and body["channels"] == 2 and body["codec"] == "pcm_mulaw"
    assert body["parties"] == ["customer", "operator"]
    assert body["started_at"].startswith("2026-11-24T00:00:00")  # stored as UTC
    store: AudioStore = app.state.motmedia.services["audio_store"]
    stored = files_under(store.root)
    assert len(stored) == 1 and data[44:200] not in stored[0].read_bytes()
    audio = client.get(f"/v1/recordings/{body['id']}/audio", headers=auth(pbx.device_key))
    assert audio.status_code == 200 and audio.content == data
    part = client.get(
        f"/v1/recordings/{body['id']}/audio",
        headers={**auth(pbx.device_key), "Range": "bytes=100-199"},
    )
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(
        f"/v1/recordings/{body['id']}/audio", headers={**auth(pbx.device_key), "Range": "bytes=-10"}
    )
    assert tail.content == data[-10:]
    bad = client.get(
        f"/v1/recordings/{body['id']}/audio",
        headers={**auth(pbx.device_key), "Range": f"bytes={len(data)}-"},
    )
    assert bad.status_code == 416
    # Not transcribed yet: the transcript is not there, and says so.
    r = client.get(f"/v1/recordings/{body['id']}/transcript", headers=auth(pbx.device_key))
    assert r.status_code == 404 and r.json()["code"] == "TRANSCRIPT_NOT_READY"


def test_raw_body_upload(client: TestClient, pbx: Pbx) -> None:
    r = client.post(
        "/v1/recordings",
        params={"call_id": "raw-1", "language": "ja"},
        content=call_wav(),
        headers={**auth(pbx.device_key), "Content-Type": "audio/wav"},
    )
    assert r.status_code == 202 and r.json()["language"] == "ja"


def test_same_upload_twice_is_one_recording(client: TestClient, app: FastAPI, pbx: Pbx) -> None:
    data = call_wav()
    first = upload(client, pbx.device_key, data, idempotency_key="abc-1").json()  # type: ignore[attr-defined]
    again = upload(client, pbx.device_key, data, idempotency_key="abc-1")
    assert again.json()["id"] == first["id"]  # type: ignore[attr-defined]
    assert again.headers["idempotent-replayed"] == "true"  # type: ignore[attr-defined]
    by_call = [
        upload(client, pbx.device_key, data, call_id="same-call").json()["id"]  # type: ignore[attr-defined]
        for _ in range(2)
    ]
    assert by_call[0] == by_call[1]
    with app.state.motmedia.db.session() as s:
        assert s.query(Recording).count() == 2 and s.query(Job).count() == 2


def test_no_contract_is_refused_and_nothing_stored(
    client: TestClient, app: FastAPI, pbx: Pbx
) -> None:
    r = upload(client, pbx.bare_key, call_wav())
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    assert r.json()["code"] == "NO_CONTRACT" and r.json()["feature"] == "stt.transcribe"  # type: ignore[attr-defined]
    store: AudioStore = app.state.motmedia.services["audio_store"]
    assert files_under(store.root) == []
    assert files_under(app.state.motmedia.settings.data_dir / "spool") == []
    with app.state.motmedia.db.session() as s:
        assert s.query(Recording).count() == 0


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"", 415, None),
        (b"this is a text file, not audio" * 10, 415, None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt broken", 415, None),
    ],
)
def test_bad_audio_is_refused(
    client: TestClient, app: FastAPI, pbx: Pbx, payload: bytes, status: int, code: str | None
) -> None:
    r = upload(client, pbx.device_key, payload)
    assert r.status_code == status and r.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    assert files_under(app.state.motmedia.services["audio_store"].root) == []
    assert files_under(app.state.motmedia.settings.data_dir / "spool") == []


def test_bad_metadata(client: TestClient, pbx: Pbx) -> None:
    r = upload(client, pbx.device_key, call_wav(), started_at="yesterday")
    assert r.status_code == 422 and r.json()["code"] == "INVALID_METADATA"  # type: ignore[attr-defined]
    r = upload(client, pbx.device_key, call_wav(), started_at="2026-11-24T09:00:00")
    assert r.status_code == 422  # type: ignore[attr-defined]
    r = upload(client, pbx.device_key, call_wav(), parties="a,b,c")
    assert r.status_code == 422 and r.json()["code"] == "PARTIES_MISMATCH"  # type: ignore[attr-defined]
    r = client.post(
        "/v1/recordings",
        headers=auth(pbx.device_key),
        data={"call_id": "x"},
        files={"other": ("a.wav", call_wav(), "audio/wav")},
    )
    assert r.status_code == 422 and r.json()["code"] == "MISSING_FILE"


def test_too_large_while_streaming(client: TestClient, app: FastAPI, pbx: Pbx) -> None:
    app.state.motmedia.settings.max_upload_bytes = 10_000
    r = client.post(
        "/v1/recordings",
        content=call_wav(2.0),
        headers={**auth(pbx.device_key), "Content-Type": "audio/wav"},
    )
    assert r.status_code == 413 and r.json()["code"] == "TOO_LARGE"
    assert files_under(app.state.motmedia.settings.data_dir / "spool") == []


def test_tenant_isolation_and_delete(client: TestClient, app: FastAPI, pbx: Pbx) -> None:
    rid = upload(client, pbx.device_key, call_wav()).json()["id"]  # type: ignore[attr-defined]
    other = pbx.device_b_key
    for path in ("", "/audio", "/transcript"):
        assert client.get(f"/v1/recordings/{rid}{path}", headers=auth(other)).status_code == 404
    assert client.delete(f"/v1/recordings/{rid}", headers=auth(other)).status_code == 404
    assert client.get("/v1/recordings", headers=auth(pbx.keys.admin_b)).json()["items"] == []
    # The customer admin of A sees it; the vendor too.
    assert client.get(f"/v1/recordings/{rid}", headers=auth(pbx.keys.admin_a)).status_code == 200
    assert client.delete(f"/v1/recordings/{rid}", headers=auth(pbx.device_key)).status_code == 204
    assert client.get(f"/v1/recordings/{rid}", headers=auth(pbx.keys.vendor)).status_code == 404
    assert files_under(app.state.motmedia.services["audio_store"].root) == []


def test_japanese_substring_search(client: TestClient, app: FastAPI, pbx: Pbx) -> None:
    texts = {
        "a": "caller: お世話になっております。請求書の再発行についてお伺いしたいのですが\n"
        "agent: かしこまりました。ご契約番号をお願いいたします",
        "b": "caller: 会議室の予約を変更したいです\nagent: 承知しました",
        "c": "caller: Hello, I would like to check my INVOICE please",
    }
    ids = {}
    db = app.state.motmedia.db
    for name, text in texts.items():
        rid = upload(client, pbx.device_key, call_wav(), call_id=name).json()["id"]  # type: ignore[attr-defined]
        with db.session() as s:
            rec = s.get(Recording, rid)
            rec.status = "done"
            search.store_text(s, rec, text)
        ids[name] = rid
    # B's recording with the same words must not leak into A's search.
    rid_b = upload(client, pbx.device_b_key, call_wav(), call_id="b").json()["id"]  # type: ignore[attr-defined]
    with db.session() as s:
        search.store_text(s, s.get(Recording, rid_b), "caller: 請求書の再発行をお願いします")

    def find(q: str, key: str = pbx.keys.admin_a) -> list[str]:
        r = client.get("/v1/recordings", params={"q": q}, headers=auth(key))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert find("再発行について") == [ids["a"]]  # from the middle of a turn
    assert find("請求") == [ids["a"]]  # two characters: below the trigram size
    assert set(find("invoice")) == {ids["c"]}  # case-insensitive
    assert find("ＩＮＶＯＩＣＥ") == [ids["c"]]  # full-width folds to ASCII
    assert find("予約を変更") == [ids["b"]]
    assert find("存在しない語句") == []
    assert find("100%") == []  # LIKE metacharacters are literal
    hit = client.get("/v1/recordings", params={"q": "再発行"}, headers=auth(pbx.keys.admin_a))
    assert "<mark>再発行</mark>" in hit.json()["items"][0]["snippet"]
    assert find("再発行", pbx.keys.admin_b) == [rid_b]
    r = client.get("/v1/recordings", params={"q": "  "}, headers=auth(pbx.keys.admin_a))
    assert r.status_code == 422


def test_filters_and_pagination(client: TestClient, pbx: Pbx) -> None:
    for i in range(3):
        upload(
            client,
            pbx.device_key,
            call_wav(0.5),
            call_id=f"p{i}",
            caller=f"090000000{i}",
            started_at=f"2026-11-2{i}T10:00:00+09:00",
        )
    r = client.get("/v1/recordings", params={"number": "0900000001"}, headers=auth(pbx.device_key))
    assert [x["call_id"] for x in r.json()["items"]] == ["p1"]
    r = client.get(
        "/v1/recordings", params={"since": "2026-11-21T00:00:00Z"}, headers=auth(pbx.device_key)
    )
    assert {x["call_id"] for x in r.json()["items"]} == {"p1", "p2"}
    r = client.get("/v1/recordings", params={"limit": 2}, headers=auth(pbx.device_key)).json()
    assert len(r["items"]) == 2 and r["next_cursor"]
    r = client.get("/v1/recordings", params={"status": "nonsense"}, headers=auth(pbx.device_key))
    assert r.status_code == 422
