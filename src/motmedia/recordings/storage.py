"""Recordings at rest: AES-256-GCM in independently sealed chunks.

Layout of a stored file::

    magic "MOTREC1\\0" | base nonce (8) | chunk size (4) | plaintext size (8)
    chunk 0: ciphertext + tag (16) | chunk 1 | ...

Each chunk has its own nonce (base nonce ‖ 32-bit counter) and binds, as associated
data, the recording id, its index and whether it is the last one, so chunks cannot be
swapped, reordered, truncated or moved to another recording without failing
authentication. Chunking lets a 500 MB upload be sealed as it streams and lets an HTTP
range request decrypt only the chunks it needs. The path is derived from ids only;
an uploaded file name never becomes part of a path.
"""

from __future__ import annotations

import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from motmedia.errors import MotMediaError

__all__ = ["AudioStore", "CorruptRecording"]

MAGIC = b"MOTREC1\0"
HEADER = struct.Struct(">8s8sIQ")
CHUNK = 1024 * 1024
TAG = 16


class CorruptRecording(MotMediaError):
    status = 500
    code = "RECORDING_CORRUPT"
    title = "The stored recording cannot be decrypted"


class AudioStore:
    def __init__(self, root: Path, key: bytes) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("the storage key must be 16, 24 or 32 bytes")
        self.root = root
        self._aead = AESGCM(key)

    def path(self, customer_id: str, recording_id: str) -> Path:
        # Ids are UUIDs we generated; checked anyway so a path can never escape the root.
        for part in (customer_id, recording_id):
            if not part or any(c not in "0123456789abcdef-" for c in part):
                raise ValueError("ids must be UUIDs")
        return self.root / customer_id / recording_id[:2] / f"{recording_id}.mra"

    def _aad(self, recording_id: str, index: int, last: bool) -> bytes:
        return f"{recording_id}:{index}:{int(last)}".encode()

    def put(self, customer_id: str, recording_id: str, source: BinaryIO) -> int:
        """Seal ``source`` into the store (atomically: temp file, then rename); return its size."""
        target = self.path(customer_id, recording_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        base = secrets.token_bytes(8)
        size = 0
        with tmp.open("wb") as out:
            out.write(HEADER.pack(MAGIC, base, CHUNK, 0))
            index = 0
            chunk = source.read(CHUNK)
            while True:
                following = source.read(CHUNK) if chunk else b""
                last = not following
                nonce = base + struct.pack(">I", index)
                out.write(self._aead.encrypt(nonce, chunk, self._aad(recording_id, index, last)))
                size += len(chunk)
                if last:
                    break
                chunk, index = following, index + 1
            out.seek(0)
            out.write(HEADER.pack(MAGIC, base, CHUNK, size))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        return size

    def size(self, customer_id: str, recording_id: str) -> int:
        with self.path(customer_id, recording_id).open("rb") as fh:
            return self._header(fh)[2]

    def _header(self, fh: BinaryIO) -> tuple[bytes, int, int]:
        magic, base, chunk, size = HEADER.unpack(fh.read(HEADER.size))
        if magic != MAGIC:
            raise CorruptRecording("The stored file is not a sealed recording.")
        return base, chunk, size

    def read(
        self, customer_id: str, recording_id: str, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Plaintext bytes ``[start, end)``, decrypting only the chunks that hold them."""
        with self.path(customer_id, recording_id).open("rb") as fh:
            base, chunk, size = self._header(fh)
            end = size if end is None else min(end, size)
            if start >= end:
                return
            chunks = max(1, -(-size // chunk))
            first, last = start // chunk, (end - 1) // chunk
            for index in range(first, last + 1):
                fh.seek(HEADER.size + index * (chunk + TAG))
                sealed = fh.read(chunk + TAG)
                nonce = base + struct.pack(">I", index)
                try:
                    plain = self._aead.decrypt(
                        nonce, sealed, self._aad(recording_id, index, index == chunks - 1)
                    )
                except InvalidTag as exc:
                    raise CorruptRecording(f"Chunk {index} fails authentication.") from exc
                lo = start - index * chunk if index == first else 0
                hi = end - index * chunk if index == last else len(plain)
                yield plain[lo:hi]

    def delete(self, customer_id: str, recording_id: str) -> None:
        self.path(customer_id, recording_id).unlink(missing_ok=True)
