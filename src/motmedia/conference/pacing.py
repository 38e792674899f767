"""Egress pacing: a token bucket per subscriber connection.

aiortc's sender writes all RTP packets of a frame back to back without yielding to the
event loop (``RTCRtpSender._run_rtp`` → ``RTCDtlsTransport._send_rtp`` never suspends).
For a forwarded 720p keyframe that is 40–80 packets in one burst per subscriber, which
overflows small receive buffers (phones, Wi-Fi) and starves the other subscribers' tasks
for as long as the burst lasts. The SFU therefore routes each subscriber connection's
packets through a :class:`TokenBucket` (installed by
:func:`motmedia.conference.passthrough.pace_transport`):

* ordinary delta frames fit in the burst allowance and go out at once, costing one
  clock read per packet and no extra event-loop iteration;
* a packet that would exceed the allowance sleeps until the bucket has refilled, which
  spreads a keyframe over ``size / rate`` seconds and hands the loop to other
  subscribers between packets.

The rate is set well above a stream's bitrate (WebRTC's own pacer uses 2.5×) so that
pacing only reshapes bursts and never becomes a bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

__all__ = ["PacingOptions", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class PacingOptions:
    """Per-connection egress shaping. ``bitrate`` in bit/s, ``burst`` in bytes."""

    bitrate: int = 20_000_000
    burst: int = 24_000

    def __post_init__(self) -> None:
        if self.bitrate <= 0 or self.burst <= 0:
            raise ValueError("pacing bitrate and burst must be positive")


@dataclass(slots=True)
class TokenBucket:
    """A byte budget refilled at ``options.bitrate``; may go into debt by one packet."""

    options: PacingOptions
    _tokens: float = field(init=False)
    _stamp: float = field(init=False)
    paced_packets: int = field(init=False, default=0)
    paced_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._tokens = float(self.options.burst)
        self._stamp = time.monotonic()

    def take(self, nbytes: int, now: float | None = None) -> float:
        """Spend ``nbytes`` and return how long to wait before sending them."""
        now = time.monotonic() if now is None else now
        rate = self.options.bitrate / 8
        self._tokens = min(float(self.options.burst), self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        self._tokens -= nbytes
        if self._tokens >= 0:
            return 0.0
        delay = -self._tokens / rate
        self.paced_packets += 1
        self.paced_seconds += delay
        return delay

    async def wait(self, nbytes: int) -> None:
        delay = self.take(nbytes)
        if delay > 0:
            await asyncio.sleep(delay)
