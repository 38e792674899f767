"""HTTP for text to speech: ``POST /v1/tts``, OpenAI-compatible ``POST /v1/audio/speech``,
``GET /v1/voices`` and ``GET /v1/tts/formats``.

Synthesis is a feature of the Software Usage Contract (``tts.synthesize``): the device is the
caller's own (device keys) or the ``device_id`` query parameter (customer and vendor keys).
The device's customer may have a reading dictionary (customer setting
``reading_dictionary``, word → kana), applied before the reading rules.

Renders run on the renderer's bounded pool and are awaited, never run on the event loop or
on request threads. The response's ``ETag`` is the render's content address, and
``X-Cache`` says whether it came from the cache.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Annotated, Any, Literal

import anyio
import numpy as np
from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, Field

from motmedia.api.deps import CurrentPrincipal, DbSession, State, require_scope
from motmedia.entitlements.dependencies import require, resolve_device
from motmedia.entitlements.engine import Decision
from motmedia.entitlements.models import Device
from motmedia.media.encode import FORMATS, resample
from motmedia.media.level import DEFAULT_PEAK_LIMIT_DBFS
from motmedia.prompts.service import reading_dictionary
from motmedia.tenants.auth import Principal
from motmedia.tts.base import SynthesisOptions
from motmedia.tts.piper import joe_voice_installed
from motmedia.tts.render import MAX_TEXT_CHARS, Renderer, RenderResult
from motmedia.tts.voices import DEFAULT_VOICE_ID, list_voices

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["text to speech"])

Synthesizer = Annotated[Principal, Depends(require_scope("tts"))]
Entitled = Annotated[Decision, Depends(require("tts.synthesize"))]
TargetDevice = Annotated[Device, Depends(resolve_device)]
IfNoneMatch = Annotated[str | None, Header(max_length=200)]

# OpenAI's stock voice names. They name no voice here; the input's script picks one.
OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse"}
)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
PCM_RATE = 24_000  # OpenAI's "pcm": raw 16-bit little-endian mono at 24 kHz


class SpeechIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="text, or SSML")
    ssml: bool = Field(default=False, description="text is an SSML document")
    voice: str | None = Field(
        default=None, max_length=64, description="voice id or language (ja, en); default ja"
    )
    format: str = Field(default="wav", max_length=16, description="see GET /v1/tts/formats")
    speed: float = Field(default=1.0, description="0.5-2.0")
    pitch: float = Field(default=0.0, description="semitones, ±12 (Japanese voice)")


class OpenAISpeechIn(BaseModel):
    model: str = Field(default="tts-1", max_length=64, description="accepted, not used")
    input: str = Field(min_length=1, max_length=4096)
    voice: str = Field(default="alloy", max_length=64)
    response_format: Literal["mp3", "opus", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, description="0.5-2.0 (OpenAI allows 0.25-4.0)")


class VoiceOut(BaseModel):
    id: str
    language: str
    engine: str
    sample_rate: int
    description: str
    license: str
    default: bool


class FormatOut(BaseModel):
    name: str
    media_type: str
    extension: str
    sample_rate: int
    codec: str
    container: str
    description: str


def _renderer(state: State) -> Renderer:
    renderer: Renderer = state.services["renderer"]
    return renderer


CurrentRenderer = Annotated[Renderer, Depends(_renderer)]


def _audio(
    result: RenderResult,
    data: bytes,
    media_type: str,
    etag: str,
    if_none_match: str | None,
    filename: str,
) -> Response:
    headers = {
        "ETag": etag,
        "X-Cache": "hit" if result.cache_hit else "miss",
        "X-Voice": result.voice,
    }
    if if_none_match and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(data, media_type=media_type, headers=headers)


async def _render(
    renderer: Renderer,
    session: DbSession,
    device: Device,
    text: str,
    options: SynthesisOptions,
    format: str,
) -> RenderResult:
    dictionary = await anyio.to_thread.run_sync(
        partial(reading_dictionary, session=session, customer_id=device.customer_id)
    )
    future = renderer.submit(text, options=options, format=format, dictionary=dictionary)
    return await asyncio.wrap_future(future)


@router.post("/tts", response_class=Response, responses={200: {"content": {"audio/*": {}}}})
async def synthesize(
    body: SpeechIn,
    _principal: Synthesizer,
    _decision: Entitled,
    device: TargetDevice,
    session: DbSession,
    renderer: CurrentRenderer,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Speak ``text`` (or SSML) in a telephony or browser ``format``.

    The sample rate follows from the format (``wav8k``, ``ulaw``... are 8 kHz). ``ETag`` is
    the render's content address; identical requests are answered from the cache.
    """
    options = SynthesisOptions(voice=body.voice, speed=body.speed, pitch=body.pitch, ssml=body.ssml)
    result = await _render(renderer, session, device, body.text, options, body.format)
    return _audio(
        result,
        result.data,
        result.media_type,
        f'"{result.key}"',
        if_none_match,
        f"speech{result.extension}",
    )


