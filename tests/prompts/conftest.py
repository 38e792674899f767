"""Prompt-library fixtures: a fleet of devices, and settings whose STT model suits the test.

Tests marked ``slow`` get the real bundled Whisper model (assembled once per session), so
the round-trip check runs for real. Other tests point the model setting at a directory that
does not exist: their checks fail at once (status ``failed``) instead of spending CPU on
transcriptions nobody looks at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from motmedia.config import Settings, ensure_secrets
from motmedia.stt.models import ensure_bundled_model

from ..conftest import Keys
from .helpers import Fleet, make_fleet


@pytest.fixture(scope="session")
def stt_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_bundled_model(tmp_path_factory.mktemp("prompts-stt"))


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    slow = request.node.get_closest_marker("slow") is not None
    # Non-slow tests point at a missing model: their checks end "failed" at once.
    model = str(request.getfixturevalue("stt_model_dir")) if slow else str(tmp_path / "no-model")
    # CPU and int8 whatever the machine, so measured error rates stay comparable.
    return ensure_secrets(
        Settings(
            data_dir=tmp_path / "var",
            database_url=database_url,
            stt_model=model,
            stt_device="cpu",
            stt_compute_type="int8",
        )
    )


@pytest.fixture
def fleet(client: TestClient, keys: Keys) -> Fleet:
    return make_fleet(client, keys)
