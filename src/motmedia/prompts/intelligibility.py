"""The round-trip check: transcribe a rendered prompt and score it against what it should say.

An administrator writes prompts as text and rarely listens to all of them; a reading rule
that goes wrong, or a name the engine cannot say, produces audio a caller cannot follow.
Every prompt is therefore transcribed back with the STT pipeline (the 16 kHz render, the
process's one Whisper model) and scored with a character error rate.

The score compares **readings**, not spellings. Whisper writes 9時 where the prompt said
９：００ and 一 where it said 1; both read the same, and neither is an error a caller would
hear. For Japanese, the expected reading is the renderer's spoken plan (reading rules and
the tenant dictionary already applied) and the heard text goes through the same reading
rules and dictionary; both are then turned into katakana by Open JTalk's front end and
compared kana by kana. English compares lower-case letters and digits.

Checks run on one background thread per process (:class:`PromptChecker`): inference never
touches the event loop, at most one model inference of this kind runs at a time, and the
request that saved the prompt does not wait for it.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyopenjtalk
from pyopenjtalk.openjtalk import OpenJTalk
from sqlalchemy import update

from motmedia.config import Settings
from motmedia.db import Database, utcnow
from motmedia.errors import MotMediaError
from motmedia.media.decode import decode
from motmedia.prompts.models import IvrMenu, MessageSlot
from motmedia.stt.models import SpeechModel, load_model_from_settings
from motmedia.stt.pipeline import TranscribeOptions, transcribe
from motmedia.tts.reading import normalize

__all__ = [
    "CER_THRESHOLD",
    "CheckJob",
    "PromptAudio",
    "PromptCheck",
    "PromptChecker",
    "character_error_rate",
    "check_details",
    "check_prompt",
    "flagged",
    "reading",
]

log = logging.getLogger("motmedia.prompts")

# Above this a prompt is flagged: about every third sound heard wrong. Clear business
# prompts rendered by Open JTalk and heard by the bundled Whisper base score 0-0.19 (mean
# 0.07; benchmarks/results/prompts-roundtrip.json), the rest being the small model's own
# slips; gibberish scores well above 0.3.
CER_THRESHOLD = 0.3
_KANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
_local = threading.local()


def _jtalk() -> OpenJTalk:
    # The module-global front end of pyopenjtalk is shared with whoever else calls g2p;
    # a private one per thread needs no lock.
    jtalk: OpenJTalk | None = getattr(_local, "jtalk", None)
    if jtalk is None:
        jtalk = OpenJTalk(dn_mecab=pyopenjtalk.OPEN_JTALK_DICT_DIR)
        _local.jtalk = jtalk
    return jtalk


def reading(text: str, *, language: str, spoken: bool = False,
            dictionary: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """What ``text`` sounds like, for comparison: katakana (Japanese) or letters (English).

    ``spoken``: ``text`` is already the renderer's spoken form, so the reading rules and the
    dictionary are not applied again.
    """
    if language.startswith("ja"):
        if not spoken:
            text = normalize(text, dictionary)
        kana = pyopenjtalk.g2p(text, kana=True, jtalk=_jtalk()) if text.strip() else ""
        return "".join(_KANA.findall(str(kana)))
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^a-z0-9']+", " ", folded).split())


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over ``len(reference)``; 1.0 when either side is empty.

    One row of the dynamic programme at a time in numpy: substitutions and deletions are
    elementwise, and insertions (a dependency along the row) become a running minimum of
    ``row[j] - j``.
    """
    if not reference or not hypothesis:
        return 0.0 if reference == hypothesis else 1.0
    ref = np.frombuffer(reference.encode("utf-32-le"), dtype=np.uint32)
    hyp = np.frombuffer(hypothesis.encode("utf-32-le"), dtype=np.uint32)
    cols = np.arange(len(hyp) + 1, dtype=np.int64)
    row = cols.copy()
    for i, char in enumerate(ref, start=1):
        diagonal = row[:-1] + (hyp != char)
        down = row[1:] + 1
        new = np.empty_like(row)
        new[0] = i
        new[1:] = np.minimum(diagonal, down)
        row = np.minimum.accumulate(new - cols) + cols
    return float(row[-1]) / len(ref)


