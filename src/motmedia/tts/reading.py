"""Japanese reading rules: rewrite text so Open JTalk says it the way a phone prompt should.

:func:`normalize` runs, in order: NFKC (full-width digits and symbols to ASCII), the tenant's
reading dictionary, then :data:`RULES`, and returns NFC text. Each rule rewrites into one of
two forms, chosen by what Open JTalk reads right:

* **katakana**, frozen, for what must be read digit by digit (phone, extension and postal
  numbers) and for symbols: Open JTalk speaks katakana exactly as written, and no later rule
  may touch it again;
* **canonical Japanese notation** for dates, times, ranges and amounts ("17:30" → "17時30分",
  "¥15,000" → "15000円"): the dictionary then picks the counter readings (くじ, ついたち,
  じゅっぷん) and a natural accent, which a long katakana run would lose.

The tests check every rule's output through ``pyopenjtalk.g2p`` so an upgrade that reads a
form differently is caught.

Keypad symbols: ``#`` is シャープ, as Japanese phone guidance says it. ``*`` is read コメジルシ
("米印を押してください"), the customary name of the star key in Japanese IVR scripts; アスタリスク
and ほし are also heard, and a tenant that prefers one maps ``*`` in its reading dictionary,
which applies before these rules. ``※`` marks a written note and is not spoken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from motmedia.errors import BadInput
from motmedia.tts.numbers import PHONE_SEPARATORS, read_digits, read_phone

__all__ = [
    "RULES",
    "SAY_AS_KINDS",
    "Rule",
    "normalize",
    "prepare_dictionary",
    "say_as",
    "to_katakana",
]

_SEP = f"[{re.escape(PHONE_SEPARATORS)}]"
_RANGE = "[~〜\\-−–—―]"
_TERM = (
    r"(?:(?:午前|午後)?\d{1,2}時(?:\d{1,2}分|半)?"
    r"|(?:\d{4}年)?\d{1,2}月(?:\d{1,2}日)?(?:\([月火水木金土日祝]\))?"
    r"|\d{1,2}日(?:\([月火水木金土日祝]\))?"
    r"|\d+円)"
)
_WEEKDAY = "[月火水木金土日]"


@dataclass(frozen=True)
class Rule:
    """One rewrite: ``pattern`` matches, ``replace`` produces the spoken form.

    ``frozen`` output is final (katakana); other output stays visible to later rules, so a
    time produced by one rule can become the end of a range in the next.
    """

    name: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    frozen: bool
    example: tuple[str, str]


def _valid_date(month: str, day: str | None) -> bool:
    return 1 <= int(month) <= 12 and (day is None or 1 <= int(day) <= 31)


def _spoken_date(m: re.Match[str]) -> str | None:
    year, month, day = m.group("y"), m.group("m"), m.group("d")
    if not _valid_date(month, day):
        return None
    return f"{f'{int(year)}年' if year else ''}{int(month)}月{int(day)}日"


def _spoken_time(m: re.Match[str]) -> str | None:
    ampm, hour, minute, second = m.group("ampm") or "", m.group("h"), m.group("mi"), m.group("s")
    h, mi, sec = int(hour), int(minute), int(second or 0)
    if h > (12 if ampm else 24) or mi > 59 or sec > 59:
        return None
    # 0時 is read 零時 (れいじ) in announcements; Open JTalk would say ゼロジ.
    spoken = f"{ampm}{'零' if h == 0 else h}時"
    if mi:
        spoken += f"{mi}分"
    if sec:
        spoken += f"{sec}秒"
    return spoken


def _date(m: re.Match[str]) -> str:
    return _spoken_date(m) or m.group(0)


def _time(m: re.Match[str]) -> str:
    return _spoken_time(m) or m.group(0)


def _range(m: re.Match[str]) -> str:
    return f"{m.group('a')}から{m.group('b')}まで"


def _bare_range(m: re.Match[str]) -> str:
    unit = m.group("u")
    return f"{m.group('a')}{unit}から{m.group('b')}{unit}まで"


def _line_break(m: re.Match[str]) -> str:
    # A line that already ends in punctuation needs no extra pause.
    before = m.string[m.start() - 1] if m.start() else "。"
    return "" if before in "。、！？!?" else "、"


def _rule(
    name: str, pattern: str, replace: Callable[[re.Match[str]], str] | str, frozen: bool,
    example: tuple[str, str],
) -> Rule:  # fmt: skip
    fn = replace if callable(replace) else (lambda m, s=replace: m.expand(s))
    return Rule(name, re.compile(pattern), fn, frozen, example)


RULES: tuple[Rule, ...] = (
    _rule("postal code", r"〒\s*(\d{3})" + _SEP + r"(\d{4})(?!\d)",
          lambda m: f"郵便番号、{read_phone(m.group(1) + '-' + m.group(2))}、", True,
          ("〒160-0023", "郵便番号、イチロクゼロノ、ゼロゼロニーサン、")),
    _rule("phone number",
          r"(?<![\d.,])(?<!\d:)(?:\(0\d{1,4}\)\s?\d{1,4}" + _SEP + r"?\d{4}"
          r"|0\d{1,4}" + _SEP + r"\d{1,4}" + _SEP + r"\d{3,4}"
          r"|0\d{1,4}\(\d{1,4}\)\d{3,4}"
          r"|0[5789]0\d{8}|0\d{9})(?!\d)",
          lambda m: read_phone(m.group(0)), True,
          ("03-5330-1165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー")),
    _rule("extension number", r"(?:内線|(?i:ext)\.?)\s*[:.]?\s*(\d+)",
          lambda m: f"内線{read_digits(m.group(1))}", True, ("内線123", "内線イチニーサン")),
    _rule("year-month-day",
          r"(?<!\d)(?P<y>[12]\d{3})[/.\-年](?P<m>\d{1,2})[/.\-月](?P<d>\d{1,2})日?(?!\d)",
          _date, False, ("2019/04/01", "2019年4月1日")),
    _rule("month/day", r"(?<![\d/.])(?P<y>)(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])",
          _date, False, ("4/1", "4月1日")),
    _rule("clock time",
          r"(?<![\d:])(?P<ampm>午前|午後)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?![\d:])",
          _time, False, ("17:30", "17時30分")),
    _rule("zero minutes", r"(?<!\d)(\d{1,2})時0{1,2}分", r"\1時", False, ("9時00分", "9時")),
    _rule("leading zero", r"(?<!\d)0(\d)(?=[月日時分秒])", r"\1", False, ("04月01日", "4月1日")),
    _rule("midnight", r"(?<![\d零])0時", "零時", False, ("0時", "零時")),
    _rule("thousands separator", r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])",
          lambda m: m.group(0).replace(",", ""), False, ("15,000円", "15000円")),
    _rule("yen sign", r"¥\s*(\d+)円?", r"\1円", False, ("¥15000", "15000円")),
    _rule("range", rf"(?P<a>{_TERM})\s*{_RANGE}\s*(?P<b>{_TERM})(?:まで)?", _range, False,
          ("9時~17時30分", "9時から17時30分まで")),
    _rule("bare range",
          r"(?<![\d.])(?P<a>\d{1,7})\s*" + _RANGE
          + r"\s*(?P<b>\d{1,7})(?P<u>時|日|月|分|秒|円)(?:まで)?",
          _bare_range, False, ("9~17時", "9時から17時まで")),
    _rule("weekday range",
          rf"(?<!{_WEEKDAY})(?P<a>{_WEEKDAY})(?:曜日?)?\s*{_RANGE}\s*(?P<b>{_WEEKDAY})(?:曜日?)?(?:まで)?",
          r"\g<a>曜日から\g<b>曜日まで", False, ("月~金", "月曜日から金曜日まで")),
    # Open JTalk says テル and ファックス; a phone prompt says 電話 and ファクス.
    _rule("TEL/FAX label", r"(?<![A-Za-z])(?i:(tel|fax))(?![A-Za-z])[.:]?",
          lambda m: "電話" if m.group(1).lower() == "tel" else "ファクス", False,
          ("TEL:", "電話")),
    _rule("hash key", r"#", "シャープ", True, ("#", "シャープ")),
    _rule("star key", r"\*", "コメジルシ", True, ("*", "コメジルシ")),
    _rule("note mark", r"※\s*", "", True, ("※", "")),
    _rule("line break", r"[ \t]*\r?\n\s*", _line_break, False, ("はい\nいいえ", "はい、いいえ")),
)  # fmt: skip

_Segments = list[tuple[str, bool]]  # (text, frozen)


def to_katakana(text: str) -> str:
    """Hiragana to katakana (U+3041–3096 shift by 0x60); everything else unchanged."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


