"""Text or SSML in, a telephony-ready prompt out: the one entry point routes and the CLI use.

``render`` reads top to bottom as: plan (SSML or plain text) → spoken form (reading rules,
say-as) → cache lookup → synthesis piece by piece → trim edge silence → resample to the
format's rate → level to −26 dBov with the peak under −1 dBFS → encode → cache store.

Levelling happens *after* resampling, so the level and the peak limit hold for the samples
actually exported (an 8 kHz file loses the energy above 4 kHz, and resampling can overshoot).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from motmedia.config import Settings
from motmedia.errors import BadInput
from motmedia.media.encode import Format, encode, get_format, resample
from motmedia.media.level import normalize, trim_silence
from motmedia.tts import reading
from motmedia.tts.base import MAX_SPEED, MIN_SPEED, Audio, SynthesisOptions, Voice
from motmedia.tts.cache import PromptCache, cache_key
from motmedia.tts.ssml import Piece, Silence, Speech, parse_ssml
from motmedia.tts.voices import VoiceRegistry

__all__ = ["MAX_TEXT_CHARS", "PIPELINE_VERSION", "RenderResult", "Renderer", "spoken_plan"]

MAX_TEXT_CHARS = 10_000
# Bump when anything after synthesis changes the bytes (levelling, trimming, encoding).
PIPELINE_VERSION = 1


@dataclass(frozen=True)
class RenderResult:
    """A rendered prompt: the file's bytes and how to serve them."""

    data: bytes
    media_type: str
    extension: str
    format: str
    voice: str
    cache_hit: bool
    key: str
    """Content address; usable as an HTTP ETag."""


def _english_say_as(kind: str, text: str) -> str:
    # eSpeak reads "0 3" digit by digit; a comma between groups gives the phone-style pause.
    if kind in ("telephone", "digits"):
        groups = [g for g in re.split(r"[^\d#*]+", text) if g]
        return ", ".join(" ".join(g) for g in groups)
    return text


def spoken_plan(
    text: str, *, voice: Voice, ssml: bool = False, dictionary: Mapping[str, str] | None = None
) -> list[Piece]:
    """What will be said: the plan after reading rules, with adjacent speech of one rate merged.

    Merging matters: a ``<say-as>`` in mid-sentence would otherwise be synthesised alone,
    with Open JTalk's silence and falling intonation on both sides of it.
    """
    if ssml:
        pieces = parse_ssml(text)
    else:
        if len(text) > MAX_TEXT_CHARS:
            raise BadInput(
                f"text is limited to {MAX_TEXT_CHARS} characters, got {len(text)}",
                code="TEXT_TOO_LARGE",
            )
        pieces = [Speech(text)]
    japanese = voice.language.startswith("ja")
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, Speech):
            if piece.say_as:
                spoken = (reading.say_as if japanese else _english_say_as)(piece.say_as, piece.text)
            else:
                spoken = reading.normalize(piece.text, dictionary) if japanese else piece.text
            last = out[-1] if out else None
            if isinstance(last, Speech) and last.rate == piece.rate:
                joiner = "" if japanese else " "
                out[-1] = Speech(f"{last.text}{joiner}{spoken}".strip(), piece.rate)
            elif spoken.strip():
                out.append(Speech(spoken.strip(), piece.rate))
        else:
            out.append(piece)
    if not any(isinstance(p, Speech) and p.text for p in out):
        raise BadInput("there is no text to speak", code="EMPTY_TEXT")
    return out


