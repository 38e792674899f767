"""Turning stored prompts into audio: voice choice, file names, renders on the TTS pool.

A slot is one prompt; a menu is up to three (its text, and the optional timeout and
invalid-input texts). Each prompt has a stable file name (``message-01``, ``ivr-main``,
``ivr-main-timeout``) used by the downloads and the export. Renders go through the
renderer's bounded pool and its content-addressed cache: a prompt rendered at write time
(16 kHz, for the check) costs only a cache read on download, and other formats are
rendered on first download and cached from then on.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from motmedia.errors import BadInput
from motmedia.prompts.intelligibility import CheckJob, PromptAudio
from motmedia.prompts.ivr import Tree
from motmedia.prompts.models import IvrMenu, MessageSlot
from motmedia.tts.base import SynthesisOptions
from motmedia.tts.render import Renderer, RenderResult, spoken_plan
from motmedia.tts.ssml import Speech

__all__ = [
    "CHECK_FORMAT",
    "MENU_PROMPTS",
    "Prerendered",
    "PromptSpec",
    "check_voice",
    "combined_key",
    "menu_prompts",
    "menu_row_prompts",
    "prerender",
    "render",
    "render_many",
    "slot_name",
    "slot_prompt",
    "spoken_text",
    "tree_prompts",
]

# The check transcribes the wideband render: it is what Whisper expects (16 kHz) and the
# best copy of the prompt; the 8 kHz files differ only by the band limit.
CHECK_FORMAT = "wav16k"
MENU_PROMPTS = ("main", "timeout", "invalid")


@dataclass(frozen=True)
class PromptSpec:
    """One prompt to render: its file name, text and how to speak it."""

    name: str
    role: str  # "message" for slots; "main" | "timeout" | "invalid" for menus
    text: str
    ssml: bool
    language: str
    voice: str | None

    @property
    def options(self) -> SynthesisOptions:
        # No explicit voice: the language picks it (``ja`` → mei, ``en`` → Piper joe).
        return SynthesisOptions(voice=self.voice or self.language, ssml=self.ssml)


def check_voice(renderer: Renderer, *, language: str, voice: str | None) -> None:
    """Refuse a voice that speaks another language than the prompt's (422)."""
    if voice is None:
        return
    spoken = renderer.registry.resolve(voice).language.split("-")[0]
    if spoken != language:
        raise BadInput(
            f"voice {voice!r} speaks {spoken!r}, but the prompt's language is {language!r}.",
            code="VOICE_LANGUAGE_MISMATCH",
        )


def slot_name(slot: int) -> str:
    return f"message-{slot:02d}"


def slot_prompt(row: MessageSlot) -> PromptSpec:
    return PromptSpec(slot_name(row.slot), "message", row.text, row.ssml, row.language, row.voice)


def menu_prompts(
    name: str,
    texts: Mapping[str, str | None],
    *,
    ssml: bool,
    language: str,
    voice: str | None,
) -> list[PromptSpec]:
    """A menu's prompts that have text (``texts``: role → text), main first."""
    return [
        PromptSpec(
            f"ivr-{name}" if role == "main" else f"ivr-{name}-{role}",
            role,
            text,
            ssml,
            language,
            voice,
        )
        for role in MENU_PROMPTS
        if (text := texts.get(role))
    ]


def menu_row_prompts(row: IvrMenu) -> list[PromptSpec]:
    texts = {"main": row.text, "timeout": row.timeout_text, "invalid": row.invalid_text}
    return menu_prompts(row.name, texts, ssml=row.ssml, language=row.language, voice=row.voice)


def spoken_text(
    renderer: Renderer, prompt: PromptSpec, dictionary: Mapping[str, str] | None
) -> str:
    """The prompt's spoken form (reading rules and dictionary applied): what it should say."""
    voice = renderer.registry.resolve(prompt.options.voice)
    plan = spoken_plan(prompt.text, voice=voice, ssml=prompt.ssml, dictionary=dictionary)
    joiner = "" if voice.language.startswith("ja") else " "
    return joiner.join(p.text for p in plan if isinstance(p, Speech))


async def render(
    renderer: Renderer,
    prompt: PromptSpec,
    *,
    format: str,
    dictionary: Mapping[str, str] | None,
) -> RenderResult:
    """Render one prompt on the renderer's pool, awaiting it without blocking the loop."""
    future = renderer.submit(
        prompt.text, options=prompt.options, format=format, dictionary=dictionary
    )
    return await asyncio.wrap_future(future)


async def render_many(
    renderer: Renderer,
    prompts: Sequence[PromptSpec],
    *,
    formats: Sequence[str],
    dictionary: Mapping[str, str] | None,
) -> dict[tuple[str, str], RenderResult]:
    """Every prompt in every format, concurrently; keyed by (prompt name, format)."""
    jobs = [(p, f) for p in prompts for f in formats]
    results = await asyncio.gather(
        *(render(renderer, p, format=f, dictionary=dictionary) for p, f in jobs)
    )
    return {(p.name, f): r for (p, f), r in zip(jobs, results, strict=True)}


def tree_prompts(tree: Tree) -> dict[str, list[PromptSpec]]:
    """Each menu's prompts, by menu name."""
    return {
        m.name: menu_prompts(
            m.name,
            {"main": m.text, "timeout": m.timeout_text, "invalid": m.invalid_text},
            ssml=tree.ssml,
            language=tree.language,
            voice=tree.voice,
        )
        for m in tree.menus
    }


def combined_key(keys: Sequence[str]) -> str:
    """One key for a row with several prompts: changes when any prompt's render changes."""
    if len(keys) == 1:
        return keys[0]
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


@dataclass(frozen=True)
class Prerendered:
    """The :data:`CHECK_FORMAT` renders of rows' prompts, made before the rows are stored.

    Rendering first turns bad text, SSML or voices into a 422 before anything is written,
    gives each row its render key, and hands the audio to the check without a second render.
    """

    prompts: Mapping[str, Sequence[PromptSpec]]  # row (slot or menu name) → its prompts
    renders: Mapping[str, RenderResult]  # prompt name → render
    dictionary: Mapping[str, str] | None

    def key(self, row: str) -> str:
        return combined_key([self.renders[p.name].key for p in self.prompts[row]])

    def keys(self) -> dict[str, str]:
        return {row: self.key(row) for row in self.prompts}

    def check_job(self, renderer: Renderer, *, table: str, row_id: str, row: str) -> CheckJob:
        """The round-trip check of ``row``'s prompts, stored on ``table``'s ``row_id``."""
        audio = tuple(
            PromptAudio(
                p.role,
                self.renders[p.name].data,
                spoken_text(renderer, p, self.dictionary),
                p.language,
            )
            for p in self.prompts[row]
        )
        dictionary = dict(self.dictionary) if self.dictionary else None
        return CheckJob(table, row_id, self.key(row), audio, dictionary)


async def prerender(
    renderer: Renderer,
    prompts: Mapping[str, Sequence[PromptSpec]],
    *,
    dictionary: Mapping[str, str] | None,
) -> Prerendered:
    """Render every row's prompts in :data:`CHECK_FORMAT`, concurrently on the pool."""
    flat = [p for specs in prompts.values() for p in specs]
    renders = await render_many(renderer, flat, formats=[CHECK_FORMAT], dictionary=dictionary)
    return Prerendered(prompts, {name: r for (name, _), r in renders.items()}, dictionary)
