"""The SSML subset prompts may use, parsed into a flat plan the renderer speaks piece by piece.

Supported (SSML 1.1 names): ``<speak>``, ``<p>`` and ``<s>`` (containers; a paragraph ends
with a pause), ``<break time="500ms|1.5s" strength="…"/>``, ``<say-as
interpret-as="telephone|digits|date|time">``, ``<sub alias="…">`` and ``<prosody
rate="x-slow|slow|medium|fast|x-fast|80%|+10%">``. Anything else is refused with
``INVALID_SSML`` rather than silently ignored, so an author learns at once that ``<audio>``
or ``<prosody pitch>`` will not be honoured.

Safety: documents longer than :data:`MAX_SSML_CHARS` are refused before parsing, and so is any
``<!DOCTYPE``/``<!ENTITY``; without a DTD no entity can be declared, so entity expansion
("billion laughs") and external entities cannot happen. Total ``<break>`` time is capped, so
a small document cannot ask for hours of silence.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from motmedia.errors import BadInput
from motmedia.tts.reading import SAY_AS_KINDS

__all__ = [
    "MAX_BREAK_MS",
    "MAX_SSML_CHARS",
    "MAX_TOTAL_BREAK_MS",
    "Piece",
    "Silence",
    "Speech",
    "parse_ssml",
]

MAX_SSML_CHARS = 10_000
MAX_BREAK_MS = 10_000
MAX_TOTAL_BREAK_MS = 60_000
PARAGRAPH_PAUSE_MS = 400

_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 250, "medium": 400, "strong": 750,
                "x-strong": 1200}  # fmt: skip
_RATE_WORDS = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25,
               "x-fast": 1.5}  # fmt: skip
_RATE_PERCENT = re.compile(r"^\s*([+-]?)(\d+(?:\.\d+)?)%\s*$")
_ALLOWED_ATTRS = {
    "speak": {"version", "lang", "base", "schemaLocation"},
    "p": {"lang"},
    "s": {"lang"},
    "break": {"time", "strength"},
    "say-as": {"interpret-as", "format", "detail"},
    "sub": {"alias"},
    "prosody": {"rate"},
}


@dataclass(frozen=True)
class Speech:
    """Text to speak at ``rate`` (a multiplier); ``say_as`` is ``None`` or a say-as kind."""

    text: str
    rate: float = 1.0
    say_as: str | None = None


@dataclass(frozen=True)
class Silence:
    """A pause of ``ms`` milliseconds."""

    ms: int


Piece = Speech | Silence


def _invalid(detail: str) -> BadInput:
    return BadInput(f"invalid SSML: {detail}", code="INVALID_SSML")


def _local(name: str) -> str:
    """Tag or attribute name without its namespace (``{uri}speak`` → ``speak``)."""
    return name.rsplit("}", 1)[-1]


def _break_ms(el: ET.Element) -> int:
    time, strength = el.get("time"), el.get("strength")
    if time is not None:
        m = _TIME.match(time)
        if m is None:
            raise _invalid(f'break time must look like "500ms" or "1.5s", not {time!r}')
        ms = float(m.group(1)) * (1000.0 if m.group(2) == "s" else 1.0)
    elif strength is not None:
        if strength not in _STRENGTH_MS:
            raise _invalid(f"break strength {strength!r} is not one of {', '.join(_STRENGTH_MS)}")
        ms = _STRENGTH_MS[strength]
    else:
        ms = _STRENGTH_MS["medium"]
    if ms > MAX_BREAK_MS:
        raise _invalid(f"a break may last at most {MAX_BREAK_MS} ms")
    return round(ms)


def _rate(value: str) -> float:
    if value in _RATE_WORDS:
        return _RATE_WORDS[value]
    m = _RATE_PERCENT.match(value)
    if m is None:
        raise _invalid(f"prosody rate {value!r} is not a keyword or a percentage")
    number = float(m.group(2)) / 100.0
    # "+10%" is relative to the current rate (SSML 1.1 §3.2.4); "80%" is a multiplier.
    rate = 1.0 + number if m.group(1) == "+" else 1.0 - number if m.group(1) == "-" else number
    if rate <= 0.0:
        raise _invalid(f"prosody rate {value!r} is not positive")
    return rate


class _Planner:
    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.pieces: list[Piece] = []
        self.silence_ms = 0

    def text(self, text: str | None, rate: float) -> None:
        collapsed = " ".join((text or "").split())
        if not collapsed:
            return
        last = self.pieces[-1] if self.pieces else None
        # Inline markup must not split a sentence: Open JTalk phrases across the whole run.
        if isinstance(last, Speech) and last.say_as is None and last.rate == rate:
            self.pieces[-1] = Speech(f"{last.text} {collapsed}".strip(), rate)
        else:
            self.pieces.append(Speech(collapsed, rate))

    def pause(self, ms: int) -> None:
        self.silence_ms += ms
        if self.silence_ms > MAX_TOTAL_BREAK_MS:
            raise BadInput(
                f"SSML breaks add up to more than {MAX_TOTAL_BREAK_MS} ms", code="SSML_TOO_LARGE"
            )
        if ms:
            self.pieces.append(Silence(ms))

    def element(self, el: ET.Element, rate: float) -> None:
        tag = _local(el.tag)
        if tag not in _ALLOWED_ATTRS:
            raise _invalid(f"<{tag}> is not supported")
        extra = {_local(a) for a in el.attrib} - _ALLOWED_ATTRS[tag]
        if extra:
            raise _invalid(f"<{tag}> does not support {', '.join(sorted(extra))}")
        if tag == "speak" and el is not self.root:
            raise _invalid("<speak> cannot be nested")
        if tag == "break":
            if len(el) or (el.text or "").strip():
                raise _invalid("<break> must be empty")
            self.pause(_break_ms(el))
        elif tag in ("say-as", "sub"):
            if len(el):
                raise _invalid(f"<{tag}> may contain only text")
            if tag == "sub":
                self.text(el.get("alias") or "", rate)
            else:
                kind = el.get("interpret-as", "")
                if kind not in SAY_AS_KINDS:
                    raise _invalid(f"say-as interpret-as must be one of {', '.join(SAY_AS_KINDS)}")
                self.pieces.append(Speech(" ".join((el.text or "").split()), rate, kind))
        else:
            if tag == "p" and self.pieces:
                # Between paragraphs only: a pause before the first would just delay the start.
                self.pause(PARAGRAPH_PAUSE_MS)
            inner = rate * _rate(el.get("rate", "medium")) if tag == "prosody" else rate
            self.text(el.text, inner)
            for child in el:
                self.element(child, inner)
                self.text(child.tail, inner)

    def plan(self) -> list[Piece]:
        if _local(self.root.tag) != "speak":
            raise _invalid(f"the root element must be <speak>, not <{_local(self.root.tag)}>")
        self.element(self.root, 1.0)
        return self.pieces


def parse_ssml(source: str) -> list[Piece]:
    """Parse an SSML document into speech and silence pieces, in order."""
    if len(source) > MAX_SSML_CHARS:
        raise BadInput(
            f"SSML is limited to {MAX_SSML_CHARS} characters, got {len(source)}",
            code="SSML_TOO_LARGE",
        )
    if _DTD.search(source):
        raise _invalid("DOCTYPE and ENTITY declarations are not allowed")
    try:
        # Safe without defusedxml: the DTD check above leaves no way to declare an entity.
        root = ET.fromstring(source)  # noqa: S314
    except ET.ParseError as exc:
        raise _invalid(str(exc)) from exc
    return _Planner(root).plan()
