"""``POST /v1/audio/transcriptions`` with real audio through the real bundled model.

Every request goes through :func:`post`, which also checks that the upload spool
(``<data_dir>/spool``) is empty afterwards: success or failure, nothing is left behind.
Bad input and refusals never reach the model, so those tests are fast; the ones that
transcribe are marked ``slow``. SQLite only: the route does no SQL of its own beyond the
entitlement check, which tests/entitlements covers on both databases.

Error bounds are for Whisper base (int8, CPU) on synthetic speech. Measured when written:
CER 0.0 on every Japanese 8 kHz μ-law case and WER 0.0 on the English clip; the bounds
leave room for homophones and numerals (請求書/成球所, 三時/3時) without letting a wrong
or half-missing transcript pass.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from motmedia.config import Settings, ensure_secrets
from motmedia.media.decode import probe, write_wav
from motmedia.stt.models import BUNDLED_MODEL_NAME, ensure_bundled_model

from ..conftest import Keys, auth
from ..speech import RATE, Voices, cer, resample, silence, wer

ROUTE = "/v1/audio/transcriptions"
PROBLEM = "application/problem+json"
JA_MAX_CER = 0.25  # 8 kHz μ-law loses more than 16 kHz PCM (tests/stt/test_pipeline: 0.2)
EN_MAX_WER = 0.15

JA_TEXT = "お電話ありがとうございます。営業部の田中でございます。"
EN_TEXT = "I would like to check the status of my order. It was shipped last week."
AGENT_SAID = "お電話ありがとうございます。サポートセンターの高橋です。"
CALLER_SAID = "会議室の電話がつながらなくなってしまいました。"

Post = Callable[..., httpx.Response]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, stt_data_dir: Path) -> Settings:
    # The session's model directory (tests/stt/conftest): assembled once, by the first test
    # that transcribes (``model_dir``); tests refused before decoding never assemble it.
    return ensure_secrets(
        Settings(
            data_dir=tmp_path / "var",
            database_url=database_url,
            stt_model=str(stt_data_dir / "models" / BUNDLED_MODEL_NAME),
            stt_device="cpu",
            stt_compute_type="int8",
        )
    )


@pytest.fixture(scope="module")
def model_dir(stt_data_dir: Path) -> Path:
    return ensure_bundled_model(stt_data_dir)


@dataclass
class Devices:
    id: str  # a contracted MOT/PBX M-V3 of customer A
    key: str  # its device key
    bare_key: str  # device key of an uncontracted MOT/PBX S-V2 of the same customer


def _device(
    client: TestClient, keys: Keys, model: str, serial: str, contract: bool
) -> tuple[str, str]:
    vendor = auth(keys.vendor)
    r = client.post(
        "/v1/devices",
        headers=vendor,
        json={
            "customer_id": keys.customer_a,
            "model": model,
            "serial": serial,
            "install_date": "2019-01-10",
        },
    )
    assert r.status_code == 201, r.text
    device = r.json()["id"]
    if contract:
        r = client.post(
            f"/v1/devices/{device}/contracts", headers=vendor, json={"signed_date": "2019-04-01"}
        )
        assert r.status_code == 201, r.text
    r = client.post(
        "/v1/keys",
        headers=vendor,
        json={"role": "device", "customer_id": keys.customer_a, "device_id": device},
    )
    assert r.status_code == 201, r.text
    return device, r.json()["key"]


@pytest.fixture
def devices(client: TestClient, keys: Keys) -> Devices:
    device, key = _device(client, keys, "MOT/PBX M-V3", "R1", contract=True)
    _, bare_key = _device(client, keys, "MOT/PBX S-V2", "R2", contract=False)
    return Devices(id=device, key=key, bare_key=bare_key)


@pytest.fixture
def post(client: TestClient, app: FastAPI, devices: Devices) -> Post:
    """POST a file (as the contracted device unless ``key`` says otherwise); check the spool."""

    def send(
        data: bytes,
        *,
        filename: str = "call.wav",
        content_type: str = "audio/wav",
        key: str | None = devices.key,
        **fields: str | list[str],
    ) -> httpx.Response:
        headers = auth(key) if key is not None else {}
        response = client.post(
            ROUTE,
            headers=headers,
            data=fields,
            files={"file": (filename, data, content_type)},
        )
        spool = app.state.motmedia.settings.data_dir / "spool"
        left = sorted(p.name for p in spool.iterdir()) if spool.exists() else []
        assert left == [], f"spool not empty after HTTP {response.status_code}: {left}"
        return response

    return send


def wav(samples: np.ndarray, rate: int = RATE, codec: str = "pcm_s16le") -> bytes:
    buffer = io.BytesIO()
    write_wav(buffer, samples, rate, codec=codec)
    return buffer.getvalue()


def seconds(data: bytes) -> float:
    duration = probe(io.BytesIO(data)).duration
    assert duration is not None
    return duration


def telephone_wav(samples_16k: np.ndarray) -> bytes:
    """8 kHz μ-law WAV, as a PBX records it."""
    return wav(resample(samples_16k, RATE, 8_000), 8_000, codec="pcm_mulaw")


@pytest.fixture(scope="module")
def ja_call(voices: Voices) -> bytes:
    return telephone_wav(np.concatenate([silence(0.5), voices.ja(JA_TEXT), silence(0.7)]))


@pytest.fixture(scope="module")
def en_clip(voices: Voices) -> bytes:
    return wav(np.concatenate([silence(0.5), voices.en(EN_TEXT), silence(0.5)]))


@pytest.fixture(scope="module")
def stereo_call(voices: Voices) -> bytes:
    """Agent (right channel) greets first; the caller (left) answers after a pause."""
    agent, caller = voices.ja(AGENT_SAID), voices.ja(CALLER_SAID)
    lead, gap = int(0.5 * RATE), int(0.8 * RATE)
    samples = np.zeros((2, lead + len(agent) + gap + len(caller) + lead), np.float32)
    samples[1, lead : lead + len(agent)] = agent
    start = lead + len(agent) + gap
    samples[0, start : start + len(caller)] = caller
    return telephone_wav(samples)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["instance"] == ROUTE
    return body


def video_only() -> bytes:
    """A one-second MPEG-4 video with no audio track."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index, np.uint8), "rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


