"""Fails loudly, name by name, when an aiortc upgrade breaks what passthrough relies on."""

from __future__ import annotations

import subprocess
import sys

import aiortc
import pytest
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender
from aiortc import rtcrtpreceiver as receiver_module
from aiortc.jitterbuffer import JitterFrame

from motmedia.conference import AiortcIncompatible, ReceiverStarted, passthrough_track
from motmedia.conference.compat import aiortc_problems, check_aiortc


def test_installed_aiortc_fits():
    assert aiortc_problems() == []


async def _send_rtp_with_extra_argument(self, data, flags):  # type: ignore[no-untyped-def]
    pass


async def _handle_rtp_without_queue(self, packet, arrival_time_ms):  # type: ignore[no-untyped-def]
    pass


def _worker_renamed(loop, input_q, output_q):  # type: ignore[no-untyped-def]
    pass


BREAKAGES = {
    "version": (aiortc, "__version__", "1.17.0", "aiortc 1.17.0"),
    "decoder queue": (RTCRtpReceiver, "__init__", lambda self: None, "__decoder_queue"),
    "rtp handler": (RTCRtpReceiver, "_handle_rtp_packet", _handle_rtp_without_queue, "(codec"),
    "pli": (RTCRtpReceiver, "_send_rtcp_pli", None, "_send_rtcp_pli"),
    "worker": (receiver_module, "decoder_worker", _worker_renamed, "decoder_worker"),
    "get_decoder": (receiver_module, "get_decoder", None, "get_decoder"),
    "jitter frame": (JitterFrame, "__init__", lambda self, data: None, "JitterFrame"),
    "keyframe": (RTCRtpSender, "_send_keyframe", None, "_send_keyframe"),
    "send_rtp": (RTCDtlsTransport, "_send_rtp", _send_rtp_with_extra_argument, "_send_rtp"),
}


@pytest.mark.parametrize("name", BREAKAGES)
def test_each_broken_assumption_is_reported(monkeypatch, name):
    target, attribute, replacement, expected = BREAKAGES[name]
    if replacement is None:
        monkeypatch.delattr(target, attribute)
    else:
        monkeypatch.setattr(target, attribute, replacement)

    problems = aiortc_problems()
    assert len(problems) == 1 and expected in problems[0], problems
    with pytest.raises(AiortcIncompatible) as raised:
        check_aiortc()
    assert raised.value.code == "AIORTC_INCOMPATIBLE"
    assert raised.value.extra["problems"] == problems


def test_import_fails_loudly_on_another_aiortc():
    code = "import aiortc; aiortc.__version__ = '1.17.0'; import motmedia.conference"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "AiortcIncompatible" in result.stderr and "1.17.0" in result.stderr


async def test_passthrough_refuses_a_receiver_that_already_decodes(lab):
    pub, sub = lab.pc(), lab.pc()
    pub.addTrack(lab.CounterTrack())
    await lab.negotiate(pub, sub)
    (transceiver,) = sub.getTransceivers()
    await transceiver.receiver.track.recv()
    with pytest.raises(ReceiverStarted):
        passthrough_track(transceiver.receiver)
