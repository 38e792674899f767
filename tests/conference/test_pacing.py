from __future__ import annotations

import pytest

from motmedia.conference.pacing import PacingOptions, TokenBucket


def send(bucket: TokenBucket, sizes: list[int], start: float) -> list[float]:
    """When each packet leaves, for a sender that sleeps whenever it is told to."""
    now, times = start, []
    for size in sizes:
        now += bucket.take(size, now)
        times.append(now)
    return times


def test_burst_passes_then_chunks_are_spread_at_the_rate():
    options = PacingOptions(bitrate=8_000_000, burst=10_000, chunk=3_000)  # 1 MB/s
    bucket = TokenBucket(options)
    start = bucket._stamp
    times = send(bucket, [1_000] * 30, start)
    # 10 kB of burst plus one chunk leave at once...
    assert times[:13] == [start] * 13
    # ...then the other 20 kB at 1 MB/s (the last chunk's debt is paid after it left),
    # a chunk per wake-up rather than a packet.
    assert 0.017 - 1e-9 <= times[-1] - start <= 0.020
    assert bucket.waits == len(set(times)) - 1 <= 5


def test_bucket_refills_but_not_beyond_the_burst():
    bucket = TokenBucket(PacingOptions(bitrate=8_000_000, burst=10_000, chunk=1_000))
    now = bucket._stamp
    assert bucket.take(10_000, now) == 0.0
    assert bucket.take(5_000, now + 0.005) == 0.0  # 5 ms refilled 5 kB
    assert bucket.take(10_000, now + 60) == 0.0  # a long idle refills only the burst
    assert bucket.take(2_000, now + 60) == pytest.approx(0.002)


def test_options_are_validated():
    with pytest.raises(ValueError):
        PacingOptions(bitrate=0)
    with pytest.raises(ValueError):
        PacingOptions(chunk=0)
