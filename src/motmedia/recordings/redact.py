"""PII redaction for stored transcripts: phone, card and account numbers.

Callers read numbers out in every form a transcript may hold them: ASCII and full-width
digits, kanji numerals (〇一二三四五六七八九, also 零), katakana digit readings, with
hyphens, spaces or the の of Japanese phone readouts between groups. A run of at least
``min_digits`` such digits is replaced by ``[番号]`` ("number"); shorter runs (times,
prices, counts) stay readable.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MASK", "redact"]

MASK = "[番号]"
_KANJI = "〇零一二三四五六七八九"
_DIGIT = (
    rf"(?:[0-9０-９{_KANJI}]|ゼロ|マル|イチ|ニー|ニ|サン|ヨン|ゴー|ゴ|ロク|ナナ|ハチ|キュー|キュウ)"
)
# Hiragana readings form runs of their own: mixed with numerals, a particle such as に or ご
# after "5678" would be swallowed as a digit.
_KANA_DIGIT = r"(?:ぜろ|まる|いち|にい|に|さん|よん|ごう|ご|ろく|なな|はち|きゅう|きゅー)"
_SEP = r"(?:[-‐‑‒–—−－ー―\s.・、()（）]|の|ノ)?"
_RUN = re.compile(rf"{_DIGIT}(?:{_SEP}{_DIGIT})+|{_KANA_DIGIT}(?:{_SEP}{_KANA_DIGIT})+")
_SINGLE = re.compile(rf"{_DIGIT}|{_KANA_DIGIT}")


def _digits(run: str) -> int:
    return len(_SINGLE.findall(run))


def redact(text: str, *, min_digits: int = 7) -> str:
    """Replace digit runs that look like phone, card or account numbers."""
    text = unicodedata.normalize("NFC", text)

    def replace(match: re.Match[str]) -> str:
        return MASK if _digits(match.group(0)) >= min_digits else match.group(0)

    return _RUN.sub(replace, text)
