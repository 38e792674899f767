"""Speech to text: model resolution, the call pipeline, output formats and talk metrics.

Typical use (a worker, or the HTTP route in a thread)::

    from motmedia.media import decode
    from motmedia.stt import TranscribeOptions, call_metrics, load_model_from_settings
    from motmedia.stt import render, transcribe

    model = load_model_from_settings(settings)          # once per process
    audio = decode(path, max_seconds=settings.max_audio_seconds,
                   max_bytes=settings.max_upload_bytes)
    transcript = transcribe(audio, model, TranscribeOptions(language="ja"),
                            default_parties=settings.stt_parties)
    srt = render(transcript, "srt")
    metrics = call_metrics(transcript)
"""

from motmedia.stt.formats import (
    FORMATS,
    MEDIA_TYPES,
    Format,
    render,
    to_json,
    to_srt,
    to_text,
    to_vtt,
)
from motmedia.stt.metrics import CallMetrics, PartyMetrics, call_metrics
from motmedia.stt.models import (
    SpeechModel,
    ensure_bundled_model,
    load_model,
    load_model_from_settings,
)
from motmedia.stt.pipeline import Progress, TranscribeOptions, transcribe
from motmedia.stt.speech import VadSettings
from motmedia.stt.transcript import Segment, Transcript, Word

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "CallMetrics",
    "Format",
    "PartyMetrics",
    "Progress",
    "Segment",
    "SpeechModel",
    "TranscribeOptions",
    "Transcript",
    "VadSettings",
    "Word",
    "call_metrics",
    "ensure_bundled_model",
    "load_model",
    "load_model_from_settings",
    "render",
    "to_json",
    "to_srt",
    "to_text",
    "to_vtt",
    "transcribe",
]