@dataclass(frozen=True)
class PromptAudio:
    """One prompt to check: its rendered audio and the spoken text it should say.

    ``audio`` is any file :func:`~motmedia.media.decode.decode` reads; the check uses the
    16 kHz WAV render, and the round-trip benchmark also feeds it 8 kHz μ-law.
    """

    name: str  # "message" for a slot; "main", "timeout", "invalid" for a menu
    audio: bytes
    spoken: str
    language: str


@dataclass(frozen=True)
class PromptCheck:
    """The check of one prompt."""

    name: str
    cer: float
    expected: str
    heard: str
    heard_reading: str


def check_prompt(
    prompt: PromptAudio, model: SpeechModel, *, dictionary: Mapping[str, str] | None = None
) -> PromptCheck:
    """Transcribe ``prompt`` and score it. Blocking; call it from a worker thread."""
    audio = decode(io.BytesIO(prompt.audio))
    language = "ja" if prompt.language.startswith("ja") else "en"
    transcript = transcribe(
        audio, model, TranscribeOptions(language=language, word_timestamps=False)
    )
    heard = ("" if language == "ja" else " ").join(s.text for s in transcript.segments)
    expected = reading(prompt.spoken, language=language, spoken=True)
    got = reading(heard, language=language, dictionary=dictionary)
    return PromptCheck(
        prompt.name, round(character_error_rate(expected, got), 4), expected, heard, got
    )


@dataclass(frozen=True)
class CheckJob:
    """Check the prompts of one row; store the result only if the row still has ``render_key``."""

    table: str  # "message_slots" | "ivr_menus"
    row_id: str
    render_key: str
    prompts: tuple[PromptAudio, ...]
    dictionary: Mapping[str, str] | None = None


_MODELS: dict[str, type[MessageSlot] | type[IvrMenu]] = {
    "message_slots": MessageSlot,
    "ivr_menus": IvrMenu,
}


class PromptChecker:
    """One background thread that checks prompts and writes the results to their rows.

    The model is loaded on the first check (``load_model_from_settings`` keeps one per
    process), so a deployment that never saves a prompt never loads it. A check that fails
    (no model installed, undecodable audio) marks the row ``failed`` with the reason; it
    never fails the request that saved the prompt.
    """

    def __init__(self, *, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prompt-check")

    def submit(self, job: CheckJob) -> Future[None]:
        if not self.settings.prompt_check:
            return self._pool.submit(
                self._store, job, status="skipped", cer=None, detail={"error": "checks are off"}
            )
        return self._pool.submit(self.run, job)

    def close(self) -> None:
        """Drop queued checks (their rows stay ``pending``) and wait for the running one."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, job: CheckJob) -> None:
        try:
            model = load_model_from_settings(self.settings)
            checks = [check_prompt(p, model, dictionary=job.dictionary) for p in job.prompts]
        except Exception as exc:
            detail = exc.detail if isinstance(exc, MotMediaError) else f"{type(exc).__name__}"
            if not isinstance(exc, MotMediaError):
                log.exception("prompt check failed", extra={"row_id": job.row_id})
            self._store(job, status="failed", cer=None, detail={"error": detail})
            return
        worst = max((c.cer for c in checks), default=None)
        self._store(job, status="done", cer=worst, detail={"prompts": [asdict(c) for c in checks]})

    def _store(
        self, job: CheckJob, *, status: str, cer: float | None, detail: dict[str, Any]
    ) -> None:
        model = _MODELS[job.table]
        with self.db.session() as session:
            # Conditional: a newer text has a newer render key and its own check queued.
            session.execute(
                update(model)
                .where(model.id == job.row_id, model.render_key == job.render_key)
                .values(
                    check_status=status,
                    cer=cer,
                    check_json=json.dumps(detail, ensure_ascii=False),
                    checked_at=utcnow(),
                )
            )


def check_details(raw: str | None) -> dict[str, Any]:
    """The stored ``check_json`` as a dict (empty when there is none)."""
    value: dict[str, Any] = json.loads(raw) if raw else {}
    return value


def flagged(cer: float | None, threshold: float = CER_THRESHOLD) -> bool | None:
    return None if cer is None else cer > threshold
