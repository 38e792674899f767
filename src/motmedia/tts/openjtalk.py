"""Japanese synthesis with Open JTalk (pyopenjtalk-plus: dictionary and mei voice bundled).

``pyopenjtalk.tts`` shares one module-global ``OpenJTalk`` front end and one ``HTSEngine``,
the latter behind a lock held for the whole synthesis, so concurrent calls run one at a time.
Each instance here owns one front end and one HTS engine *per thread* (``threading.local``):
HTS releases the GIL while it generates the waveform, so N threads use N cores. The Sudachi
tokenizer pyopenjtalk uses for reading fixes is already thread-local inside the library.
"""

from __future__ import annotations

import threading
import unicodedata
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version

import numpy as np
import pyopenjtalk
from pyopenjtalk.htsengine import HTSEngine
from pyopenjtalk.openjtalk import OpenJTalk

from motmedia.errors import MotMediaError
from motmedia.tts.base import Audio, Voice

__all__ = ["MEI_VOICE", "MEI_VOICE_ID", "OpenJTalkEngine"]

MEI_VOICE_ID = "ja_JP-mei-normal"
MEI_VOICE = Voice(
    id=MEI_VOICE_ID,
    language="ja-JP",
    engine="openjtalk",
    sample_rate=48000,
    description="Open JTalk HTS voice 'mei', normal style (Nagoya Institute of Technology, "
    "MMDAgent)",
    license="CC BY 3.0",
)


def _speakable(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


class _Worker:
    """One thread's private front end and back end."""

    def __init__(self) -> None:
        self.jtalk = OpenJTalk(dn_mecab=pyopenjtalk.OPEN_JTALK_DICT_DIR)
        self.hts = HTSEngine(pyopenjtalk.DEFAULT_HTS_VOICE)


class OpenJTalkEngine:
    """The :class:`~motmedia.tts.base.Engine` for Open JTalk with the bundled mei voice."""

    name = "openjtalk"

    def __init__(self) -> None:
        self._local = threading.local()
        try:
            package = dist_version("pyopenjtalk-plus")
        except PackageNotFoundError:  # a vendored build without metadata
            package = "unknown"
        self.version = f"pyopenjtalk-plus {package}; mei_normal"
        rate = self._worker().hts.get_sampling_frequency()
        if rate != MEI_VOICE.sample_rate:
            raise MotMediaError(f"mei voice reports {rate} Hz, expected 48000", code="VOICE_BROKEN")

    def _worker(self) -> _Worker:
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is None:
            worker = _Worker()
            self._local.worker = worker
        return worker

    @property
    def sample_rate(self) -> int:
        """Output rate of the mei voice (48 kHz)."""
        return MEI_VOICE.sample_rate

    def voices(self) -> list[Voice]:
        """The one bundled voice, mei (normal style)."""
        return [MEI_VOICE]

    def labels(self, text: str) -> list[str]:
        """Full-context labels for ``text`` from this thread's front end."""
        worker = self._worker()
        return list(pyopenjtalk.extract_fullcontext(text, jtalk=worker.jtalk))

    def synthesize(
        self, text: str, *, voice: str = MEI_VOICE_ID, speed: float = 1.0, pitch: float = 0.0
    ) -> tuple[Audio, int]:
        """Speak Japanese ``text``; ``pitch`` is in semitones. Returns 48 kHz float32."""
        if voice != MEI_VOICE_ID:
            raise MotMediaError(f"Open JTalk has no voice {voice!r}", code="UNKNOWN_VOICE")
        if not _speakable(text):
            # Open JTalk prints a C-level warning and returns nothing for these anyway.
            return np.zeros(0, dtype=np.float32), self.sample_rate
        worker = self._worker()
        try:
            labels = pyopenjtalk.extract_fullcontext(text, jtalk=worker.jtalk)
            # HTS resets speed and pitch on every synthesis (refresh), so set both each time.
            worker.hts.set_speed(speed)
            worker.hts.add_half_tone(pitch)
            wave = worker.hts.synthesize(labels)
        except RuntimeError as exc:
            raise MotMediaError(
                f"Open JTalk could not synthesise the text: {exc}", code="SYNTHESIS_FAILED"
            ) from exc
        # HTS speaks in 16-bit integer units as floats.
        audio = (np.asarray(wave, dtype=np.float64) / 32768.0).astype(np.float32)
        return audio, self.sample_rate
