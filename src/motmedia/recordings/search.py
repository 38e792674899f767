"""Substring search over transcripts, suited to Japanese (no spaces between words).

SQLite: an FTS5 table with the trigram tokenizer; PostgreSQL: a pg_trgm GIN index under
``ILIKE``. Both match substrings of three or more characters through the index. Shorter
queries (two-kanji words such as 料金 are common) fall back to a scan with ``LIKE``,
which is correct, only slower.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from sqlalchemy import Select, literal_column, select, text
from sqlalchemy.orm import Session

from motmedia.recordings.models import Recording

__all__ = ["filter_by_phrase", "normalise_query", "remove", "snippet", "store_text"]

SNIPPET_CONTEXT = 40


def normalise_query(q: str) -> str:
    # NFKC folds full-width Latin/digits and half-width kana, as the stored text is folded.
    return unicodedata.normalize("NFKC", q).strip()


def _like_escape(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def store_text(session: Session, recording: Recording, body: str | None) -> None:
    """Set the searchable text of a recording (``None`` removes it)."""
    recording.transcript_text = unicodedata.normalize("NFKC", body) if body else None
    if session.get_bind().dialect.name == "sqlite":
        remove(session, recording.id)
        if recording.transcript_text:
            session.execute(
                text(
                    "INSERT INTO recording_search (recording_id, customer_id, body) "
                    "VALUES (:r, :c, :b)"
                ),
                {"r": recording.id, "c": recording.customer_id, "b": recording.transcript_text},
            )


def remove(session: Session, recording_id: str) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("DELETE FROM recording_search WHERE recording_id = :r"), {"r": recording_id}
        )


def filter_by_phrase(
    session: Session, stmt: Select[tuple[Recording]], q: str
) -> Select[tuple[Recording]]:
    q = normalise_query(q)
    like = Recording.transcript_text.ilike(f"%{_like_escape(q)}%", escape="\\")
    if session.get_bind().dialect.name == "sqlite" and len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        matches: Select[Any] = (
            select(literal_column("recording_id"))
            .select_from(text("recording_search"))
            .where(text("recording_search MATCH :q").bindparams(q=phrase))
        )
        return stmt.where(Recording.id.in_(matches))
    return stmt.where(like)


def snippet(body: str | None, q: str) -> str | None:
    """Text around the first match, HTML-escaped, with the match in ``<mark>``."""
    if not body:
        return None
    q = normalise_query(q)
    match = re.search(re.escape(q), body, flags=re.IGNORECASE)
    if match is None:
        return None
    start = max(0, match.start() - SNIPPET_CONTEXT)
    end = min(len(body), match.end() + SNIPPET_CONTEXT)
    before = ("…" if start else "") + html.escape(body[start : match.start()])
    after = html.escape(body[match.end() : end]) + ("…" if end < len(body) else "")
    return f"{before}<mark>{html.escape(match.group(0))}</mark>{after}".replace("\n", " ")
