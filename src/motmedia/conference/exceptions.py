"""Errors of the conference SFU, all within the one :mod:`motmedia.errors` hierarchy."""

from __future__ import annotations

from motmedia.errors import Conflict, MotMediaError, NotFound, UnsupportedMedia

__all__ = [
    "AiortcIncompatible",
    "CodecMismatch",
    "ReceiverStarted",
    "TrackNotFound",
]


class AiortcIncompatible(MotMediaError):
    """The installed aiortc lacks a private name the passthrough hook relies on.

    Raised at import time so that an aiortc upgrade fails loudly instead of silently
    falling back to decoding every received track.
    """

    code = "AIORTC_INCOMPATIBLE"
    title = "The installed aiortc is not supported by the SFU"


class ReceiverStarted(Conflict):
    """Passthrough was requested for a receiver whose decoder thread already runs."""

    code = "RECEIVER_STARTED"
    title = "The receiver has already started decoding"


class CodecMismatch(UnsupportedMedia):
    """A subscriber cannot be sent the publisher's codec without transcoding."""

    code = "CODEC_MISMATCH"
    title = "The subscriber cannot receive the publisher's codec"


class TrackNotFound(NotFound):
    code = "TRACK_NOT_FOUND"
    title = "No such published track"
