"""The SFU under test, in its own process: ``python -m benchmarks.sfu.server MODE [--no-pacing]``.

MODE ``passthrough`` is :class:`motmedia.conference.Room`; MODE ``stock`` is what aiortc
offers out of the box: the received track is decoded, fanned out with ``MediaRelay`` and
re-encoded by every viewer's sender (same codec as the publisher's).

``--no-pacing`` turns the passthrough SFU's egress pacing off (to measure its cost).
Signalling is JSON lines: requests on stdin, one reply each on stdout. CPU is this
process's own ``getrusage`` (all threads: aiortc's decoder and encoder threads count).
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import sys
import time
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from motmedia.conference import ForwardingOptions, Room, decoder_counts


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StockSfu:
    """Decode once, relay decoded frames, encode once per viewer (aiortc's own way)."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.track: MediaStreamTrack | None = None
        self.mime = ""

    def add_publisher(self, pc: RTCPeerConnection, mime: str) -> None:
        self.mime = mime

        def on_track(track: MediaStreamTrack) -> None:
            self.track = track

        pc.on("track", on_track)

    async def add_viewer(self, pc: RTCPeerConnection) -> None:
        assert self.track is not None
        transceiver = pc.addTransceiver(self.relay.subscribe(self.track), direction="sendonly")
        caps = RTCRtpSender.getCapabilities("video").codecs
        same = [c for c in caps if c.mimeType.lower() == self.mime.lower()][:1]
        transceiver.setCodecPreferences(same + [c for c in caps if c.mimeType == "video/rtx"])


class Server:
    def __init__(self, mode: str, pacing: bool) -> None:
        self.mode = mode
        options = ForwardingOptions() if pacing else ForwardingOptions(pacing=None)
        self.room = Room("bench", options=options)
        self.stock = StockSfu()
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.mark: tuple[float, float] = (0.0, 0.0)

    def _pc(self, name: str) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs[name] = pc
        return pc

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "publish":
            pc = self._pc("publisher")
            if self.mode == "passthrough":
                self.room.add_publisher("publisher", pc)
            else:
                self.stock.add_publisher(pc, request["mime"])
            await pc.setRemoteDescription(RTCSessionDescription(**request["offer"]))
            await pc.setLocalDescription(await pc.createAnswer())
            return {"answer": _sdp(pc)}
        if op == "subscribe":
            pc = self._pc(request["id"])
            if self.mode == "passthrough":
                subs = await self.room.add_subscriber(request["id"], pc, ready_timeout=10)
                assert subs, "the published track never became ready"
            else:
                await self.stock.add_viewer(pc)
            await pc.setLocalDescription(await pc.createOffer())
            return {"offer": _sdp(pc)}
        if op == "answer":
            await self.pcs[request["id"]].setRemoteDescription(
                RTCSessionDescription(**request["answer"])
            )
            return {}
        if op == "start":
            self.mark = (time.monotonic(), _cpu())
            return {}
        if op == "stop":
            wall, cpu = time.monotonic() - self.mark[0], _cpu() - self.mark[1]
            stats = self.room.stats()
            tracks = {
                key: {
                    "frames_in": t.frames_in,
                    "plis_sent": t.plis_sent,
                    "keyframe_requests": t.keyframe_requests,
                    "dropped": sum(s.dropped for s in t.subscribers.values()),
                }
                for key, t in stats.tracks.items()
            }
            counts = decoder_counts()
            return {
                "wall_s": wall,
                "cpu_s": cpu,
                "tracks": tracks,
                "decoders_created": counts.created,
                "decoders_in_passthrough": counts.in_passthrough,
            }
        if op == "quit":
            await self.room.close()
            await asyncio.gather(*(pc.close() for pc in self.pcs.values()))
            return {"bye": True}
        raise ValueError(f"unknown op {op!r}")


def _sdp(pc: RTCPeerConnection) -> dict[str, str]:
    return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}


async def main(mode: str, pacing: bool) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    server = Server(mode, pacing)
    while line := await reader.readline():
        reply = await server.handle(json.loads(line))
        # A reply is one short line: writing it synchronously cannot stall the loop.
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if "bye" in reply:
            break


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(main(sys.argv[1], pacing=sys.argv[2:] != ["--no-pacing"]))