# --- refused before the model: bad input, authentication, entitlement -----------------------


def test_empty_file_is_415(post: Post) -> None:
    problem(post(b""), 415, "EMPTY_MEDIA")


def test_text_file_is_415(post: Post) -> None:
    problem(post(b"hello\n" * 200, filename="notes.wav"), 415, "UNREADABLE_MEDIA")


def test_video_without_audio_is_415(post: Post) -> None:
    problem(
        post(video_only(), filename="cam.mp4", content_type="video/mp4"), 415, "NO_AUDIO_STREAM"
    )


def test_too_many_channels_is_422(post: Post) -> None:
    body = problem(post(wav(np.zeros((12, 800), np.float32), 8_000)), 422, "TOO_MANY_CHANNELS")
    assert "12" in body["detail"]


def test_oversized_upload_is_413(post: Post, app: FastAPI) -> None:
    state = app.state.motmedia
    state.settings = state.settings.model_copy(update={"max_upload_bytes": 4_000})
    body = problem(post(wav(np.zeros(RATE, np.float32))), 413, "TOO_LARGE")
    assert body["limit"] == 4_000


def test_too_long_is_422(post: Post, app: FastAPI) -> None:
    state = app.state.motmedia
    state.settings = state.settings.model_copy(update={"max_audio_seconds": 2.0})
    body = problem(post(wav(np.zeros(3 * RATE, np.float32))), 422, "AUDIO_TOO_LONG")
    assert body["limit"] == 2.0


def test_unknown_granularity_is_422(post: Post) -> None:
    response = post(
        wav(np.zeros(RATE, np.float32)),
        response_format="verbose_json",
        **{"timestamp_granularities[]": ["word", "character"]},
    )
    body = problem(response, 422, "INVALID_GRANULARITY")
    assert "character" in body["detail"] and "word" not in body["detail"]


@pytest.mark.parametrize("fmt", ["xml", "JSON", "txt"])  # txt: the CLI's name, not the API's
def test_bad_response_format_is_422(post: Post, fmt: str) -> None:
    body = problem(
        post(wav(np.zeros(RATE, np.float32)), response_format=fmt), 422, "VALIDATION_FAILED"
    )
    assert body["errors"][0]["loc"][-1] == "response_format"


def test_language_too_long_is_422(post: Post) -> None:
    body = problem(
        post(wav(np.zeros(RATE, np.float32)), language="japanese!"), 422, "VALIDATION_FAILED"
    )
    assert body["errors"][0]["loc"][-1] == "language"


def test_missing_file_part_is_422(client: TestClient, devices: Devices) -> None:
    response = client.post(ROUTE, headers=auth(devices.key), data={"model": "whisper-1"})
    body = problem(response, 422, "VALIDATION_FAILED")
    assert any(e["loc"][-1] == "file" for e in body["errors"])


