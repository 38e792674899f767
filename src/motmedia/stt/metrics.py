"""Talk metrics of one call, computed from the transcript's segments.

Definitions (all in seconds of the recording unless said otherwise):

- **talk time** of a party: the length of the union of its segments' ``[start, end]``.
  Segment bounds come from word timestamps, so pauses between turns are not talk.
- **silence**: time in which no party talks (``duration`` minus the union of all talk).
- **overlap**: time in which two or more parties talk at once (interruptions, backchannel).
- **turn**: a run of consecutive segments of one party in dialogue order, unbroken by a
  segment of another party; **longest monologue** is the longest turn, first word to last.
- **speaking rate**: per minute of the party's talk time — *characters* per minute for
  languages written without spaces (Japanese, Chinese; punctuation and spaces not
  counted), *words* per minute otherwise. ``rate_unit`` says which.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from motmedia.stt.transcript import Segment, Transcript

__all__ = ["CHARACTER_LANGUAGES", "CallMetrics", "PartyMetrics", "call_metrics"]

# Languages whose text has no spaces between words: rate counts characters.
CHARACTER_LANGUAGES = frozenset({"ja", "zh", "yue", "th", "lo", "my", "km", "bo"})

Interval = tuple[float, float]


@dataclass(frozen=True, slots=True)
class PartyMetrics:
    party: str
    talk_seconds: float
    talk_share: float  # of all talk in the call, 0..1
    turns: int
    longest_monologue_seconds: float
    units: int  # characters or words, see ``CallMetrics.rate_unit``
    rate_per_minute: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "talk_seconds": round(self.talk_seconds, 3),
            "talk_share": round(self.talk_share, 4),
            "turns": self.turns,
            "longest_monologue_seconds": round(self.longest_monologue_seconds, 3),
            "units": self.units,
            "rate_per_minute": round(self.rate_per_minute, 1),
        }


@dataclass(frozen=True, slots=True)
class CallMetrics:
    duration: float
    talk_seconds: float  # anyone talking
    silence_seconds: float
    overlap_seconds: float
    rate_unit: str  # "characters" or "words"
    parties: tuple[PartyMetrics, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration": round(self.duration, 3),
            "talk_seconds": round(self.talk_seconds, 3),
            "silence_seconds": round(self.silence_seconds, 3),
            "overlap_seconds": round(self.overlap_seconds, 3),
            "rate_unit": self.rate_unit,
            "parties": [party.to_dict() for party in self.parties],
        }


def call_metrics(transcript: Transcript) -> CallMetrics:
    by_character = transcript.language in CHARACTER_LANGUAGES
    segments = sorted(transcript.segments, key=lambda s: (s.start, s.channel))
    per_party = {
        party: _union(_spans(s for s in segments if s.party == party))
        for party in transcript.parties
    }
    everyone = _union(_spans(segments))
    talk = _length(everyone)
    party_talk = {party: _length(spans) for party, spans in per_party.items()}
    turns = _turns(segments)
    parties = []
    for party in transcript.parties:
        own = [s for s in segments if s.party == party]
        units = sum(_count(s.text, by_character=by_character) for s in own)
        seconds = party_talk[party]
        mine = [end - start for who, start, end in turns if who == party]
        parties.append(
            PartyMetrics(
                party=party,
                talk_seconds=seconds,
                talk_share=seconds / sum(party_talk.values()) if talk else 0.0,
                turns=len(mine),
                longest_monologue_seconds=max(mine, default=0.0),
                units=units,
                rate_per_minute=units / seconds * 60.0 if seconds else 0.0,
            )
        )
    return CallMetrics(
        duration=transcript.duration,
        talk_seconds=talk,
        silence_seconds=max(0.0, transcript.duration - talk),
        overlap_seconds=_overlap(list(per_party.values())),
        rate_unit="characters" if by_character else "words",
        parties=tuple(parties),
    )


def _spans(segments: Iterable[Segment]) -> list[Interval]:
    return [(s.start, max(s.start, s.end)) for s in segments]


def _union(spans: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(spans: list[Interval]) -> float:
    return sum(end - start for start, end in spans)


def _overlap(parties: list[list[Interval]]) -> float:
    """Time covered by at least two parties (a sweep over all interval edges)."""
    edges = sorted(
        [(start, 1) for spans in parties for start, _ in spans]
        + [(end, -1) for spans in parties for _, end in spans]
    )
    total, active, previous = 0.0, 0, 0.0
    for time, step in edges:
        if active >= 2:
            total += time - previous
        active += step
        previous = time
    return total


def _turns(segments: list[Segment]) -> list[tuple[str, float, float]]:
    turns: list[tuple[str, float, float]] = []
    for segment in segments:
        if turns and turns[-1][0] == segment.party:
            party, start, end = turns[-1]
            turns[-1] = (party, start, max(end, segment.end))
        else:
            turns.append((segment.party, segment.start, segment.end))
    return turns


def _count(text: str, *, by_character: bool) -> int:
    if by_character:
        # Letters, digits and kana/kanji count; punctuation, symbols and spaces do not.
        return sum(1 for c in text if unicodedata.category(c)[0] in ("L", "N"))
    return len(text.split())
