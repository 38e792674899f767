"""``motmedia transcribe``: transcribe recordings from the command line.

The main CLI mounts :data:`app` with ``main.add_typer(stt.cli.app)`` (no name: the
command joins ``motmedia`` itself); on its own, ``app`` runs the one command. Each file
is decoded, transcribed and written (or printed) in turn; a file that cannot be read gets
one line on stderr (``error: FILE: reason (CODE)``) and the others still run. The exit status is 0
when every file succeeded, 2 otherwise — the same convention as the rest of ``motmedia``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from motmedia.config import Settings
from motmedia.errors import MotMediaError
from motmedia.media.decode import DecodedAudio, decode
from motmedia.stt.formats import Format, render, to_json
from motmedia.stt.metrics import call_metrics
from motmedia.stt.models import SpeechModel, load_model
from motmedia.stt.pipeline import SAMPLE_RATE, TranscribeOptions, transcribe
from motmedia.stt.transcript import Transcript

__all__ = ["OutputFormat", "app"]

app = typer.Typer(help="Speech to text.", add_completion=False, no_args_is_help=True)


class OutputFormat(StrEnum):
    json = "json"
    txt = "txt"
    srt = "srt"
    vtt = "vtt"


@app.command("transcribe")
def transcribe_command(
    files: Annotated[list[Path], typer.Argument(help="Audio or video files.", show_default=False)],
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="ja, en, … (default: detect).")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.txt
    ),
    model: Annotated[
        str | None, typer.Option(help="Model directory or name (default: bundled base).")
    ] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    parties: Annotated[
        str | None, typer.Option(help="Party per channel, comma-separated: caller,agent.")
    ] = None,
    hotword: Annotated[
        list[str] | None, typer.Option("--hotword", help="Vocabulary hint (repeatable).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="Write FILE-STEM.FORMAT here.")
    ] = None,
    metrics: Annotated[bool, typer.Option(help="Add talk metrics to JSON output.")] = True,
) -> None:
    """Transcribe FILES; print the result or write one file per input with -o."""
    settings = Settings()
    err = Console(stderr=True)
    options = TranscribeOptions(
        language=language,
        parties=tuple(p for p in parties.split(",")) if parties else None,
        hotwords=tuple(hotword or ()),
    )
    model_spec = model or settings.stt_model
    speech_model: SpeechModel | None = None
    failed = 0
    for path in files:
        try:
            audio = decode(
                path,
                sample_rate=SAMPLE_RATE,
                max_seconds=settings.max_audio_seconds,
                max_bytes=settings.max_upload_bytes,
            )
        except MotMediaError as exc:
            failed += 1
            _fail(exc, path)
            continue
        if speech_model is None:  # loaded on first use: bad input fails without the wait
            try:
                speech_model = load_model(
                    model_spec,
                    data_dir=settings.data_dir,
                    device=device or settings.stt_device,
                    compute_type=settings.stt_compute_type,
                    cpu_threads=settings.stt_cpu_threads,
                )
            except MotMediaError as exc:
                _fail(exc)
                raise typer.Exit(2) from exc
        try:
            transcript = _run(path, audio, speech_model, options, settings, err)
        except MotMediaError as exc:  # options the model refuses, e.g. an unknown language
            failed += 1
            _fail(exc, path)
            continue
        _emit(transcript, path, fmt.value, output, metrics=metrics, many=len(files) > 1)
    if failed:
        raise typer.Exit(2)


def _fail(exc: MotMediaError, path: Path | None = None) -> None:
    # Plain echo, not rich: the reason must stay on one line whatever the terminal width.
    where = f"{path}: " if path is not None else ""
    typer.echo(f"error: {where}{exc.detail} ({exc.code})", err=True)


def _run(
    path: Path,
    audio: DecodedAudio,
    model: SpeechModel,
    options: TranscribeOptions,
    settings: Settings,
    err: Console,
) -> Transcript:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s of audio"),
        TimeRemainingColumn(),
    )
    # Off when stderr is not a terminal: logs and CI should get results, not redraws.
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(path.name, total=audio.duration * audio.num_channels)
        return transcribe(
            audio,
            model,
            options,
            default_parties=settings.stt_parties,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _emit(
    transcript: Transcript,
    path: Path,
    fmt: Format,
    output: Path | None,
    *,
    metrics: bool,
    many: bool,
) -> None:
    extra = call_metrics(transcript) if metrics else None
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        target = output / f"{path.stem}.{fmt}"
        target.write_text(render(transcript, fmt, metrics=extra), encoding="utf-8")
        return
    if fmt == "json" and many:  # JSON Lines: one object per input, parseable as a stream
        document = {"file": str(path), **to_json(transcript, extra)}
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    if many:
        typer.echo(f"==> {path} <==")
    typer.echo(render(transcript, fmt, metrics=extra), nl=False)
