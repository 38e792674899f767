"""The prompt library as an Asterisk-style sounds folder in a zip.

Layout: ``<lang>/<name>.<ext>`` for every prompt in the four formats Asterisk plays
without transcoding surprises (``.wav`` 8 kHz 16-bit PCM, ``.ulaw``, ``.alaw``, ``.sln16``),
plus ``manifest.json``: the formats, every prompt with its text, source (slot or menu),
check result and the SHA-256 of each file, the slots, and the IVR tree. Unpacked under
``/var/lib/asterisk/sounds/``, ``Playback(ivr-main)`` finds ``ja/ivr-main.*`` for a channel
whose language is ``ja``.

The archive is deterministic (fixed entry times, sorted entries, no export timestamp), so
the same library always gives the same bytes and the same ETag.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from motmedia.media.encode import FORMATS
from motmedia.prompts.intelligibility import flagged
from motmedia.prompts.ivr import options_of
from motmedia.prompts.models import IvrMenu, MessageSlot
from motmedia.prompts.rendering import PromptSpec, menu_row_prompts, render_many, slot_prompt
from motmedia.tts.render import Renderer, RenderResult

__all__ = ["EXPORT_FORMATS", "Library", "build_zip", "library_of"]

# File extension in the folder → format rendered. Asterisk's ".wav" is 8 kHz signed linear.
EXPORT_FORMATS = {"wav": "wav8k", "ulaw": "ulaw", "alaw": "alaw", "sln16": "sln16"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class Library:
    """What is exported, read out of the database (plain data: no session needed later)."""

    device_id: str
    prompts: list[tuple[PromptSpec, dict[str, Any]]] = field(default_factory=list)
    slots: list[dict[str, Any]] = field(default_factory=list)
    ivr: dict[str, Any] | None = None


def library_of(device_id: str, slots: Sequence[MessageSlot], menus: Sequence[IvrMenu]) -> Library:
    library = Library(device_id)
    for slot in slots:
        spec = slot_prompt(slot)
        library.prompts.append((spec, {"type": "slot", "slot": slot.slot, "kind": slot.kind}))
        library.slots.append(
            {"slot": slot.slot, "kind": slot.kind, "prompt": spec.name, "cer": slot.cer}
        )
    if menus:
        root = next(m for m in menus if m.is_root)
        entries = []
        for row in menus:
            specs = menu_row_prompts(row)
            for spec in specs:
                library.prompts.append((spec, {"type": "menu", "menu": row.name}))
            entries.append(
                {
                    "name": row.name,
                    "options": options_of(row),
                    "timeout_s": row.timeout_s,
                    "prompts": {s.role: s.name for s in specs},
                    "cer": row.cer,
                }
            )
        library.ivr = {"root": root.name, "menus": entries}
    return library


def _entry(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=_EPOCH)
    info.external_attr = 0o644 << 16
    return info


def _zip(library: Library, renders: Mapping[tuple[str, str], RenderResult]) -> bytes:
    files: dict[str, bytes] = {}
    prompts = []
    for spec, source in library.prompts:
        entry: dict[str, Any] = {
            "name": spec.name,
            "language": spec.language,
            "role": spec.role,
            "text": spec.text,
            "ssml": spec.ssml,
            "voice": renders[(spec.name, "wav8k")].voice,
            "source": source,
            "files": {},
        }
        for ext, fmt in EXPORT_FORMATS.items():
            path = f"{spec.language}/{spec.name}.{ext}"
            data = renders[(spec.name, fmt)].data
            files[path] = data
            entry["files"][ext] = {
                "path": path,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        prompts.append(entry)
    for slot in library.slots:
        slot["cer_flagged"] = flagged(slot["cer"])
    manifest = {
        "manifest_version": 1,
        "device_id": library.device_id,
        "layout": "<language>/<name>.<extension>",
        "formats": {
            ext: {
                "format": name,
                "sample_rate": FORMATS[name].sample_rate,
                "codec": FORMATS[name].codec,
                "container": FORMATS[name].container,
            }
            for ext, name in EXPORT_FORMATS.items()
        },
        "prompts": prompts,
        "slots": library.slots,
        "ivr": library.ivr,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # Audio is already dense (G.711, PCM); deflating it saves little and costs CPU.
        for path in sorted(files):
            archive.writestr(_entry(path), files[path], compress_type=zipfile.ZIP_STORED)
        body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        archive.writestr(_entry("manifest.json"), body, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


async def build_zip(
    *, renderer: Renderer, library: Library, dictionary: Mapping[str, str] | None
) -> bytes:
    """Render every prompt in every export format (cache first) and pack the archive.

    Renders run on the renderer's pool; the archive is packed on a worker thread (hashing
    and copying a few MB), so the event loop only waits.
    """
    renders = await render_many(
        renderer,
        [spec for spec, _ in library.prompts],
        formats=list(EXPORT_FORMATS.values()),
        dictionary=dictionary,
    )
    return await anyio.to_thread.run_sync(_zip, library, renders)
