"""Raw faster-whisper vs the motmedia call pipeline, on the same inputs in one run.

Baseline: ``WhisperModel.transcribe`` called the plain way — sequential, beam 5, no VAD —
once per channel. Pipeline: :func:`motmedia.stt.transcribe` with its defaults (VAD,
batched decoding of both channels, word timestamps, beam 5). Both share one loaded model
and get the same decoded float32 samples; decoding the file is not timed for either.

Throughput is recording seconds per wall second (a 60 s stereo call counts 60 s).
Error is CER for Japanese (letters and digits after NFKC) and WER for English, pooled
over all channels of a set, against the script the audio was synthesised from.

    python -m benchmarks.stt                     # bundled base, CPU
    python -m benchmarks.stt --model large-v3 --device cuda --calls 16
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
import unicodedata
from importlib import metadata
from pathlib import Path
from typing import Any

import jiwer

from benchmarks.stt.inputs import RATE, Call, Clip, Synth, build_calls, build_clips
from motmedia.stt import TranscribeOptions, load_model, transcribe

RESULTS = Path(__file__).resolve().parent.parent / "results"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    model = load_model(
        args.model,
        data_dir=Path(args.data_dir),
        device=args.device,
        compute_type=args.compute_type,
        cpu_threads=args.cpu_threads,
    )
    synth = Synth()
    with tempfile.TemporaryDirectory() as folder:
        calls = build_calls(synth, args.calls, Path(folder), seed=args.seed)
        clips = build_clips(synth, args.clips)
    print(f"{len(calls)} calls ({sum(c.seconds for c in calls):.0f} s), {len(clips)} clips")
    _warm_up(model, clips[0])

    report: dict[str, Any] = {
        "machine": _machine(model),
        "settings": {
            "model": model.name,
            "device": model.device,
            "compute_type": model.compute_type,
            "beam_size": args.beam_size,
            "batch_size": args.batch_size,
            "language": "detected" if args.detect_language else "given",
            "seed": args.seed,
            "repeats": args.repeats,
        },
        "sets": {},
    }
    for label, items in (("stereo_calls", calls), ("mono_clips", clips)):
        compared = _compare(model, items, args)
        raw, ours = compared["raw"], compared["pipeline"]
        report["sets"][label] = {
            "files": len(items),
            "audio_seconds": round(sum(i.seconds for i in items), 2),
            "raw": raw,
            "pipeline": ours,
            "speedup": round(ours["throughput"] / raw["throughput"], 3),
        }
        print(
            f"{label}: raw {raw['throughput']:.2f}x, pipeline {ours['throughput']:.2f}x, "
            f"speedup {report['sets'][label]['speedup']:.2f}; errors raw {raw['error']} "
            f"pipeline {ours['error']}"
        )
    stereo = report["sets"]["stereo_calls"]
    report["goal"] = {
        "speedup_at_least": 1.5,
        "met": stereo["speedup"] >= 1.5
        and all(
            stereo["pipeline"]["error"][k] <= stereo["raw"]["error"][k]
            for k in stereo["raw"]["error"]
        ),
    }
    _write(report, Path(args.out))
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stt",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default=None, help="path or name; default bundled base")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--cpu-threads", type=int, default=0)
    parser.add_argument("--calls", type=int, default=6, help="stereo calls (alternating ja/en)")
    parser.add_argument("--clips", type=int, default=6, help="mono clips")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--detect-language",
        action="store_true",
        help="let both systems detect the language (default: tell both)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of N per file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default="var", help="where the bundled model is unpacked")
    parser.add_argument("--out", default=str(RESULTS))
    return parser


def _channels(item: Call | Clip) -> list[tuple[Any, str]]:
    if isinstance(item, Call):
        return list(zip(item.samples, item.reference, strict=True))
    return [(item.samples[0], item.reference)]


def _raw(model: Any, item: Call | Clip, args: argparse.Namespace) -> list[str]:
    texts = []
    for samples, _ in _channels(item):
        segments, _ = model.whisper.transcribe(
            samples,
            beam_size=args.beam_size,
            vad_filter=False,
            language=None if args.detect_language else item.language,
        )
        texts.append(_joiner(item).join(s.text for s in segments))
    return texts


def _pipeline(model: Any, item: Call | Clip, args: argparse.Namespace) -> list[str]:
    options = TranscribeOptions(
        language=None if args.detect_language else item.language,
        beam_size=args.beam_size,
        batch_size=args.batch_size,
    )
    transcript = transcribe(item.samples, model, options)
    return [
        _joiner(item).join(s.text for s in transcript.segments if s.channel == index)
        for index in range(len(_channels(item)))
    ]


def _compare(model: Any, items: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """Both systems on each item, alternating, ``repeats`` times; best time per item.

    Alternating spreads any background load over both sides; the best of N is the
    run least disturbed by it (noise only ever adds time). Outputs are deterministic
    (beam search, temperature 0 first), so the texts of the first repeat are scored.
    """
    systems = {"raw": _raw, "pipeline": _pipeline}
    best = {name: [float("inf")] * len(items) for name in systems}
    texts: dict[str, list[list[str]]] = {name: [] for name in systems}
    for repeat in range(args.repeats):
        for index, item in enumerate(items):
            for name, run in systems.items():
                started = time.perf_counter()
                output = run(model, item, args)
                best[name][index] = min(best[name][index], time.perf_counter() - started)
                if repeat == 0:
                    texts[name].append(output)
    audio = sum(item.seconds for item in items)
    result = {}
    for name in systems:
        wall = sum(best[name])
        hypotheses = [
            (item.language, reference, text)
            for item, outputs in zip(items, texts[name], strict=True)
            for (_, reference), text in zip(_channels(item), outputs, strict=True)
        ]
        result[name] = {
            "wall_seconds": round(wall, 2),
            "throughput": round(audio / wall, 3),
            "per_file_seconds": [round(t, 3) for t in best[name]],
            "error": _errors(hypotheses),
        }
    return result


def _joiner(item: Call | Clip) -> str:
    return "" if item.language == "ja" else " "


def _errors(hypotheses: list[tuple[str, str, str]]) -> dict[str, float]:
    error: dict[str, float] = {}
    for language, measure, normalise in (("ja", jiwer.cer, _norm_ja), ("en", jiwer.wer, _norm_en)):
        pairs = [(normalise(r), normalise(h)) for lang, r, h in hypotheses if lang == language]
        if pairs:
            key = "cer_ja" if language == "ja" else "wer_en"
            error[key] = round(float(measure([r for r, _ in pairs], [h for _, h in pairs])), 4)
    return error


# Whisper writes numbers as digits and may contract; the scripts spell them out. Both
# sides are brought to one form (as Whisper's own EnglishTextNormalizer would, which is
# not a dependency here), so formatting is not counted as a recognition error.
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty",
)  # fmt: skip
_NUMBERS = {word: str(value) for value, word in enumerate(_NUMBER_WORDS)}
_CONTRACTIONS = {
    "i'm": "i am", "it's": "it is", "you're": "you are", "we're": "we are",
    "they're": "they are", "that's": "that is", "i'll": "i will", "don't": "do not",
    "can't": "can not", "won't": "will not", "isn't": "is not", "let's": "let us",
}  # fmt: skip


def _norm_ja(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_KANJI_DIGITS).replace("十", "10")
    return "".join(c for c in text if unicodedata.category(c)[0] in ("L", "N")) or "-"


def _norm_en(text: str) -> str:
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()
    words = " ".join(_CONTRACTIONS.get(w, w) for w in words).split()
    words = [_NUMBERS.get(w, w) for w in words]
    # Digit strings one digit a word: "457291" and "four five seven ..." compare equal.
    return " ".join(" ".join(w) if w.isdigit() else w for w in words) or "-"


def _warm_up(model: Any, clip: Clip) -> None:
    # First calls pay for allocations and ONNX/CT2 initialisation; neither side should.
    list(model.whisper.transcribe(clip.samples[0], beam_size=1)[0])
    transcribe(clip.samples, model, TranscribeOptions(language=clip.language))


def _machine(model: Any) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            name: metadata.version(name)
            for name in ("faster-whisper", "ctranslate2", "onnxruntime", "av", "numpy", "motmedia")
        },
        "sample_rate": RATE,
    }
    if model.device == "cuda":
        import ctranslate2

        info["gpus"] = ctranslate2.get_cuda_device_count()
    return info


def _write(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    settings = report["settings"]
    stem = f"stt-{Path(settings['model']).name}-{settings['device']}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _plot(report, out / f"{stem}.png")
    print(f"wrote {out / stem}.json and .png")


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = report["sets"]
    labels = list(sets)
    figure, (speed, errors) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.38
    for offset, (key, colour) in enumerate((("raw", "#999999"), ("pipeline", "#1f77b4"))):
        xs = [i + (offset - 0.5) * width for i in range(len(labels))]
        values = [sets[label][key]["throughput"] for label in labels]
        speed.bar(xs, values, width, label=key, color=colour)
        for x, v in zip(xs, values, strict=True):
            speed.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    speed.set_xticks(range(len(labels)), [f"{lb}\n×{sets[lb]['speedup']:.2f}" for lb in labels])
    speed.set_ylabel("audio seconds per wall second")
    speed.set_title("Throughput (higher is better)")
    speed.legend()
    metrics = sorted({k for label in labels for k in sets[label]["raw"]["error"]})
    columns = [(label, m) for label in labels for m in metrics if m in sets[label]["raw"]["error"]]
    for offset, (key, colour) in enumerate((("raw", "#999999"), ("pipeline", "#1f77b4"))):
        xs = [i + (offset - 0.5) * width for i in range(len(columns))]
        values = [sets[label][key]["error"][m] for label, m in columns]
        errors.bar(xs, values, width, label=key, color=colour)
    errors.set_xticks(range(len(columns)), [f"{label}\n{m}" for label, m in columns], fontsize=8)
    errors.set_title("Error vs script (lower is better)")
    errors.legend()
    s = report["settings"]
    figure.suptitle(
        f"{s['model']} {s['device']}/{s['compute_type']}, beam {s['beam_size']}, "
        f"{report['machine']['cores']} cores: {report['machine']['cpu']}",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
