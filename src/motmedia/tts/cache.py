"""Content-addressed prompt cache on disk: ``<data_dir>/tts-cache/<2 hex>/<sha256><ext>``.

The key is the SHA-256 of everything that decides the bytes (engine and its version, voice,
the spoken plan, options, format), so identical requests hit and any change misses; nothing
ever needs invalidating. Writes go to a temporary file in the same directory, are flushed to
disk, then renamed over the final name, so a reader sees either no file or a complete one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PromptCache", "cache_key"]


def cache_key(parts: dict[str, Any]) -> str:
    """SHA-256 hex of ``parts`` as canonical JSON (sorted keys, no whitespace, UTF-8)."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class PromptCache:
    """Stores rendered prompts by key. Safe across threads and processes sharing the folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str, extension: str) -> Path:
        """Where the prompt for ``key`` lives; the 2-character fan-out keeps folders small."""
        return self.root / key[:2] / f"{key}{extension}"

    def get(self, key: str, extension: str) -> bytes | None:
        """The cached bytes, or ``None``; an empty file (a crash mid-write) counts as a miss."""
        try:
            data = self.path(key, extension).read_bytes()
        except FileNotFoundError:
            return None
        return data or None

    def put(self, key: str, extension: str, data: bytes) -> Path:
        """Store ``data`` atomically; concurrent writers of one key each write whole files."""
        final = self.path(key, extension)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return final
