"""Wire shapes of the prompt library."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from motmedia.prompts import intelligibility
from motmedia.prompts.ivr import Menu, options_of, tree_depth
from motmedia.prompts.ivr import Target as _Target
from motmedia.prompts.models import CheckColumns, IvrMenu, MessageSlot

__all__ = [
    "CheckOut",
    "IvrIn",
    "IvrOut",
    "MenuIn",
    "MenuOut",
    "OptionIn",
    "SlotIn",
    "SlotOut",
]

Language = Literal["ja", "en"]


class SlotIn(BaseModel):
    kind: Literal["hold", "recording_notice"] = "hold"
    text: str = Field(min_length=1, max_length=2000)
    ssml: bool = Field(default=False, description="text is an SSML document (see docs/tts.md)")
    language: Language = "ja"
    voice: str | None = Field(default=None, max_length=64)


class PromptCheckOut(BaseModel):
    prompt: str = Field(description="message, or main / timeout / invalid for a menu")
    cer: float
    expected: str = Field(description="reading the prompt should have (kana for Japanese)")
    heard: str = Field(description="what the speech model transcribed")


class CheckOut(BaseModel):
    """The round-trip intelligibility check of the row's rendered prompts."""

    status: Literal["pending", "done", "failed", "unchecked"]
    cer: float | None = Field(description="worst character error rate over the row's prompts")
    flagged: bool | None = Field(description="cer above the threshold: listen to the prompt")
    threshold: float = intelligibility.CER_THRESHOLD
    checked_at: datetime | None
    prompts: list[PromptCheckOut] = Field(default_factory=list)
    error: str | None = None

    @classmethod
    def of(cls, row: CheckColumns) -> CheckOut:
        details = intelligibility.check_details(row.check_json)
        prompts = [
            PromptCheckOut(prompt=p["name"], cer=p["cer"], expected=p["expected"], heard=p["heard"])
            for p in details.get("prompts", [])
        ]
        return cls(
            status=row.check_status or "unchecked",
            cer=row.cer,
            flagged=intelligibility.flagged(row.cer),
            checked_at=row.checked_at,
            prompts=prompts,
            error=details.get("error"),
        )


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: str
    slot: int
    kind: str
    text: str
    ssml: bool
    language: str
    voice: str | None
    created_at: datetime
    updated_at: datetime
    cer: float | None = Field(description="round-trip character error rate (null until checked)")
    cer_flagged: bool | None = Field(description="true when cer is above check.threshold")
    check: CheckOut
    audio_url: str

    @classmethod
    def of(cls, row: MessageSlot) -> SlotOut:
        check = CheckOut.of(row)
        return cls(
            device_id=row.device_id,
            slot=row.slot,
            kind=row.kind,
            text=row.text,
            ssml=row.ssml,
            language=row.language,
            voice=row.voice,
            created_at=row.created_at,
            updated_at=row.updated_at,
            cer=check.cer,
            cer_flagged=check.flagged,
            check=check,
            audio_url=f"/v1/devices/{row.device_id}/messages/{row.slot}/audio",
        )


class OptionIn(BaseModel):
    """Where a key leads: ``{"menu": "sales"}`` or ``{"extension": "201"}``."""

    model_config = ConfigDict(extra="forbid")

    menu: str | None = Field(default=None, max_length=64)
    extension: str | None = Field(default=None, max_length=64)


class MenuIn(BaseModel):
    name: str = Field(max_length=64, description="a-z, 0-9, - and _; becomes the file name")
    text: str = Field(max_length=4000, description="the menu prompt")
    options: dict[str, OptionIn] = Field(max_length=20, description='key → target, e.g. "1"')
    timeout_s: int = Field(default=5, description="seconds to wait for a key (1-60)")
    timeout_text: str | None = Field(default=None, max_length=4000)
    invalid_text: str | None = Field(default=None, max_length=4000)

    def target(self, digit: str) -> _Target:
        option = self.options[digit]
        return _Target(option.menu, option.extension)


class IvrIn(BaseModel):
    """The whole IVR tree of a device; a PUT replaces the previous tree."""

    root: str = Field(default="main", max_length=64, description="the menu callers hear first")
    language: Language = "ja"
    voice: str | None = Field(default=None, max_length=64)
    ssml: bool = False
    menus: list[MenuIn] = Field(min_length=1, max_length=200)

    def tree_menus(self) -> list[Menu]:
        """The menus as :func:`~motmedia.prompts.ivr.validate_tree` takes them."""
        return [
            Menu(
                m.name,
                m.text,
                {d: m.target(d) for d in m.options},
                m.timeout_s,
                m.timeout_text,
                m.invalid_text,
            )
            for m in self.menus
        ]


class MenuOut(BaseModel):
    name: str
    root: bool
    text: str
    timeout_text: str | None
    invalid_text: str | None
    options: dict[str, dict[str, str]]
    timeout_s: int
    updated_at: datetime
    cer: float | None
    cer_flagged: bool | None
    check: CheckOut
    audio_url: str

    @classmethod
    def of(cls, row: IvrMenu) -> MenuOut:
        check = CheckOut.of(row)
        return cls(
            name=row.name,
            root=row.is_root,
            text=row.text,
            timeout_text=row.timeout_text,
            invalid_text=row.invalid_text,
            options=options_of(row),
            timeout_s=row.timeout_s,
            updated_at=row.updated_at,
            cer=check.cer,
            cer_flagged=check.flagged,
            check=check,
            audio_url=f"/v1/devices/{row.device_id}/ivr/{row.name}/audio",
        )


class IvrOut(BaseModel):
    device_id: str
    root: str
    language: str
    voice: str | None
    ssml: bool
    depth: int = Field(description="levels; 1 = the root alone")
    multilevel: bool = Field(description="depth > 1: needs ivr.multilevel")
    cer: float | None = Field(description="worst cer over all menus (null until all checked)")
    cer_flagged: bool | None
    menus: list[MenuOut]

    @classmethod
    def of(cls, rows: list[IvrMenu]) -> IvrOut:
        root = next(r for r in rows if r.is_root)
        graph = {r.name: {d: _Target(**t) for d, t in options_of(r).items()} for r in rows}
        depth = tree_depth(root.name, graph)
        cers = [r.cer for r in rows]
        worst = None if any(c is None for c in cers) else max(c for c in cers if c is not None)
        return cls(
            device_id=root.device_id,
            root=root.name,
            language=root.language,
            voice=root.voice,
            ssml=root.ssml,
            depth=depth,
            multilevel=depth > 1,
            cer=worst,
            cer_flagged=intelligibility.flagged(worst),
            menus=[MenuOut.of(r) for r in rows],
        )
