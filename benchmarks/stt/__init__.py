"""Speech-to-text throughput benchmark: raw faster-whisper vs the motmedia call pipeline."""
