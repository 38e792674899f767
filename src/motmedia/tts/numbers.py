"""Readers for numbers that must be spoken one digit at a time: phone, extension, postal code.

Japanese phone readouts say every digit with two-mora forms (ゼロ, ニー, ゴー, キュー), so that
short digits cannot be misheard, and put ノ and a short pause between the groups:
03-5330-1165 → ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー. Open JTalk on its own reads
"03-5330-1165" as ゼロサン−ゴー… without pauses and "123" as ヒャクニジューサン, so these parts
are written out in katakana, which Open JTalk speaks exactly as written.

Dates, times and amounts are *not* handled here: Open JTalk's dictionary reads "17時30分" and
"15000円" correctly and with natural accent, so :mod:`motmedia.tts.reading` rewrites those into
that form instead of kana (a katakana run is read as one flat, unknown word).
"""

from __future__ import annotations

import re

__all__ = [
    "DIGIT_KANA",
    "GROUP_JOINER",
    "PHONE_SEPARATORS",
    "read_digits",
    "read_phone",
    "split_phone",
]

DIGIT_KANA = {
    "0": "ゼロ",  # not レイ/マル: ゼロ is what Japanese phone readouts and IVRs say
    "1": "イチ",
    "2": "ニー",  # lengthened: a bare ニ is easily lost on a narrowband line
    "3": "サン",
    "4": "ヨン",  # not シ, which sounds like シチ (7) and is avoided
    "5": "ゴー",  # lengthened, as ニー
    "6": "ロク",
    "7": "ナナ",  # not シチ, for the same reason
    "8": "ハチ",
    "9": "キュー",  # not ク
}
KEY_KANA = {"#": "シャープ", "*": "コメジルシ"}
GROUP_JOINER = "ノ、"
# Hyphen-like characters people type between groups, after NFKC; ー (the long-vowel mark) is
# common from Japanese input methods.
PHONE_SEPARATORS = "-‐‑‒–—―−ー"
_SEP_SPLIT = re.compile(rf"[\s{re.escape(PHONE_SEPARATORS)}()]+")

# Number plans with a fixed split (Japanese numbering plan, MIC): prefix → group lengths.
_FIXED_SPLITS: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ("0120", 10, (4, 3, 3)),  # toll-free
    ("0800", 11, (4, 3, 4)),  # toll-free
    ("0570", 10, (4, 3, 3)),  # navi dial
    ("050", 11, (3, 4, 4)),  # IP phone
    ("070", 11, (3, 4, 4)),  # mobile
    ("080", 11, (3, 4, 4)),
    ("090", 11, (3, 4, 4)),
    ("03", 10, (2, 4, 4)),  # Tokyo
    ("06", 10, (2, 4, 4)),  # Osaka
)


def read_digits(digits: str) -> str:
    """Each digit (and the keypad keys ``#`` and ``*``) in its phone reading; others dropped."""
    return "".join(DIGIT_KANA.get(ch) or KEY_KANA.get(ch, "") for ch in digits)


def split_phone(number: str) -> list[str]:
    """The digit groups of a phone number as written, or by the numbering plan if unbroken.

    An unbroken number whose area code length is not fixed by its prefix (most landlines:
    area codes run from 2 to 5 digits) stays one group rather than being split wrongly.
    """
    groups = [g for g in _SEP_SPLIT.split(number.strip()) if g]
    if len(groups) != 1:
        return groups
    digits = groups[0]
    for prefix, length, sizes in _FIXED_SPLITS:
        if digits.startswith(prefix) and len(digits) == length:
            out, start = [], 0
            for size in sizes:
                out.append(digits[start : start + size])
                start += size
            return out
    return [digits]


def read_phone(number: str) -> str:
    """03-5330-1165 → ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー."""
    return GROUP_JOINER.join(read_digits(g) for g in split_phone(number) if read_digits(g))