_READING_CHARS = re.compile(r"^[\u3041-\u3096\u30a1-\u30faー・、 ]+$")


def prepare_dictionary(dictionary: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """Validate a tenant dictionary (word → reading in kana); longest words first.

    Readings are stored as katakana: in hiragana, Open JTalk would analyse them as words,
    so a name read はなこ followed by です becomes ワナコデス (は as the particle).
    """
    entries: list[tuple[str, str]] = []
    for word, reading in (dictionary or {}).items():
        key = unicodedata.normalize("NFKC", word).strip()
        value = unicodedata.normalize("NFKC", reading).strip()
        if not key or not _READING_CHARS.match(value):
            raise BadInput(
                f"reading for {word!r} must be kana, not {reading!r}", code="INVALID_READING"
            )
        entries.append((key, to_katakana(value)))
    return sorted(entries, key=lambda kv: len(kv[0]), reverse=True)


def _apply(segments: _Segments, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str],
           frozen: bool) -> _Segments:  # fmt: skip
    out: _Segments = []
    for text, done in segments:
        if done:
            out.append((text, True))
            continue
        pos = 0
        for m in pattern.finditer(text):
            out.append((text[pos : m.start()], False))
            out.append((replace(m), frozen))
            pos = m.end()
        out.append((text[pos:], False))
    merged: _Segments = []
    for text, done in out:
        if merged and not done and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, False)
        elif text or done:
            merged.append((text, done))
    return merged


