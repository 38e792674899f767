"""OpenAI-compatible ``POST /v1/audio/transcriptions``, gated by ``stt.transcribe``.

Tools that already speak the OpenAI audio API work unchanged; the extra form fields
``parties`` and ``hotwords`` expose the call pipeline (per-channel parties, tenant
vocabulary). Decoding and inference run in a worker thread, never on the event loop, and
one transcription runs at a time per process so inference threads do not oversubscribe
the cores.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from motmedia.api.deps import State, require_scope
from motmedia.api.uploads import spool_upload
from motmedia.config import Settings
from motmedia.entitlements.dependencies import require
from motmedia.entitlements.engine import Decision
from motmedia.errors import BadInput
from motmedia.media.decode import decode
from motmedia.stt.formats import MEDIA_TYPES, Format, render, to_json
from motmedia.stt.metrics import call_metrics
from motmedia.stt.models import SpeechModel, load_model_from_settings
from motmedia.stt.pipeline import TranscribeOptions, transcribe
from motmedia.stt.transcript import Transcript
from motmedia.tenants.auth import Principal

router = APIRouter(prefix="/v1/audio", tags=["speech to text"])

ResponseFormat = Literal["json", "text", "srt", "vtt", "verbose_json"]
_limiter = anyio.CapacityLimiter(1)


def speech_model(settings: Settings) -> SpeechModel:
    """The process's model, loaded on first use (later calls hit the loader's cache)."""
    return load_model_from_settings(settings)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def _verbose(transcript: Transcript, *, words: bool, segments: bool) -> dict[str, Any]:
    """OpenAI's ``verbose_json`` shape, with our ``party`` and ``metrics`` added."""
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcript.language,
        "duration": transcript.duration,
        "text": transcript.text,
        "metrics": call_metrics(transcript).to_dict(),
    }
    if segments:
        body["segments"] = [
            {
                "id": i,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "party": s.party,
                "channel": s.channel,
                "avg_logprob": s.avg_logprob,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(transcript.segments)
        ]
    if words:
        body["words"] = [
            {"word": w.text, "start": w.start, "end": w.end, "party": s.party}
            for s in transcript.segments
            for w in s.words
        ]
    return body


@router.post("/transcriptions", response_model=None)
async def create_transcription(
    request: Request,
    state: State,
    _principal: Annotated[Principal, Depends(require_scope("stt"))],
    _decision: Annotated[Decision, Depends(require("stt.transcribe"))],
    file: UploadFile,
    model: Annotated[
        str, Form(description="accepted for compatibility; the server's model is used")
    ] = "whisper-1",
    language: Annotated[str | None, Form(max_length=8)] = None,
    prompt: Annotated[str | None, Form(max_length=1000, description="vocabulary hint")] = None,
    response_format: Annotated[ResponseFormat, Form()] = "json",
    timestamp_granularities: Annotated[
        list[str] | None, Form(alias="timestamp_granularities[]")
    ] = None,
    parties: Annotated[str | None, Form(description="party per channel, e.g. caller,agent")] = None,
    hotwords: Annotated[str | None, Form(description="comma-separated tenant vocabulary")] = None,
) -> Response:
    settings = state.settings
    granularities = set(timestamp_granularities or ["segment"])
    if unknown := granularities - {"word", "segment"}:
        raise BadInput(
            f"Unknown timestamp granularity: {', '.join(sorted(unknown))}.",
            code="INVALID_GRANULARITY",
        )
    vocabulary = _split(hotwords) + ((prompt.strip(),) if prompt and prompt.strip() else ())
    options = TranscribeOptions(
        language=language or None,
        parties=_split(parties) or None,
        hotwords=vocabulary,
        word_timestamps=True,
    )
    spool = await spool_upload(
        file, max_bytes=settings.max_upload_bytes, directory=settings.data_dir / "spool"
    )
    try:

        def work() -> Transcript:
            audio = decode(
                spool, max_seconds=settings.max_audio_seconds, max_bytes=settings.max_upload_bytes
            )
            return transcribe(
                audio, speech_model(settings), options, default_parties=settings.stt_parties
            )

        transcript = await anyio.to_thread.run_sync(work, limiter=_limiter)
    finally:
        await anyio.Path(spool).unlink(missing_ok=True)

    if response_format == "json":
        return JSONResponse(
            {
                "text": transcript.text,
                "language": transcript.language,
                "duration": transcript.duration,
                "segments": to_json(transcript)["segments"],
            }
        )
    if response_format == "verbose_json":
        return JSONResponse(
            _verbose(transcript, words="word" in granularities, segments="segment" in granularities)
        )
    fmt: Format = "txt" if response_format == "text" else response_format
    return PlainTextResponse(render(transcript, fmt), media_type=MEDIA_TYPES[fmt])
