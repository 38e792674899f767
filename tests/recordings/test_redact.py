"""PII redaction: a table of what is masked and what stays, and the worker's redaction path.

The table covers every form ``redact`` documents (ASCII and full-width digits, kanji
numerals, katakana readings, hyphen / space / の / ノ / 、 separators) and the numbers that
must stay readable (times, prices, dates written the Japanese way, counts, extensions).
Other spellings (U+2212 minus, parentheses, マル for zero, hiragana readings) are masked too.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from motmedia.config import Settings, ensure_secrets
from motmedia.media.decode import write_wav
from motmedia.recordings import jobs
from motmedia.recordings.redact import MASK, redact
from motmedia.recordings.worker import WorkerContext, process
from motmedia.stt.models import ensure_bundled_model

from ..conftest import Keys, auth, make_device
from ..speech import Voices, make_voices, resample, silence

M = MASK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ASCII, hyphens and spaces
        ("電話番号は03-5330-1165です", f"電話番号は{M}です"),
        ("090-1234-5678にお願いします", f"{M}にお願いします"),
        ("03 5330 1165", M),
        ("03.5330.1165", M),
        ("03・5330・1165", M),
        ("0120‐123‐456", M),  # U+2010 hyphen
        ("口座番号は1234567です", f"口座番号は{M}です"),  # exactly min_digits
        ("+81-3-5330-1165", f"+{M}"),
        # full width
        ("電話番号は０３－５３３０－１１６５です", f"電話番号は{M}です"),
        ("０９０ー１２３４ー５６７８", M),  # 長音符 between groups, as IMEs type it
        ("お客様番号は１２３４５６７", f"お客様番号は{M}"),
        # kanji numerals, with の between groups
        ("〇三の五三三〇の一一六五", M),
        ("零三五三三〇一一六五", M),
        ("お客様番号は一二三四の五六七です", f"お客様番号は{M}です"),
        # katakana readings, with ノ / の / 、 between groups
        ("ゼロサンノゴーサンサンゼロノイチイチロクゴー", M),
        ("ゼロサンのゴーサンサンゼロのイチイチロクゴー", M),
        ("ゼロサン、ゴーサンサンゼロ、イチイチロクゴー", M),
        ("ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチ", M),
        ("キュウハチナナロクゴーヨンサン", M),
        # mixed forms in one number
        ("03の5330の1165", M),
        ("ゼロサン-5330-1165", M),
        # card numbers with spaces (ASCII, full-width and ideographic spaces)
        ("カードは4111 1111 1111 1111です", f"カードは{M}です"),
        ("カード番号は４１１１\u3000１１１１\u3000１１１１\u3000１１１１", f"カード番号は{M}"),
        ("card 4111-1111-1111-1111 exp", f"card {M} exp"),
        # two numbers in one turn: both go, the words between stay
        ("自宅は03-5330-1165、携帯は090-1234-5678です", f"自宅は{M}、携帯は{M}です"),
    ],
)
def test_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # times
        "9時30分に伺います",
        "午前10時から午後5時まで",
        "10:30に折り返します",
        "14:00-15:30",
        # prices
        "1,500円です",
        "12,800円になります",
        "１５００円",
        "税込みで3万2400円です",
        # dates, written the way Japanese speech is transcribed
        "2024年11月24日",
        "二〇二四年",
        "2024/11/24",
        "令和6年11月24日",
        # short counts, extensions, ordinary words that contain digit readings
        "3名様",
        "内線201番",
        "123456",  # six digits: below min_digits
        "サンゴ礁",
        "ナナ、ハチ、キュー",
        "1件目と2件目",
        "ゴールデンウィーク",
        "I have 3 questions about order 42.",
        "",
    ],
)
def test_stays(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "電話番号は０３−５３３０−１１６５です",  # U+2212, the macOS IME's full-width hyphen
        "03(5330)1165",
        "マルサンのゴーサンサンマルのイチイチロクゴー",
        "いちにさんよんのごろくなな",
    ],
    ids=["minus-sign", "parentheses", "maru", "hiragana"],
)
def test_other_spellings(text: str) -> None:
    assert MASK in redact(text)


def test_safe_side_over_redaction() -> None:
    # A hyphenated ISO date has 8 digits joined by separators: it cannot be told from an
    # account number, so it is masked. Recorded here so a change of mind is deliberate.
    assert redact("2024-11-24") == M
    assert redact("1、2、3、4、5、6、7") == M


def test_min_digits() -> None:
    assert redact("123456", min_digits=6) == M
    assert redact("03-5330-1165", min_digits=11) == "03-5330-1165"


def test_nfc_normalises_first() -> None:
    # A decomposed voiced mark (コ + U+3099 = ゴ) must not break a run of readings.
    decomposed = "ゴーサンサンゼロノイチイチロクゴー".replace("ゴ", "コ\u3099")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    assert redact(decomposed) == M


_DIGIT = st.sampled_from(list("0123456789０１２３４５６７８９〇一二三四五六七八九"))
_SEP = st.sampled_from(["", "-", " ", "の", "ノ", "－", "、"])


@given(st.lists(st.tuples(_DIGIT, _SEP), min_size=7, max_size=20))
def test_any_long_digit_run_is_masked(run: list[tuple[str, str]]) -> None:
    number = "".join(d + s for d, s in run).rstrip("- のノ－、")
    out = redact("番号は" + number)
    assert M in out
    assert not re.search(r"[0-9０-９〇一二三四五六七八九]", out.replace("番号は", "", 1))


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl")), max_size=80))
def test_text_without_numbers_is_unchanged_and_idempotent(text: str) -> None:
    out = redact(text)
    assert redact(out) == out
    readings = "〇零一二三四五六七八九ゼイニサヨゴロナハキ"
    if not any(c in text for c in readings):
        assert out == unicodedata.normalize("NFC", text)


# --- the worker's redaction path: customer setting redact_pii, real model -------------------

SAID = "お電話番号は、ゼロサン、ゴーサンサンゼロ、イチイチロクゴーです。"
LONG_DIGITS = re.compile(r"[0-9０-９]{7,}")


@pytest.fixture
def database_url(tmp_path: Path) -> str:  # the worker runs in this process: SQLite suffices
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_bundled_model(tmp_path_factory.mktemp("models"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, model_dir: Path) -> Settings:
    return ensure_secrets(
        Settings(
            data_dir=tmp_path / "var",
            database_url=database_url,
            stt_model=str(model_dir),
            stt_device="cpu",
            stt_compute_type="int8",
        )
    )


@pytest.fixture(scope="module")
def number_call() -> bytes:
    voices: Voices = make_voices()
    samples = np.concatenate([silence(0.5), voices.ja(SAID), silence(0.7)])
    buffer = io.BytesIO()
    write_wav(buffer, resample(samples, 16_000, 8_000), 8_000, codec="pcm_mulaw")
    return buffer.getvalue()


def _customer_device(client: TestClient, keys: Keys, name: str, settings: dict[str, bool]) -> str:
    r = client.post(
        "/v1/customers", json={"name": name, "settings": settings}, headers=auth(keys.vendor)
    )
    assert r.status_code == 201, r.text
    _, key = make_device(client, keys, r.json()["id"], "MOT/PBX M-V3", name, contract=True)
    return key


def _run_queue(settings: Settings) -> None:
    ctx = WorkerContext.create(settings, "test-worker", lease=60.0)
    try:
        while True:
            with ctx.db.session() as session:
                job = jobs.claim_next(session=session, worker_id=ctx.worker_id, lease=ctx.lease)
                job_id = job.id if job else None
            if job_id is None:
                return
            assert process(job_id, ctx) == "done"
    finally:
        ctx.db.dispose()


@pytest.mark.slow
def test_worker_redacts_for_customers_who_ask(
    client: TestClient, keys: Keys, settings: Settings, number_call: bytes
) -> None:
    redacted_key = _customer_device(client, keys, "R", {"redact_pii": True})
    plain_key = _customer_device(client, keys, "P", {})
    ids = {}
    for key in (redacted_key, plain_key):
        r = client.post(
            "/v1/recordings",
            headers=auth(key),
            data={"language": "ja", "call_id": "n-1"},
            files={"file": ("n.wav", number_call, "audio/wav")},
        )
        assert r.status_code == 202, r.text
        ids[key] = r.json()["id"]

    _run_queue(settings)

    def transcript(key: str, fmt: str) -> str:
        r = client.get(
            f"/v1/recordings/{ids[key]}/transcript", params={"format": fmt}, headers=auth(key)
        )
        assert r.status_code == 200, r.text
        return r.text

    # Without the setting the number is in the transcript (so the check below means something).
    plain = transcript(plain_key, "json")
    assert LONG_DIGITS.search(plain), plain
    assert all(s["words"] for s in json.loads(plain)["segments"])
    for fmt in ("json", "txt", "srt", "vtt"):
        text = transcript(redacted_key, fmt)
        assert MASK in text, (fmt, text)
        assert not LONG_DIGITS.search(text), (fmt, text)
    document = client.get(
        f"/v1/recordings/{ids[redacted_key]}/transcript", headers=auth(redacted_key)
    ).json()
    assert all(s["words"] == [] for s in document["segments"])  # timings would spell it out
    assert "電話番号" in "".join(s["text"] for s in document["segments"])  # the rest stays
    # The search index holds the redacted text: the number cannot be found, the mask can.
    digits = LONG_DIGITS.search(plain)
    assert digits is not None
    for key, expect in ((redacted_key, 0), (plain_key, 1)):
        found = client.get(
            "/v1/recordings", params={"q": digits.group(0)[:5]}, headers=auth(key)
        ).json()
        assert len(found["items"]) == expect, (key == redacted_key, found)
    masked = client.get("/v1/recordings", params={"q": MASK}, headers=auth(redacted_key)).json()
    assert [item["id"] for item in masked["items"]] == [ids[redacted_key]]
