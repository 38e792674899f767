"""What :mod:`.passthrough` assumes about aiortc's internals, checked name by name.

aiortc offers no public way to receive encoded frames, so the passthrough hook relies on
private names of aiortc 1.16. Each assumption is listed here with a predicate that reads
aiortc's code objects and signatures (mangled attribute names appear in ``co_names``),
so an upgrade that renames or reshapes any of them is reported by name at import time
rather than discovered as a silent fall-back to decoding.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import aiortc
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender
from aiortc import rtcrtpreceiver as receiver_module
from aiortc.codecs.base import Encoder
from aiortc.jitterbuffer import JitterFrame

from .exceptions import AiortcIncompatible

__all__ = [
    "DECODER_QUEUE",
    "KIND",
    "STARTED",
    "SUPPORTED_SERIES",
    "aiortc_problems",
    "check_aiortc",
]

SUPPORTED_SERIES = "1.16."
DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
STARTED = "_RTCRtpReceiver__started"
KIND = "_RTCRtpReceiver__kind"


def _names(func: Any) -> set[str]:
    return set(func.__code__.co_names)


def _params(func: Any) -> list[str]:
    return list(inspect.signature(func).parameters)


def _is_coroutine(func: Any, params: list[str]) -> bool:
    return inspect.iscoroutinefunction(func) and _params(func) == params


_ASSUMPTIONS: list[tuple[str, Callable[[], bool]]] = [
    (
        "aiortc {version} is in the supported " + SUPPORTED_SERIES + "x series",
        lambda: aiortc.__version__.startswith(SUPPORTED_SERIES),
    ),
    (
        "RTCRtpReceiver.__init__ sets __decoder_queue, __started and __kind",
        lambda: {DECODER_QUEUE, STARTED, KIND} <= _names(RTCRtpReceiver.__init__),
    ),
    (
        "RTCRtpReceiver.receive() gives __decoder_queue to a decoder_worker thread",
        lambda: {DECODER_QUEUE, STARTED, "decoder_worker"} <= _names(RTCRtpReceiver.receive),
    ),
    (
        "RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) puts "
        "(codec, JitterFrame) with a mapped timestamp on __decoder_queue",
        lambda: (
            _is_coroutine(RTCRtpReceiver._handle_rtp_packet, ["self", "packet", "arrival_time_ms"])
            and {DECODER_QUEUE, "put", "_RTCRtpReceiver__timestamp_mapper"}
            <= _names(RTCRtpReceiver._handle_rtp_packet)
        ),
    ),
    (
        "RTCRtpReceiver._send_rtcp_pli(media_ssrc) is a coroutine",
        lambda: _is_coroutine(RTCRtpReceiver._send_rtcp_pli, ["self", "media_ssrc"]),
    ),
    (
        "rtcrtpreceiver.decoder_worker(loop, input_q, output_q, decode_error) creates "
        "its decoder with the module-level get_decoder()",
        lambda: (
            _params(receiver_module.decoder_worker)
            == ["loop", "input_q", "output_q", "decode_error"]
            and "get_decoder" in _names(receiver_module.decoder_worker)
            and callable(vars(receiver_module).get("get_decoder"))
        ),
    ),
    (
        "JitterFrame(data, timestamp) carries the reassembled frame",
        lambda: _params(JitterFrame.__init__) == ["self", "data", "timestamp"],
    ),
    (
        "RTCRtpSender._handle_rtcp_packet() answers PLI/FIR with _send_keyframe()",
        lambda: (
            "_send_keyframe" in _names(RTCRtpSender._handle_rtcp_packet)
            and _params(RTCRtpSender._send_keyframe) == ["self"]
        ),
    ),
    (
        "RTCRtpSender._next_encoded_frame() hands av.Packet to Encoder.pack()",
        lambda: (
            "pack" in _names(RTCRtpSender._next_encoded_frame)
            and "pack" in Encoder.__abstractmethods__
        ),
    ),
    (
        "RTCDtlsTransport._send_rtp(data) is a coroutine",
        lambda: _is_coroutine(RTCDtlsTransport._send_rtp, ["self", "data"]),
    ),
]


def aiortc_problems() -> list[str]:
    """The assumptions the installed aiortc breaks; empty when all hold."""
    problems: list[str] = []
    for description, holds in _ASSUMPTIONS:
        try:
            ok = holds()
        except (AttributeError, TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(description.format(version=aiortc.__version__))
    return problems


def check_aiortc() -> None:
    problems = aiortc_problems()
    if problems:
        raise AiortcIncompatible(
            "the SFU's passthrough hook does not fit the installed aiortc: " + "; ".join(problems),
            problems=problems,
        )
