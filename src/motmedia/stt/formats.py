"""Rendering a transcript: JSON (a dict), plain text, SubRip (SRT) and WebVTT.

Every format labels each turn with its party. Subtitle cues keep the dialogue order
(start times never go backwards), and a cue never ends before it starts, even when word
timing rounds a short word to zero length, because players reject or drop such cues.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from motmedia.stt.metrics import CallMetrics
from motmedia.stt.transcript import Segment, Transcript

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Format",
    "render",
    "to_json",
    "to_srt",
    "to_text",
    "to_vtt",
]

Format = Literal["json", "txt", "srt", "vtt"]
FORMATS: tuple[Format, ...] = ("json", "txt", "srt", "vtt")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}
_MIN_CUE_SECONDS = 0.001


def to_json(transcript: Transcript, metrics: CallMetrics | None = None) -> dict[str, Any]:
    """The transcript as a JSON-ready dict; talk metrics under ``metrics`` when given."""
    document = transcript.to_dict()
    if metrics is not None:
        document["metrics"] = metrics.to_dict()
    return document


def to_text(transcript: Transcript) -> str:
    """One line per turn, ``party: text``."""
    return "".join(f"{s.party}: {_one_line(s.text)}\n" for s in transcript.segments)


def to_srt(transcript: Transcript) -> str:
    cues = []
    for number, (segment, start, end) in enumerate(_cues(transcript.segments), start=1):
        text = _one_line(segment.text)
        cues.append(
            f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{segment.party}: {text}\n"
        )
    return "\n".join(cues)


def to_vtt(transcript: Transcript) -> str:
    cues = ["WEBVTT\n"]
    for segment, start, end in _cues(transcript.segments):
        # <v party> is WebVTT's voice span: players can style or list speakers from it.
        voice = _escape(segment.party).replace(" ", "_")
        text = _escape(_one_line(segment.text))
        cues.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n<v {voice}>{text}\n")
    return "\n".join(cues)


def render(transcript: Transcript, fmt: Format, *, metrics: CallMetrics | None = None) -> str:
    """Any format as text (JSON serialised, UTF-8 kept readable)."""
    import json

    if fmt == "json":
        return json.dumps(to_json(transcript, metrics), ensure_ascii=False, indent=2) + "\n"
    if fmt == "txt":
        return to_text(transcript)
    if fmt == "srt":
        return to_srt(transcript)
    if fmt == "vtt":
        return to_vtt(transcript)
    raise ValueError(f"unknown format {fmt!r}")


def _cues(segments: tuple[Segment, ...]) -> list[tuple[Segment, int, int]]:
    """``(segment, start_ms, end_ms)`` in start order, each lasting at least 1 ms."""
    out = []
    for segment in sorted(segments, key=lambda s: (s.start, s.channel)):
        start = round(max(segment.start, 0.0) * 1000)
        end = max(round(segment.end * 1000), start + round(_MIN_CUE_SECONDS * 1000))
        out.append((segment, start, end))
    return out


def _clock(milliseconds: int, separator: str) -> str:
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in SRT and VTT, and "-->" would start a new timing line.
    return re.sub(r"--+>", "->", " ".join(text.split()))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