class Renderer:
    """Holds the engines (loaded once) and a thread pool; renders prompts with a disk cache.

    Thread-safe: routes may call :meth:`render` from many threads at once, and Open JTalk
    synthesis then runs on as many cores. :meth:`submit` runs a render on the pool, for
    async callers (``await asyncio.wrap_future(renderer.submit(...))``) and for batches.
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None,
        registry: VoiceRegistry | None = None,
        workers: int | None = None,
    ) -> None:
        self.registry = registry or VoiceRegistry()
        self.cache = PromptCache(cache_dir) if cache_dir is not None else None
        self.workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tts")

    @classmethod
    def from_settings(cls, settings: Settings, *, workers: int | None = None) -> Renderer:
        """A renderer caching under ``<data_dir>/tts-cache/``."""
        return cls(cache_dir=settings.data_dir / "tts-cache", workers=workers)

    def close(self) -> None:
        """Stop the pool after the renders already submitted."""
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def voices(self) -> list[Voice]:
        """Installed voices (``GET /v1/voices``)."""
        return self.registry.voices()

    def submit(
        self,
        text: str,
        *,
        options: SynthesisOptions | None = None,
        format: str = "wav",
        dictionary: Mapping[str, str] | None = None,
    ) -> Future[RenderResult]:
        """:meth:`render` on the pool; the future raises what ``render`` would."""
        return self._pool.submit(
            self.render, text, options=options, format=format, dictionary=dictionary
        )

    def render(
        self,
        text: str,
        *,
        options: SynthesisOptions | None = None,
        format: str = "wav",
        dictionary: Mapping[str, str] | None = None,
    ) -> RenderResult:
        """Render ``text`` (SSML when ``options.ssml``) to ``format``; see :data:`FORMATS`.

        Raises ``BadInput`` (422) for bad text, SSML, options or format and
        ``ServiceUnavailable`` ``VOICE_NOT_INSTALLED`` (503) for a missing optional voice.
        """
        opts = options or SynthesisOptions()
        fmt = get_format(format)
        voice = self.registry.resolve(opts.voice)
        plan = spoken_plan(text, voice=voice, ssml=opts.ssml, dictionary=dictionary)
        engine = self.registry.engine(voice.engine)
        spec = {k: v for k, v in asdict(fmt).items() if k not in ("name", "description")}
        key = cache_key(
            {
                "pipeline": PIPELINE_VERSION,
                "engine": engine.name,
                "engine_version": engine.version,
                "voice": voice.id,
                "plan": [[type(p).__name__, *asdict(p).values()] for p in plan],
                "options": {k: v for k, v in asdict(opts).items() if k not in ("voice", "ssml")},
                "format": spec,
            }
        )
        result = RenderResult(b"", fmt.media_type, fmt.extension, fmt.name, voice.id, True, key)
        if self.cache is not None:
            cached = self.cache.get(key, fmt.extension)
            if cached is not None:
                return replace(result, data=cached)
        samples, rate = self._synthesize(plan, voice, opts)
        data = self._finish(samples, rate, plan, opts, fmt)
        if self.cache is not None:
            self.cache.put(key, fmt.extension, data)
        return replace(result, data=data, cache_hit=False)

    def _synthesize(
        self, plan: list[Piece], voice: Voice, opts: SynthesisOptions
    ) -> tuple[Audio, int]:
        engine = self.registry.engine(voice.engine)
        rate = voice.sample_rate
        parts: list[Audio] = []
        spoken = False
        for piece in plan:
            if isinstance(piece, Silence):
                parts.append(np.zeros(round(piece.ms * rate / 1000), dtype=np.float32))
                continue
            # SSML rates multiply the request's speed; the engines' limits still apply.
            speed = min(MAX_SPEED, max(MIN_SPEED, opts.speed * piece.rate))
            audio, got = engine.synthesize(
                piece.text, voice=voice.id, speed=speed, pitch=opts.pitch
            )
            if got != rate:
                audio = resample(audio, got, rate)
            parts.append(audio)
            spoken = spoken or bool(np.any(audio))
        if not spoken:
            raise BadInput("the text contains nothing speakable", code="EMPTY_TEXT")
        return np.concatenate(parts), rate

    def _finish(
        self, samples: Audio, rate: int, plan: list[Piece], opts: SynthesisOptions, fmt: Format
    ) -> bytes:
        # Explicit <break>s at either end are kept on top of the standard edge silence.
        lead = sum(p.ms for p in _leading_silences(plan))
        tail = sum(p.ms for p in _leading_silences(plan[::-1]))
        body = samples[round(lead * rate / 1000) : len(samples) - round(tail * rate / 1000)]
        body = trim_silence(body, rate, keep_ms=opts.edge_silence_ms)
        body = np.concatenate(
            [np.zeros(round(lead * rate / 1000), np.float32), body,
             np.zeros(round(tail * rate / 1000), np.float32)]
        )  # fmt: skip
        body = resample(body, rate, fmt.sample_rate)
        body, _ = normalize(body, fmt.sample_rate, target_dbov=opts.target_dbov)
        return encode(body, fmt.sample_rate, fmt)


def _leading_silences(plan: list[Piece]) -> list[Silence]:
    out: list[Silence] = []
    for piece in plan:
        if not isinstance(piece, Silence):
            break
        out.append(piece)
    return out
