from __future__ import annotations

import pytest

from motmedia.conference.pacing import PacingOptions, TokenBucket


def test_burst_passes_then_packets_are_spread_at_the_rate():
    bucket = TokenBucket(PacingOptions(bitrate=8_000_000, burst=10_000))  # 1 MB/s
    now = bucket._stamp
    delays = [bucket.take(1_000, now) for _ in range(20)]
    assert delays[:10] == [0.0] * 10
    # Each further kilobyte waits one more millisecond: a 20 kB keyframe spans 10 ms.
    assert delays[10:] == pytest.approx([i / 1000 for i in range(1, 11)])
    assert bucket.paced_packets == 10


def test_bucket_refills_but_not_beyond_the_burst():
    bucket = TokenBucket(PacingOptions(bitrate=8_000_000, burst=10_000))
    now = bucket._stamp
    assert bucket.take(10_000, now) == 0.0
    assert bucket.take(5_000, now + 0.005) == 0.0  # 5 ms refilled 5 kB
    assert bucket.take(10_000, now + 60) == 0.0  # a long idle refills only the burst
    assert bucket.take(1_000, now + 60) == pytest.approx(0.001)


def test_options_are_validated():
    with pytest.raises(ValueError):
        PacingOptions(bitrate=0)
