"""Japanese business prompts through TTS and back through the bundled Whisper model.

Used by ``test_roundtrip.py`` (which asserts on the numbers) and, run as a script from the
repository root, writes ``benchmarks/results/prompts-roundtrip.json``::

    .venv/bin/python -m tests.prompts.roundtrip

Each prompt is rendered twice, as the 16 kHz WAV the intelligibility check transcribes
and as the 8 kHz μ-law a caller hears on the PBX, and each render is transcribed. The
score is the product's own (``motmedia.prompts.intelligibility``): character error rate on
katakana readings. The orthographic CER (written forms, letters and digits only) is
recorded next to it to show why readings are compared: Whisper spelling 9時 for ９：００
or 一 for 1 is no error a caller hears.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motmedia.prompts.intelligibility import CER_THRESHOLD, PromptAudio, check_prompt
from motmedia.prompts.rendering import PromptSpec, spoken_text
from motmedia.stt.models import SpeechModel, ensure_bundled_model, load_model
from motmedia.tts.render import Renderer


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str


# What an office's PBX says: greeting, business hours, hold, recording notice, menu.
PROMPTS = (
    Prompt("greeting", "お電話ありがとうございます。株式会社オフィス24でございます。"),
    Prompt(
        "business_hours",
        "本日の営業は終了いたしました。営業時間は9時から17時30分までです。"
        "土日祝日はお休みをいただいております。",
    ),
    Prompt("hold", "ただいま電話が混み合っております。少々お待ちください。"),
    Prompt("recording_notice", "この通話は品質向上のため録音させていただきます。"),
    Prompt(
        "menu",
        "ご用件をお選びください。営業に関するお問い合わせは1を、"
        "サポートに関するお問い合わせは2を押してください。",
    ),
)
FORMATS = ("wav16k", "wav-ulaw")


def measure(renderer: Renderer, model: SpeechModel) -> list[dict[str, Any]]:
    """Render and transcribe every prompt in both formats; one dict per prompt."""
    from ..speech import cer as orthographic_cer

    rows = []
    for prompt in PROMPTS:
        spec = PromptSpec(prompt.name, "message", prompt.text, False, "ja", None)
        spoken = spoken_text(renderer, spec, None)
        row: dict[str, Any] = {"name": prompt.name, "text": prompt.text}
        for fmt in FORMATS:
            audio = renderer.render(prompt.text, options=spec.options, format=fmt).data
            started = time.perf_counter()
            check = check_prompt(PromptAudio(prompt.name, audio, spoken, "ja"), model)
            row["expected_reading"] = check.expected
            row[fmt] = {
                "cer": check.cer,
                "heard": check.heard,
                "heard_reading": check.heard_reading,
                "orthographic_cer": round(orthographic_cer(prompt.text, check.heard), 4),
                "check_seconds": round(time.perf_counter() - started, 3),
            }
        rows.append(row)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fmt in FORMATS:
        cers = [r[fmt]["cer"] for r in rows]
        ortho = [r[fmt]["orthographic_cer"] for r in rows]
        out[fmt] = {
            "mean_cer": round(statistics.fmean(cers), 4),
            "max_cer": max(cers),
            "flagged": sum(c > CER_THRESHOLD for c in cers),
            "mean_orthographic_cer": round(statistics.fmean(ortho), 4),
        }
    return out


def main(data_dir: Path) -> Path:
    from benchmarks.common import machine, write_results

    model_dir = ensure_bundled_model(data_dir)
    model = load_model(str(model_dir), data_dir=data_dir, device="cpu", compute_type="int8")
    with Renderer(cache_dir=None) as renderer:
        rows = measure(renderer, model)
    data = {
        "name": "prompts-roundtrip",
        "what": "Japanese business prompts: Open JTalk (mei) → bundled Whisper base",
        "metric": "character error rate on katakana readings (Open JTalk front end), "
        "the intelligibility check's own score; orthographic CER for comparison",
        "model": {"name": model.name, "device": model.device, "compute_type": model.compute_type},
        "voice": "ja_JP-mei-normal",
        "formats": {
            "wav16k": "16 kHz PCM WAV (what the check transcribes)",
            "wav-ulaw": "8 kHz G.711 μ-law WAV (what a caller hears)",
        },
        "flag_threshold": CER_THRESHOLD,
        "summary": summary(rows),
        "prompts": rows,
        "machine": machine(("faster-whisper", "ctranslate2", "pyopenjtalk-plus")),
    }
    return write_results("prompts-roundtrip", data)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)))
