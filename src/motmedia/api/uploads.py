"""Spooling request bodies and uploaded files to disk under a size limit.

The limit is enforced while the bytes arrive, so an oversized upload costs at most
``max_bytes`` of disk and is refused (413) before anything is kept. The spool file is
private to the request and removed by the caller (or on error here).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from starlette.datastructures import UploadFile

from motmedia.errors import PayloadTooLarge

__all__ = ["spool_stream", "spool_upload"]

CHUNK = 1024 * 1024


def _new_spool(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    os.close(fd)
    return Path(name)


async def spool_stream(chunks: AsyncIterator[bytes], *, max_bytes: int, directory: Path) -> Path:
    path = await anyio.to_thread.run_sync(_new_spool, directory)
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"The upload exceeds the limit of {max_bytes} bytes.", limit=max_bytes
                    )
                await out.write(chunk)
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    return path


async def _iter_upload(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


async def spool_upload(upload: UploadFile, *, max_bytes: int, directory: Path) -> Path:
    """Copy a multipart file part to a private spool file (the part is already parsed)."""
    if upload.size is not None and upload.size > max_bytes:
        raise PayloadTooLarge(
            f"The upload exceeds the limit of {max_bytes} bytes.", limit=max_bytes
        )
    return await spool_stream(_iter_upload(upload), max_bytes=max_bytes, directory=directory)