def test_no_key_is_401(post: Post) -> None:
    response = post(wav(np.zeros(RATE, np.float32)), key=None)
    problem(response, 401, "MISSING_KEY")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_key_is_401(post: Post) -> None:
    response = post(wav(np.zeros(RATE, np.float32)), key="mot_not-a-real-key")
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM


def test_uncontracted_device_is_403_no_contract(post: Post, devices: Devices) -> None:
    body = problem(post(wav(np.zeros(RATE, np.float32)), key=devices.bare_key), 403, "NO_CONTRACT")
    assert body["feature"] == "stt.transcribe"
    assert body["reason"]


def test_key_without_the_stt_scope_is_403(
    client: TestClient, keys: Keys, devices: Devices, post: Post
) -> None:
    r = client.post(
        "/v1/keys",
        headers=auth(keys.vendor),
        json={
            "role": "device",
            "customer_id": keys.customer_a,
            "device_id": devices.id,
            "scopes": ["recordings:read", "recordings:write"],
        },
    )
    assert r.status_code == 201, r.text
    body = problem(post(b"", key=r.json()["key"]), 403, "MISSING_SCOPE")
    assert body["scope"] == "stt"


def test_vendor_key_must_name_a_device(post: Post, keys: Keys) -> None:
    problem(post(wav(np.zeros(RATE, np.float32)), key=keys.vendor), 422, "DEVICE_REQUIRED")


# --- through the model ---------------------------------------------------------------------


@pytest.mark.slow
def test_json_japanese_telephone(post: Post, model_dir: Path, ja_call: bytes) -> None:
    response = post(ja_call)  # no language: detected

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"text", "language", "duration", "segments"}
    assert body["language"] == "ja"
    assert cer(JA_TEXT, body["text"]) <= JA_MAX_CER, body["text"]
    assert body["duration"] == pytest.approx(seconds(ja_call), abs=0.05)
    assert body["segments"] and all(s["party"] == "speaker" for s in body["segments"])
    assert all(s["words"] for s in body["segments"])  # word timestamps are always computed


@pytest.mark.slow
def test_text_japanese_telephone(post: Post, model_dir: Path, ja_call: bytes) -> None:
    response = post(ja_call, response_format="text", language="ja")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines and all(line.startswith("speaker: ") for line in lines)
    spoken = "".join(line.removeprefix("speaker: ") for line in lines)
    assert cer(JA_TEXT, spoken) <= JA_MAX_CER, spoken


_SRT_CUE = re.compile(
    r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n([^\n]+)\n"
)
_VTT_CUE = re.compile(
    r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n([^\n]+)\n"
)


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


@pytest.mark.slow
def test_srt_japanese_telephone(post: Post, model_dir: Path, ja_call: bytes) -> None:
    response = post(ja_call, response_format="srt", language="ja")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-subrip; charset=utf-8"
    blocks = response.text.strip("\n").split("\n\n")
    cues = [_SRT_CUE.fullmatch(block + "\n") for block in blocks]
    assert cues and all(cues), response.text
    duration = seconds(ja_call)
    previous = 0.0
    spoken = ""
    for number, cue in enumerate(cues, start=1):
        assert cue is not None
        assert int(cue.group(1)) == number
        start, end = _seconds(*cue.group(2, 3, 4, 5)), _seconds(*cue.group(6, 7, 8, 9))
        assert previous <= start < end <= duration + 0.05
        previous = start
        assert cue.group(10).startswith("speaker: ")
        spoken += cue.group(10).removeprefix("speaker: ")
    assert cer(JA_TEXT, spoken) <= JA_MAX_CER, spoken


@pytest.mark.slow
def test_vtt_japanese_telephone(post: Post, model_dir: Path, ja_call: bytes) -> None:
    response = post(ja_call, response_format="vtt", language="ja")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/vtt; charset=utf-8"
    assert response.text.startswith("WEBVTT\n\n")
    cues = list(_VTT_CUE.finditer(response.text))
    assert cues, response.text
    spoken = ""
    for cue in cues:
        assert _seconds(*cue.group(1, 2, 3, 4)) < _seconds(*cue.group(5, 6, 7, 8))
        assert cue.group(9).startswith("<v speaker>")
        spoken += cue.group(9).removeprefix("<v speaker>")
    assert cer(JA_TEXT, spoken) <= JA_MAX_CER, spoken


