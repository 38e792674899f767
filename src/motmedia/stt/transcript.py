"""The result of transcribing one call: words, segments (turns) and the transcript.

Plain frozen dataclasses with no behaviour beyond conversion, so that every consumer
(output formats, talk metrics, the search index, the HTTP schema) reads one shape. Times
are seconds from the start of the recording, rounded to milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Segment", "Transcript", "Word"]


@dataclass(frozen=True, slots=True)
class Word:
    """One word (for Japanese, usually one or a few characters) with its own timing."""

    start: float
    end: float
    text: str  # as Whisper emits it: English words carry their leading space
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "probability": round(self.probability, 4),
        }


@dataclass(frozen=True, slots=True)
class Segment:
    """One turn of one party: a stretch of speech on one channel."""

    party: str
    channel: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    # Mean log-probability of the decoded tokens; below about -1.0 the text is doubtful.
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "channel": self.channel,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "avg_logprob": round(self.avg_logprob, 4),
            "no_speech_prob": round(self.no_speech_prob, 4),
            "words": [word.to_dict() for word in self.words],
        }


@dataclass(frozen=True, slots=True)
class Transcript:
    """A whole call: all parties' segments merged into one dialogue ordered by start time."""

    segments: tuple[Segment, ...]
    # ISO 639-1 code; None when nothing was said and none was forced.
    language: str | None
    language_probability: float
    duration: float  # of the recording, seconds
    parties: tuple[str, ...]  # party of channel 0, 1, ...
    model: str = ""
    speech_seconds: dict[str, float] = field(default_factory=dict)  # VAD, per party

    @property
    def text(self) -> str:
        """All text in dialogue order, one turn per line (no party labels)."""
        return "\n".join(segment.text for segment in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_probability": round(self.language_probability, 4),
            "duration": round(self.duration, 3),
            "parties": list(self.parties),
            "model": self.model,
            "speech_seconds": {k: round(v, 3) for k, v in self.speech_seconds.items()},
            "segments": [segment.to_dict() for segment in self.segments],
        }