def normalize(text: str, dictionary: Mapping[str, str] | None = None) -> str:
    """Rewrite Japanese ``text`` for Open JTalk; ``dictionary`` (word → kana) is applied first."""
    segments: _Segments = [(unicodedata.normalize("NFKC", text), False)]
    entries = prepare_dictionary(dictionary)
    if entries:
        pattern = re.compile("|".join(re.escape(word) for word, _ in entries))
        readings = dict(entries)
        segments = _apply(segments, pattern, lambda m: readings[m.group(0)], True)
    for rule in RULES:
        segments = _apply(segments, rule.pattern, rule.replace, rule.frozen)
    return unicodedata.normalize("NFC", "".join(text for text, _ in segments)).strip()


SAY_AS_KINDS = ("telephone", "digits", "date", "time")
_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})[/.\-年](?P<m>\d{1,2})[/.\-月](?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>)(?P<m>\d{1,2})[/月](?P<d>\d{1,2})日?"),
)
_TIME_FORMS = (
    re.compile(r"(?P<ampm>午前|午後)?(?P<h>\d{1,2})[:時](?P<mi>\d{1,2})分?(?:[:](?P<s>\d{2}))?"),
    re.compile(r"(?P<ampm>)(?P<h>\d{2})(?P<mi>\d{2})(?P<s>)"),
)


def say_as(kind: str, text: str) -> str:
    """The spoken form of SSML ``<say-as interpret-as=kind>text</say-as>``.

    Content that does not fit ``kind`` (a date that is not a date) is a ``BadInput``
    ``INVALID_SSML``: the author asked for a reading, and guessing another would hide the typo.
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if kind in ("telephone", "digits"):
        if not re.fullmatch(r"[\d#*\s()" + re.escape(PHONE_SEPARATORS) + "]+", value) or not any(
            c.isdigit() or c in "#*" for c in value
        ):
            raise BadInput(f"say-as {kind}: {text!r} is not a number", code="INVALID_SSML")
        return read_phone(value) if kind == "telephone" else read_digits(value)
    if kind not in SAY_AS_KINDS:
        raise BadInput(f"say-as {kind!r} is not supported", code="INVALID_SSML")
    forms, reader = (_DATE_FORMS, _spoken_date) if kind == "date" else (_TIME_FORMS, _spoken_time)
    for form in forms:
        m = form.fullmatch(value)
        spoken = reader(m) if m is not None else None
        if spoken is not None:
            return spoken
    raise BadInput(f"say-as {kind}: {text!r} is not a valid {kind}", code="INVALID_SSML")