@pytest.mark.slow
def test_verbose_json_with_words_japanese(post: Post, model_dir: Path, ja_call: bytes) -> None:
    response = post(
        ja_call,
        response_format="verbose_json",
        language="ja",
        **{"timestamp_granularities[]": ["word"]},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["task"] == "transcribe" and body["language"] == "ja"
    assert "segments" not in body  # only the granularities asked for, as OpenAI does
    words = body["words"]
    assert len(words) >= 5
    duration = body["duration"]
    for word in words:
        assert 0.0 <= word["start"] <= word["end"] <= duration + 0.05
        assert word["party"] == "speaker"
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    assert cer(JA_TEXT, "".join(w["word"] for w in words)) <= JA_MAX_CER
    assert body["metrics"]["rate_unit"] == "characters"
    assert body["metrics"]["parties"][0]["talk_seconds"] > 1.0


@pytest.mark.slow
def test_verbose_json_english_words_and_segments(
    post: Post, model_dir: Path, en_clip: bytes
) -> None:
    response = post(
        en_clip,
        response_format="verbose_json",
        **{"timestamp_granularities[]": ["word", "segment"]},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "en"
    assert wer(EN_TEXT, body["text"]) <= EN_MAX_WER, body["text"]
    assert [s["id"] for s in body["segments"]] == list(range(len(body["segments"])))
    assert all(s["party"] == "speaker" and s["channel"] == 0 for s in body["segments"])
    assert wer(EN_TEXT, " ".join(w["word"] for w in body["words"])) <= EN_MAX_WER
    assert body["metrics"]["rate_unit"] == "words"


@pytest.mark.slow
@pytest.mark.parametrize("parties", [("caller", "agent"), ("customer", "staff")])
def test_stereo_parties_in_dialogue_order(
    post: Post, model_dir: Path, stereo_call: bytes, parties: tuple[str, str]
) -> None:
    left, right = parties  # channel 0 is the caller's side, channel 1 the agent's
    response = post(
        stereo_call, response_format="verbose_json", language="ja", parties=",".join(parties)
    )

    assert response.status_code == 200, response.text
    segments = response.json()["segments"]
    order = [s["party"] for s in segments]
    turns = [p for i, p in enumerate(order) if i == 0 or order[i - 1] != p]
    assert turns == [right, left]  # the agent (right channel) spoke first
    assert {s["channel"] for s in segments if s["party"] == left} == {0}
    assert {s["channel"] for s in segments if s["party"] == right} == {1}
    said = {p: "".join(s["text"] for s in segments if s["party"] == p) for p in parties}
    assert cer(CALLER_SAID, said[left]) <= JA_MAX_CER, said
    assert cer(AGENT_SAID, said[right]) <= JA_MAX_CER, said
    text = post(stereo_call, response_format="text", language="ja", parties=",".join(parties))
    assert text.text.startswith(f"{right}: ") and f"\n{left}: " in text.text


@pytest.mark.slow
def test_refusals_that_need_the_model(post: Post, model_dir: Path, stereo_call: bytes) -> None:
    problem(post(stereo_call, parties="agent,agent"), 422, "BAD_PARTIES")
    problem(post(stereo_call, language="xx"), 422, "UNSUPPORTED_LANGUAGE")


# --- the mounted CLI command ----------------------------------------------------------------


def _cli(stt_data_dir: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from motmedia.cli import app

    monkeypatch.setenv("MOTMEDIA_DATA_DIR", str(stt_data_dir))
    monkeypatch.setenv("MOTMEDIA_STT_DEVICE", "cpu")
    monkeypatch.setenv("MOTMEDIA_STT_COMPUTE_TYPE", "int8")
    return CliRunner().invoke(app, list(args))


def test_cli_transcribe_is_mounted_on_motmedia(
    stt_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _cli(stt_data_dir, monkeypatch, "--help")
    assert result.exit_code == 0 and "transcribe" in result.stdout
    result = _cli(stt_data_dir, monkeypatch, "transcribe", "--help")
    assert result.exit_code == 0
    for option in ("--language", "--format", "--parties", "--hotword", "--output-dir"):
        assert option in result.stdout


def test_cli_transcribe_bad_file(
    stt_data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    result = _cli(stt_data_dir, monkeypatch, "transcribe", str(tmp_path / "empty.wav"))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("(EMPTY_MEDIA)") and result.stdout == ""


@pytest.mark.slow
def test_cli_transcribe_json(
    stt_data_dir: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    ja_call: bytes,
) -> None:
    (tmp_path / "call.wav").write_bytes(ja_call)
    result = _cli(
        stt_data_dir,
        monkeypatch,
        "transcribe",
        "-f",
        "json",
        "-l",
        "ja",
        str(tmp_path / "call.wav"),
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["language"] == "ja" and document["parties"] == ["speaker"]
    assert cer(JA_TEXT, "".join(s["text"] for s in document["segments"])) <= JA_MAX_CER
    assert document["metrics"]["rate_unit"] == "characters"
