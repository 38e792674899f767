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
* beyond the allowance, packets go out a chunk at a time with a sleep in between until
  the bucket has refilled, which spreads a keyframe over ``size / rate`` seconds and
  hands the loop to other subscribers between chunks.

The rate is set well above a stream's bitrate (WebRTC's own pacer uses 2.5×) so that
pacing only reshapes bursts and never becomes a bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

__all__ = ["PacingOptions", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class PacingOptions:
    """Per-connection egress shaping: ``bitrate`` in bit/s, ``burst`` and ``chunk`` in bytes.

    ``burst`` goes out at once after a quiet spell (a delta frame fits); beyond it,
    packets leave in chunks of about ``chunk`` bytes, one chunk per wake-up. Chunks
    rather than single packets because every sleep costs an event-loop iteration, which
    at a few hundred viewers costs more CPU than the packets themselves.
    """

    bitrate: int = 20_000_000
    burst: int = 24_000
    chunk: int = 6_000

    def __post_init__(self) -> None:
        if min(self.bitrate, self.burst, self.chunk) <= 0:
            raise ValueError("pacing bitrate, burst and chunk must be positive")


class TokenBucket:
    """A byte budget refilled at ``bitrate``, which may run up a debt of one chunk."""

    __slots__ = ("_burst", "_chunk", "_rate", "_stamp", "_tokens", "waits")

    def __init__(self, options: PacingOptions) -> None:
        self._rate = options.bitrate / 8
        self._burst = float(options.burst)
        self._chunk = float(options.chunk)
        self._tokens = self._burst
        self._stamp = time.monotonic()
        self.waits = 0

    def take(self, nbytes: int, now: float | None = None) -> float:
        """Spend ``nbytes`` and return how long to wait before sending them."""
        now = time.monotonic() if now is None else now
        tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate) - nbytes
        self._tokens, self._stamp = tokens, now
        if tokens >= -self._chunk:
            return 0.0
        # Wait until the whole debt is paid: the next chunk then starts from zero.
        self.waits += 1
        return -tokens / self._rate

    async def wait(self, nbytes: int) -> None:
        delay = self.take(nbytes)
        if delay > 0:
            await asyncio.sleep(delay)
