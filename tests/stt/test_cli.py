"""``motmedia transcribe`` through Typer's runner, mounted the way the main CLI mounts it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import typer
from typer.testing import CliRunner, Result

from motmedia.media import write_wav
from motmedia.stt import cli

RATE = 16_000


@pytest.fixture
def run(stt_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # The session's data dir: the bundled model is assembled once and the loader cache hits.
    monkeypatch.setenv("MOTMEDIA_DATA_DIR", str(stt_data_dir))
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """A stand-in for motmedia's root command."""

    root.add_typer(cli.app)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(root, ["transcribe", *args])

    yield invoke


def video_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index, np.uint8), "rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def assert_one_line_failure(result: Result, code: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith(f"({code})")
    assert result.stdout == ""


def test_empty_file(run: Any, tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    assert_one_line_failure(run(str(tmp_path / "empty.wav")), "EMPTY_MEDIA")


def test_text_file(run: Any, tmp_path: Path) -> None:
    # Named .wav as an upload would be; a .txt name makes FFmpeg try its ANSI-art demuxer.
    (tmp_path / "upload.wav").write_text("hello\n" * 100)
    assert_one_line_failure(run(str(tmp_path / "upload.wav")), "UNREADABLE_MEDIA")


def test_video_without_audio(run: Any, tmp_path: Path) -> None:
    assert_one_line_failure(run(str(video_only(tmp_path / "cam.mp4"))), "NO_AUDIO_STREAM")


def test_too_many_channels(run: Any, tmp_path: Path) -> None:
    write_wav(tmp_path / "many.wav", np.zeros((12, 800), np.float32), 8_000)
    assert_one_line_failure(run(str(tmp_path / "many.wav")), "TOO_MANY_CHANNELS")


def test_too_large(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTMEDIA_MAX_UPLOAD_BYTES", "1000")
    write_wav(tmp_path / "big.wav", np.zeros(RATE, np.float32), RATE)
    assert_one_line_failure(run(str(tmp_path / "big.wav")), "TOO_LARGE")


def test_too_long(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTMEDIA_MAX_AUDIO_SECONDS", "2")
    write_wav(tmp_path / "long.wav", np.zeros(3 * RATE, np.float32), RATE)
    assert_one_line_failure(run(str(tmp_path / "long.wav")), "AUDIO_TOO_LONG")


def test_missing_file(run: Any, tmp_path: Path) -> None:
    assert_one_line_failure(run(str(tmp_path / "nowhere.wav")), "FILE_NOT_FOUND")


def test_unavailable_model(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    write_wav(tmp_path / "a.wav", np.zeros(RATE, np.float32), RATE)
    assert_one_line_failure(
        run("--model", "large-v3", str(tmp_path / "a.wav")), "MODEL_UNAVAILABLE"
    )


# --- successful runs (load the bundled model) ---------------------------------------------


@pytest.fixture(scope="module")
def call_wav(voices: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    caller = np.concatenate([np.zeros(RATE // 2, np.float32), voices.ja("もしもし、山田です。")])
    agent = voices.ja("はい、お世話になっております。")
    samples = np.zeros((2, len(caller) + RATE + len(agent) + RATE // 2), np.float32)
    samples[0, : len(caller)] = caller
    samples[1, len(caller) + RATE : len(caller) + RATE + len(agent)] = agent
    path = tmp_path_factory.mktemp("cli") / "call.wav"
    write_wav(path, samples, RATE, codec="pcm_mulaw")
    return path


@pytest.mark.slow
def test_json_to_a_directory(run: Any, call_wav: Path, tmp_path: Path) -> None:
    result = run("-f", "json", "-o", str(tmp_path / "out"), "--language", "ja", str(call_wav))

    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "call.json").read_text(encoding="utf-8"))
    parties = [s["party"] for s in document["segments"]]
    assert [p for i, p in enumerate(parties) if i == 0 or parties[i - 1] != p] == [
        "caller",
        "agent",
    ]
    assert document["metrics"]["rate_unit"] == "characters"
    assert document["language"] == "ja"


@pytest.mark.slow
def test_text_to_stdout_with_parties_and_a_bad_neighbour(
    run: Any, call_wav: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")

    result = run("--parties", "customer,staff", str(tmp_path / "empty.wav"), str(call_wav))

    assert result.exit_code == 2  # one file failed, the other was still transcribed
    assert result.stderr.count("\n") == 1 and "EMPTY_MEDIA" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"==> {call_wav} <=="
    assert lines[1].startswith("customer: ") and any(x.startswith("staff: ") for x in lines)
