"""The Asterisk-style export: layout, manifest, checksums, formats, determinism."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import av
from fastapi.testclient import TestClient

from motmedia.media.encode import FORMATS
from motmedia.tts.piper import joe_voice_installed

from ..conftest import auth
from ..tts.helpers import decode
from .helpers import Fleet
from .test_ivr import two_levels

EXTENSIONS = {"wav": "wav8k", "ulaw": "ulaw", "alaw": "alaw", "sln16": "sln16"}


def test_export_zip_layout_manifest_and_files(client: TestClient, fleet: Fleet) -> None:
    admin, device = fleet.keys.admin_a, fleet.pbx
    slots = {
        1: ("hold", "少々お待ちください。"),
        2: ("recording_notice", "この通話は品質向上のため録音させていただきます。"),
    }
    for slot, (kind, text) in slots.items():
        r = client.put(
            f"/v1/devices/{device}/messages/{slot}",
            headers=auth(admin),
            json={"kind": kind, "text": text},
        )
        assert r.status_code == 201
    english = joe_voice_installed()
    if english:
        r = client.put(
            f"/v1/devices/{device}/messages/3",
            headers=auth(admin),
            json={"text": "Thank you for calling.", "language": "en"},
        )
        assert r.status_code == 201, r.text
    assert (
        client.put(f"/v1/devices/{device}/ivr", headers=auth(admin), json=two_levels()).status_code
        == 200
    )

    url = f"/v1/devices/{device}/prompts/export.zip"
    r = client.get(url, headers=auth(fleet.pbx_key))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == f'attachment; filename="prompts-{device}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = [
        "message-01",
        "message-02",
        "ivr-main",
        "ivr-main-timeout",
        "ivr-main-invalid",
        "ivr-sales",
    ]
    expected = {f"ja/{n}.{ext}" for n in names for ext in EXTENSIONS}
    if english:
        expected |= {f"en/message-03.{ext}" for ext in EXTENSIONS}
    assert set(archive.namelist()) == expected | {"manifest.json"}

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["device_id"] == device
    assert {e: f["format"] for e, f in manifest["formats"].items()} == EXTENSIONS
    prompts = {p["name"]: p for p in manifest["prompts"]}
    assert set(prompts) == {n for n in names} | ({"message-03"} if english else set())
    assert prompts["message-02"]["text"] == slots[2][1]
    assert prompts["message-02"]["source"] == {
        "type": "slot",
        "slot": 2,
        "kind": "recording_notice",
    }
    assert prompts["ivr-main-timeout"]["source"] == {"type": "menu", "menu": "main"}
    assert prompts["ivr-main-timeout"]["role"] == "timeout"
    assert prompts["message-01"]["voice"] == "ja_JP-mei-normal"
    assert [s["slot"] for s in manifest["slots"]] == sorted(slots) + ([3] if english else [])
    ivr = manifest["ivr"]
    assert ivr["root"] == "main" and [m["name"] for m in ivr["menus"]] == ["main", "sales"]
    assert ivr["menus"][0]["options"]["1"] == {"menu": "sales"}
    assert ivr["menus"][0]["prompts"] == {
        "main": "ivr-main",
        "timeout": "ivr-main-timeout",
        "invalid": "ivr-main-invalid",
    }
    for prompt in manifest["prompts"]:
        for ext, entry in prompt["files"].items():
            data = archive.read(entry["path"])
            assert entry["path"] == f"{prompt['language']}/{prompt['name']}.{ext}"
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["bytes"]
            fmt = FORMATS[EXTENSIONS[ext]]
            decoded = decode(data, fmt)
            assert (decoded.sample_rate, decoded.channels) == (fmt.sample_rate, 1)
            assert decoded.codec_id == av.Codec(fmt.codec, "w").id
            assert len(decoded.samples) / fmt.sample_rate > 0.5

    # Same library, same bytes: the ETag holds and revalidation is a 304.
    again = client.get(url, headers=auth(admin))
    assert again.content == r.content and again.headers["etag"] == r.headers["etag"]
    cached = client.get(url, headers={**auth(admin), "If-None-Match": r.headers["etag"]})
    assert cached.status_code == 304


def test_empty_library_exports_an_empty_manifest(client: TestClient, fleet: Fleet) -> None:
    r = client.get(f"/v1/devices/{fleet.bare}/prompts/export.zip", headers=auth(fleet.bare_key))
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert archive.namelist() == ["manifest.json"]
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["prompts"], manifest["slots"], manifest["ivr"]) == ([], [], None)
