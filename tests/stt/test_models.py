"""Model resolution: the bundled base assembled once and safely, paths, names offline."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from motmedia.errors import ServiceUnavailable
from motmedia.stt import models
from motmedia.stt.models import (
    BUNDLED_MODEL_SHA256,
    ensure_bundled_model,
    load_model,
    resolve_compute_type,
    resolve_device,
    resolve_model_path,
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_bundled_model_is_assembled_and_verified(tmp_path: Path) -> None:
    target = ensure_bundled_model(tmp_path)

    assert target == tmp_path / "models" / "whisper-base"
    assert {p.name for p in target.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    assert sha256(target / "model.bin") == BUNDLED_MODEL_SHA256
    assert not list(target.parent.glob(".whisper-base.*/"))  # no staging dirs left behind


def test_second_call_reuses_the_copy(tmp_path: Path) -> None:
    target = ensure_bundled_model(tmp_path)
    before = (target / "model.bin").stat().st_mtime_ns

    assert ensure_bundled_model(tmp_path) == target
    assert (target / "model.bin").stat().st_mtime_ns == before


def test_incomplete_copy_is_replaced(tmp_path: Path) -> None:
    broken = tmp_path / "models" / "whisper-base"
    broken.mkdir(parents=True)
    (broken / "model.bin").write_bytes(b"half a model")  # no marker: a crash or tampering

    target = ensure_bundled_model(tmp_path)

    assert sha256(target / "model.bin") == BUNDLED_MODEL_SHA256


def test_two_processes_starting_together(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from motmedia.stt.models import ensure_bundled_model; "
        "print(ensure_bundled_model(Path(sys.argv[1])))"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0].strip() for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0]
    assert outputs[0] == outputs[1] == str(tmp_path / "models" / "whisper-base")
    assert sha256(Path(outputs[0]) / "model.bin") == BUNDLED_MODEL_SHA256
    leftovers = [p.name for p in (tmp_path / "models").iterdir()]
    assert sorted(leftovers) == [".whisper-base.lock", "whisper-base"]


def test_default_and_aliases_resolve_to_bundled(tmp_path: Path) -> None:
    for spec in (None, "base", "whisper-base"):
        name, path = resolve_model_path(spec, data_dir=tmp_path)
        assert (name, path) == ("whisper-base", tmp_path / "models" / "whisper-base")


def test_explicit_directory(tmp_path: Path) -> None:
    bundled = ensure_bundled_model(tmp_path)
    assert resolve_model_path(str(bundled), data_dir=tmp_path / "other") == (
        "whisper-base",
        bundled,
    )


def test_directory_without_model(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        resolve_model_path(str(tmp_path), data_dir=tmp_path)
    assert caught.value.code == "MODEL_NOT_FOUND"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        resolve_model_path(str(tmp_path / "models" / "nope"), data_dir=tmp_path)
    assert caught.value.code == "MODEL_NOT_FOUND"


def test_name_without_hub_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No network here; HF_HUB_OFFLINE makes the test independent of how that fails.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ServiceUnavailable) as caught:
        resolve_model_path("large-v3", data_dir=tmp_path)
    assert caught.value.code == "MODEL_UNAVAILABLE"
    assert "large-v3" in caught.value.detail and "bundled" in caught.value.detail


def test_unreachable_hub_is_detected_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://127.0.0.1:9")  # discard port: refused at once
    assert models._hub_reachable() is False


def test_device_and_compute_type() -> None:
    import ctranslate2

    has_gpu = ctranslate2.get_cuda_device_count() > 0
    assert resolve_device("auto") == ("cuda" if has_gpu else "cpu")
    assert resolve_device("cpu") == "cpu"
    if not has_gpu:
        with pytest.raises(ServiceUnavailable):
            resolve_device("cuda")
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("int8_float32", "cpu") == "int8_float32"


@pytest.mark.slow
def test_model_is_loaded_once_per_process(
    stt_data_dir: Path, speech_model: models.SpeechModel
) -> None:
    again = load_model(data_dir=stt_data_dir, device="cpu", compute_type="int8")

    assert again.whisper is speech_model.whisper
    assert (again.name, again.device, again.compute_type) == ("whisper-base", "cpu", "int8")
