"""``motmedia say``: render a prompt to a file from the command line.

The main CLI mounts :data:`app` with ``main.add_typer(tts.cli.app)`` (no name: ``say`` joins
``motmedia`` itself). Bad input gets one line on stderr (``error: reason (CODE)``) and exit
status 2, the convention of the rest of ``motmedia``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from motmedia.config import Settings
from motmedia.errors import BadInput, MotMediaError
from motmedia.media.encode import FORMATS
from motmedia.tts.base import SynthesisOptions
from motmedia.tts.render import Renderer
from motmedia.tts.voices import list_voices

__all__ = ["app", "format_for_path"]

app = typer.Typer(help="Text to speech.", add_completion=False, no_args_is_help=True)

_BY_EXTENSION = {".wav": "wav", ".mp3": "mp3", ".opus": "opus", ".ogg": "opus"}
_BY_EXTENSION.update({f.extension: f.name for f in FORMATS.values() if f.extension != ".wav"})


def format_for_path(path: Path) -> str:
    """The default format for an output file name (``.ulaw`` → ``ulaw``; unknown → ``wav``)."""
    return _BY_EXTENSION.get(path.suffix.lower(), "wav")


def _read_dictionary(path: Path) -> dict[str, str]:
    # Tab-separated "word<TAB>reading" lines: the simplest thing to keep in a spreadsheet.
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, sep, reading = line.partition("\t")
        if not sep:
            raise BadInput(f"{path}:{number}: expected word<TAB>reading", code="INVALID_READING")
        entries[word.strip()] = reading.strip()
    return entries


@app.command("say")
def say(
    text: Annotated[str, typer.Argument(help="Text or SSML to speak; - reads stdin.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    voice: Annotated[
        str | None, typer.Option("--voice", "-v", help="Voice id or language (ja, en).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)} (default: by suffix)."),
    ] = None,
    ssml: Annotated[bool, typer.Option("--ssml", help="The text is SSML.")] = False,
    speed: Annotated[float, typer.Option(help="Speaking rate, 0.5–2.0.")] = 1.0,
    pitch: Annotated[float, typer.Option(help="Pitch shift in semitones (Open JTalk).")] = 0.0,
    dictionary: Annotated[
        Path | None, typer.Option(help="Reading dictionary: word<TAB>reading per line.")
    ] = None,
    cache: Annotated[bool, typer.Option(help="Use the prompt cache in <data_dir>.")] = True,
) -> None:
    """Render TEXT to OUTPUT, e.g. ``motmedia say "お電話ありがとうございます" -o hello.ulaw``."""
    try:
        source = sys.stdin.read() if text == "-" else text
        options = SynthesisOptions(voice=voice, speed=speed, pitch=pitch, ssml=ssml)
        words = _read_dictionary(dictionary) if dictionary else None
        cache_dir = Settings().data_dir / "tts-cache" if cache else None
        with Renderer(cache_dir=cache_dir, workers=1) as renderer:
            result = renderer.render(
                source, options=options, format=fmt or format_for_path(output), dictionary=words
            )
        output.write_bytes(result.data)
    except MotMediaError as exc:
        typer.echo(f"error: {exc.detail} ({exc.code})", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: {exc} (IO_ERROR)", err=True)
        raise typer.Exit(2) from None
    hit = ", from cache" if result.cache_hit else ""
    typer.echo(f"{output}: {result.format}, {result.voice}, {len(result.data)} bytes{hit}")


@app.command("voices")
def voices() -> None:
    """List the installed voices."""
    for v in list_voices():
        typer.echo(f"{v.id}\t{v.language}\t{v.engine}\t{v.sample_rate} Hz")
