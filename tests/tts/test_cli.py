"""``motmedia say``: writes a playable file; bad input is one line and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from motmedia.media.encode import FORMATS
from motmedia.tts.cli import app, format_for_path

from .helpers import decode

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTMEDIA_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_say_writes_the_format_of_the_suffix(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "hello.ulaw"
    result = CliRunner().invoke(app, ["say", "お電話ありがとうございます。", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "ulaw" in result.stdout
    decoded = decode(out.read_bytes(), FORMATS["ulaw"])
    assert decoded.sample_rate == 8000 and len(decoded.samples) > 8000
    assert list((data_dir / "tts-cache").rglob("*.ulaw"))
    again = CliRunner().invoke(app, ["say", "お電話ありがとうございます。", "-o", str(out)])
    assert "from cache" in again.stdout


def test_say_with_options_and_dictionary(tmp_path: Path) -> None:
    words = tmp_path / "words.tsv"
    words.write_text("# tenant words\n山田\tやまだ\n", encoding="utf-8")
    out = tmp_path / "x.bin"
    result = CliRunner().invoke(
        app,
        ["say", '<speak>担当は山田です。<break time="300ms"/></speak>', "-o", str(out),
         "--ssml", "--format", "wav8k", "--speed", "1.2", "--pitch", "1",
         "--dictionary", str(words), "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert decode(out.read_bytes(), FORMATS["wav8k"]).sample_rate == 8000


def test_stdin(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    result = CliRunner().invoke(app, ["say", "-", "-o", str(out)], input="はい。")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"RIFF")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["<speak><audio/></speak>", "--ssml"], "INVALID_SSML"),
        (["はい", "--format", "flac"], "UNKNOWN_FORMAT"),
        (["はい", "--speed", "9"], "INVALID_OPTION"),
        (["はい", "--voice", "fr"], "UNKNOWN_VOICE"),
        (["。"], "EMPTY_TEXT"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], code: str) -> None:
    out = tmp_path / "x.wav"
    result = CliRunner().invoke(app, ["say", *args, "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"({code})" in lines[0]
    assert not out.exists()


def test_voices_lists_japanese() -> None:
    result = CliRunner().invoke(app, ["voices"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ja_JP-mei-normal\tja-JP\topenjtalk\t48000 Hz")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.wav", "wav"), ("a.ULAW", "ulaw"), ("a.alaw", "alaw"), ("a.sln16", "sln16"),
     ("a.mp3", "mp3"), ("a.ogg", "opus"), ("a.opus", "opus"), ("a", "wav")],
)  # fmt: skip
def test_format_for_path(name: str, fmt: str) -> None:
    assert format_for_path(Path(name)) == fmt
