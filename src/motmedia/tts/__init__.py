"""Text to speech: engines, Japanese reading rules, the SSML subset and prompt rendering.

Routes need three things: :class:`Renderer` (``render``/``submit``), :func:`list_voices` and
:data:`~motmedia.media.encode.FORMATS`.
"""

from motmedia.media.encode import FORMATS, Format
from motmedia.tts.base import Engine, SynthesisOptions, Voice
from motmedia.tts.reading import normalize
from motmedia.tts.render import Renderer, RenderResult, spoken_plan
from motmedia.tts.voices import DEFAULT_VOICE_ID, list_voices

__all__ = [
    "DEFAULT_VOICE_ID",
    "FORMATS",
    "Engine",
    "Format",
    "RenderResult",
    "Renderer",
    "SynthesisOptions",
    "Voice",
    "list_voices",
    "normalize",
    "spoken_plan",
]
