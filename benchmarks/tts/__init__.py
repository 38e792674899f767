"""Text-to-speech throughput benchmark; run with ``python -m benchmarks.tts``."""
