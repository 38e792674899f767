"""Talk metrics on hand-made dialogues whose answers can be worked out on paper."""

from __future__ import annotations

import pytest

from motmedia.stt.metrics import call_metrics
from motmedia.stt.transcript import Segment, Transcript


def dialogue(language: str, *turns: tuple[str, float, float, str]) -> Transcript:
    channel = {"caller": 0, "agent": 1}
    return Transcript(
        segments=tuple(Segment(p, channel[p], s, e, t) for p, s, e, t in turns),
        language=language,
        language_probability=1.0,
        duration=60.0,
        parties=("caller", "agent"),
    )


def test_talk_silence_and_overlap() -> None:
    metrics = call_metrics(
        dialogue(
            "ja",
            ("caller", 0.0, 10.0, "あ" * 30),
            ("agent", 8.0, 20.0, "い" * 60),  # 2 s over the caller's end: overlap
            ("caller", 25.0, 30.0, "う"),
        )
    )
    caller, agent = metrics.parties

    assert metrics.talk_seconds == pytest.approx(25.0)  # 0-20 and 25-30
    assert metrics.silence_seconds == pytest.approx(35.0)
    assert metrics.overlap_seconds == pytest.approx(2.0)
    assert (caller.talk_seconds, agent.talk_seconds) == pytest.approx((15.0, 12.0))
    assert caller.talk_share == pytest.approx(15 / 27)
    assert (caller.turns, agent.turns) == (2, 1)


def test_monologue_spans_consecutive_segments_of_one_party() -> None:
    metrics = call_metrics(
        dialogue(
            "en",
            ("agent", 0.0, 4.0, "hello"),
            ("agent", 5.0, 12.0, "let me explain"),  # same turn: nobody else spoke
            ("caller", 13.0, 14.0, "ok"),
            ("agent", 15.0, 17.0, "good"),
        )
    )
    caller, agent = metrics.parties

    assert agent.longest_monologue_seconds == pytest.approx(12.0)
    assert agent.turns == 2 and caller.turns == 1
    assert caller.longest_monologue_seconds == pytest.approx(1.0)


def test_rate_counts_characters_for_japanese_words_for_english() -> None:
    ja = call_metrics(dialogue("ja", ("caller", 0.0, 30.0, "お電話、ありがとう ございます。")))
    en = call_metrics(dialogue("en", ("caller", 0.0, 30.0, "Thank you for calling.")))

    assert ja.rate_unit == "characters" and ja.parties[0].units == 13  # no 、。 or space
    assert ja.parties[0].rate_per_minute == pytest.approx(26.0)
    assert en.rate_unit == "words" and en.parties[0].units == 4
    assert en.parties[0].rate_per_minute == pytest.approx(8.0)


def test_silent_call() -> None:
    metrics = call_metrics(dialogue("ja"))

    assert metrics.talk_seconds == 0 and metrics.silence_seconds == 60.0
    assert all(p.rate_per_minute == 0 and p.talk_share == 0 for p in metrics.parties)
    assert metrics.to_dict()["parties"][1]["party"] == "agent"