def _openai_voice(voice: str, text: str) -> str | None:
    if voice.lower() not in OPENAI_VOICES:
        return voice  # one of ours (id or language); unknown ids are a 422 UNKNOWN_VOICE
    if _JAPANESE.search(text) or not joe_voice_installed():
        return None  # the default, Japanese voice
    return "en"


def _pcm24k(wav16k_raw: bytes) -> bytes:
    """16 kHz signed-linear → OpenAI's 24 kHz 16-bit PCM, keeping the peak limit."""
    samples = np.frombuffer(wav16k_raw, dtype="<i2").astype(np.float32) / 32768.0
    up = resample(samples, FORMATS["sln16"].sample_rate, PCM_RATE)
    # Resampling can overshoot the peak the renderer set; scale back under the limit.
    limit = 10.0 ** (DEFAULT_PEAK_LIMIT_DBFS / 20.0)
    peak = float(np.max(np.abs(up))) if up.size else 0.0
    if peak > limit:
        up *= limit / peak
    return (np.clip(up, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


@router.post(
    "/audio/speech", response_class=Response, responses={200: {"content": {"audio/*": {}}}}
)
async def openai_speech(
    body: OpenAISpeechIn,
    _principal: Synthesizer,
    _decision: Entitled,
    device: TargetDevice,
    session: DbSession,
    renderer: CurrentRenderer,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """OpenAI-compatible speech. ``model`` is ignored; OpenAI voice names (alloy, nova...)
    pick the Japanese or English voice from the input's script; our voice ids work too.
    ``wav`` is 16 kHz (OpenAI's is 24 kHz); ``pcm`` is 24 kHz 16-bit little-endian mono
    like OpenAI's, resampled from the 16 kHz render."""
    options = SynthesisOptions(voice=_openai_voice(body.voice, body.input), speed=body.speed)
    fmt = "sln16" if body.response_format == "pcm" else body.response_format
    result = await _render(renderer, session, device, body.input, options, fmt)
    if body.response_format != "pcm":
        return _audio(
            result,
            result.data,
            result.media_type,
            f'"{result.key}"',
            if_none_match,
            f"speech{result.extension}",
        )
    data = await anyio.to_thread.run_sync(_pcm24k, result.data)
    return _audio(result, data, "audio/pcm", f'"{result.key}-pcm24k"', if_none_match, "speech.pcm")


@router.get("/voices", response_model=list[VoiceOut])
def voices(_: CurrentPrincipal) -> list[VoiceOut]:
    """Installed voices, the default first. Any valid key may ask."""
    return [
        VoiceOut(
            id=v.id,
            language=v.language,
            engine=v.engine,
            sample_rate=v.sample_rate,
            description=v.description,
            license=v.license,
            default=v.id == DEFAULT_VOICE_ID,
        )
        for v in list_voices()
    ]


@router.get("/tts/formats", response_model=list[FormatOut])
def formats(_: CurrentPrincipal) -> list[dict[str, Any]]:
    """The audio formats ``format`` may name."""
    return [
        {
            "name": f.name,
            "media_type": f.media_type,
            "extension": f.extension,
            "sample_rate": f.sample_rate,
            "codec": f.codec,
            "container": f.container,
            "description": f.description,
        }
        for f in FORMATS.values()
    ]
