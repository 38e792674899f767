"""motmedia: the media backend of the MOT/PBX line (STT, TTS, SFU, entitlements)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
