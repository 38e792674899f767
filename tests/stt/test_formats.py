"""Output formats: exact small examples, and properties over arbitrary transcripts."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from motmedia.stt.formats import render, to_json, to_srt, to_text, to_vtt
from motmedia.stt.metrics import call_metrics
from motmedia.stt.transcript import Segment, Transcript, Word


def call() -> Transcript:
    return Transcript(
        segments=(
            Segment(
                "caller",
                0,
                0.5,
                2.25,
                "もしもし。",
                (Word(0.5, 1.2, "もし", 0.9), Word(1.2, 2.25, "もし。", 0.8)),
            ),
            Segment("agent", 1, 2.5, 3661.0125, "Hello <there> & --> welcome"),
        ),
        language="ja",
        language_probability=0.98,
        duration=3700.0,
        parties=("caller", "agent"),
        model="whisper-base",
    )


def test_text_is_one_line_per_turn() -> None:
    assert to_text(call()) == "caller: もしもし。\nagent: Hello <there> & -> welcome\n"


def test_srt() -> None:
    assert to_srt(call()) == (
        "1\n00:00:00,500 --> 00:00:02,250\ncaller: もしもし。\n"
        "\n"
        "2\n00:00:02,500 --> 01:01:01,012\nagent: Hello <there> & -> welcome\n"
    )


def test_vtt_uses_voice_spans_and_escapes() -> None:
    assert to_vtt(call()) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.500 --> 00:00:02.250\n<v caller>もしもし。\n"
        "\n"
        "00:00:02.500 --> 01:01:01.012\n<v agent>Hello &lt;there&gt; &amp; -&gt; welcome\n"
    )


def test_json_round_trips_and_carries_metrics() -> None:
    transcript = call()
    document = json.loads(render(transcript, "json", metrics=call_metrics(transcript)))

    assert document == json.loads(json.dumps(to_json(transcript, call_metrics(transcript))))
    assert document["segments"][0]["words"][1] == {
        "start": 1.2,
        "end": 2.25,
        "text": "もし。",
        "probability": 0.8,
    }
    assert document["metrics"]["parties"][0]["party"] == "caller"
    assert "metrics" not in to_json(transcript)


# --- properties ---------------------------------------------------------------------------

times = st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False)
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
segments = st.builds(
    lambda party, start, length, text: Segment(party, 0, start, start + length, text),
    st.sampled_from(["caller", "agent"]),
    times,
    st.floats(min_value=-1, max_value=60, allow_nan=False),  # negative: a broken end
    texts,
)
transcripts = st.lists(segments, max_size=12).map(
    lambda found: Transcript(tuple(found), "ja", 1.0, 20_060.0, ("caller", "agent"), "whisper-base")
)
CLOCK = r"(\d{2}):([0-5]\d):([0-5]\d)[,.](\d{3})"


def seconds(match: tuple[str, ...]) -> float:
    hours, minutes, secs, millis = (int(x) for x in match)
    return hours * 3600 + minutes * 60 + secs + millis / 1000


def cue_times(document: str, separator: str) -> list[tuple[float, float]]:
    pattern = re.compile(
        rf"^{CLOCK.replace('[,.]', re.escape(separator))} --> "
        rf"{CLOCK.replace('[,.]', re.escape(separator))}$",
        re.M,
    )
    return [(seconds(m[:4]), seconds(m[4:])) for m in pattern.findall(document)]


@given(transcripts)
def test_srt_is_well_formed(transcript: Transcript) -> None:
    document = to_srt(transcript)
    blocks = [b for b in document.split("\n\n") if b]

    assert len(blocks) == len(transcript.segments)
    for number, block in enumerate(blocks, start=1):
        lines = block.rstrip("\n").split("\n")
        assert lines[0] == str(number)
        assert re.fullmatch(rf"{CLOCK} --> {CLOCK}", lines[1])
        assert len(lines) == 3  # one text line: a blank line inside would end the cue
    times = cue_times(document, ",")
    assert len(times) == len(blocks)
    assert all(start < end for start, end in times)
    assert [s for s, _ in times] == sorted(s for s, _ in times)


@given(transcripts)
def test_vtt_is_well_formed(transcript: Transcript) -> None:
    document = to_vtt(transcript)

    assert document.startswith("WEBVTT\n\n") or document == "WEBVTT\n"
    cues = [c for c in document.split("\n\n")[1:] if c]
    assert len(cues) == len(transcript.segments)
    for cue in cues:
        timing, text = cue.rstrip("\n").split("\n")
        assert re.fullmatch(rf"{CLOCK} --> {CLOCK}", timing)
        assert "-->" not in text and "<" not in text.removeprefix("<v ").split(">", 1)[1]
    times = cue_times(document, ".")
    assert all(start < end for start, end in times)
    assert [s for s, _ in times] == sorted(s for s, _ in times)


@given(transcripts)
def test_text_has_one_line_per_segment(transcript: Transcript) -> None:
    assert to_text(transcript).count("\n") == len(transcript.segments)
