"""Encrypted chunked storage: round trips, ranges, and refusal of tampered files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motmedia.recordings.storage import CHUNK, AudioStore, CorruptRecording

C = "11111111-1111-1111-1111-111111111111"
R = "22222222-2222-2222-2222-222222222222"
R2 = "33333333-3333-3333-3333-333333333333"


@pytest.fixture
def store(tmp_path: Path) -> AudioStore:
    return AudioStore(tmp_path, os.urandom(32))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_round_trip_and_no_plaintext_on_disk(store: AudioStore, size: int) -> None:
    data = os.urandom(size)
    assert store.put(C, R, io.BytesIO(data)) == size
    assert b"".join(store.read(C, R)) == data
    assert store.size(C, R) == size
    raw = store.path(C, R).read_bytes()
    if size >= 32:
        assert data[:32] not in raw and data[-32:] not in raw


@settings(max_examples=40, deadline=None)
@given(start=st.integers(0, 2 * CHUNK + 10), length=st.integers(0, CHUNK + 20))
def test_ranges(tmp_path_factory: pytest.TempPathFactory, start: int, length: int) -> None:
    store = AudioStore(tmp_path_factory.mktemp("ranges"), b"k" * 32)
    data = bytes(range(256)) * ((2 * CHUNK + 10) // 256 + 1)
    data = data[: 2 * CHUNK + 10]
    store.put(C, R, io.BytesIO(data))
    assert b"".join(store.read(C, R, start, start + length)) == data[start : start + length]


def test_tampering_is_detected(store: AudioStore) -> None:
    store.put(C, R, io.BytesIO(os.urandom(2 * CHUNK + 5)))
    path = store.path(C, R)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptRecording):
        b"".join(store.read(C, R))


def test_chunks_are_bound_to_their_recording(store: AudioStore) -> None:
    store.put(C, R, io.BytesIO(b"a" * 1000))
    store.put(C, R2, io.BytesIO(b"b" * 1000))
    store.path(C, R2).write_bytes(store.path(C, R).read_bytes())  # moved to another id
    with pytest.raises(CorruptRecording):
        b"".join(store.read(C, R2))


def test_truncation_is_detected(store: AudioStore) -> None:
    store.put(C, R, io.BytesIO(os.urandom(2 * CHUNK + 5)))
    path = store.path(C, R)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - (5 + 16)])  # drop the last chunk
    with pytest.raises(CorruptRecording):
        b"".join(store.read(C, R))


def test_wrong_key_fails(tmp_path: Path) -> None:
    AudioStore(tmp_path, b"a" * 32).put(C, R, io.BytesIO(b"secret audio"))
    with pytest.raises(CorruptRecording):
        b"".join(AudioStore(tmp_path, b"b" * 32).read(C, R))


def test_paths_come_from_ids_only(store: AudioStore) -> None:
    with pytest.raises(ValueError):
        store.path(C, "../../etc/passwd")
