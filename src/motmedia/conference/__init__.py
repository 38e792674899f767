"""Conference SFU: forwards published WebRTC tracks to subscribers without decoding.

* :class:`Room` — the in-process API the signalling layer drives (publishers,
  subscribers, counters).
* :class:`TrackForwarder` — one published track fanned out to many subscribers.
* :func:`passthrough_track` — the aiortc hook (see :mod:`.passthrough`): a received
  track as encoded :class:`av.Packet` objects instead of decoded frames.
"""

from .exceptions import AiortcIncompatible, CodecMismatch, ReceiverStarted, TrackNotFound
from .forwarder import (
    ForwarderStats,
    ForwardingOptions,
    Subscription,
    TrackForwarder,
    codec_preferences,
)
from .pacing import PacingOptions
from .passthrough import (
    DecoderCounts,
    PassthroughTrack,
    decoder_counts,
    on_keyframe_request,
    passthrough_track,
)
from .relay import RelayTrack, SubscriberStats
from .room import Room, RoomStats, TrackInfo

__all__ = [
    "AiortcIncompatible",
    "CodecMismatch",
    "DecoderCounts",
    "ForwarderStats",
    "ForwardingOptions",
    "PacingOptions",
    "PassthroughTrack",
    "ReceiverStarted",
    "RelayTrack",
    "Room",
    "RoomStats",
    "SubscriberStats",
    "Subscription",
    "TrackForwarder",
    "TrackInfo",
    "TrackNotFound",
    "codec_preferences",
    "decoder_counts",
    "on_keyframe_request",
    "passthrough_track",
]
