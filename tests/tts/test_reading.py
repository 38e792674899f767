"""The Japanese reading rules, case by case: the spoken form, and how Open JTalk reads it.

Each row is (input, spoken form produced by ``normalize``, katakana that
``pyopenjtalk.g2p(spoken, kana=True)`` gives for it). The g2p column is the real check: it is
what the caller hears. A change in pyopenjtalk's dictionary that reads a form differently
fails here, not on a customer's phone line.
"""

from __future__ import annotations

import unicodedata

import pyopenjtalk
import pytest

from motmedia.errors import BadInput
from motmedia.tts.numbers import read_digits, read_phone, split_phone
from motmedia.tts.reading import RULES, normalize, prepare_dictionary, say_as, to_katakana

CASES = [
    # phone numbers: digit by digit, ゼロ/ニー/ゴー, ノ and a pause between groups
    ("03-5330-1165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー",
     "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
    ("090-1234-5678", "ゼロキューゼロノ、イチニーサンヨンノ、ゴーロクナナハチ",
     "ゼロキューゼロノ、イチニーサンヨンノ、ゴーロクナナハチ"),
    ("0120-123-456", "ゼロイチニーゼロノ、イチニーサンノ、ヨンゴーロク",
     "ゼロイチニーゼロノ、イチニーサンノ、ヨンゴーロク"),
    ("(03)5330-1165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー",
     "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
    ("09012345678", "ゼロキューゼロノ、イチニーサンヨンノ、ゴーロクナナハチ",
     "ゼロキューゼロノ、イチニーサンヨンノ、ゴーロクナナハチ"),
    ("０３－５３３０－１１６５", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー",
     "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
    ("03ー5330ー1165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー",
     "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
    ("TEL 03-5330-1165まで", "電話 ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴーまで",
     "デンワゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴーマデ"),
    ("FAX:03-5330-1166", "ファクスゼロサンノ、ゴーサンサンゼロノ、イチイチロクロク",
     "ファクスゼロサンノ、ゴーサンサンゼロノ、イチイチロクロク"),
    # extension numbers: digit by digit, not ひゃくにじゅうさん
    ("内線123", "内線イチニーサン", "ナイセンイチニーサン"),
    ("内線123番におつなぎします", "内線イチニーサン番におつなぎします",
     "ナイセンイチニーサンバンニオツナギシマス"),
    ("ext. 205", "内線ニーゼロゴー", "ナイセンニーゼロゴー"),
    # times
    ("9:00", "9時", "クジ"),
    ("17:30", "17時30分", "ジューシチジサンジュップン"),
    ("9:05", "9時5分", "クジゴフン"),
    ("午前9時", "午前9時", "ゴゼンクジ"),
    ("午前9:00", "午前9時", "ゴゼンクジ"),
    ("午後4:00", "午後4時", "ゴゴヨジ"),
    ("0:30", "零時30分", "レージサンジュップン"),
    ("9時00分", "9時", "クジ"),
    ("7:00", "7時", "シチジ"),
    # dates
    ("2019年4月1日", "2019年4月1日", "ニセンジューキューネンシガツツイタチ"),
    ("2019/04/01", "2019年4月1日", "ニセンジューキューネンシガツツイタチ"),
    ("2024-12-24", "2024年12月24日", "ニセンニジューヨネンジューニガツニジューヨッカ"),
    ("4/1", "4月1日", "シガツツイタチ"),
    ("4/1(月)", "4月1日(月)", "シガツツイタチゲツヨービ"),
    ("04月01日", "4月1日", "シガツツイタチ"),
    # amounts
    ("¥15,000", "15000円", "イチマンゴセンエン"),
    ("15,000円", "15000円", "イチマンゴセンエン"),
    ("￥１５，０００", "15000円", "イチマンゴセンエン"),
    ("1,234,567円", "1234567円",
     "ヒャクニジューサンマンヨンセンゴヒャクロクジューナナエン"),
    # business hours: から…まで
    ("9時～17時30分", "9時から17時30分まで", "クジカラジューシチジサンジュップンマデ"),
    ("9:00～17:30", "9時から17時30分まで", "クジカラジューシチジサンジュップンマデ"),
    ("9:00-18:00まで", "9時から18時まで", "クジカラジューハチジマデ"),
    ("9～17時", "9時から17時まで", "クジカラジューシチジマデ"),
    ("10:00-12:00", "10時から12時まで", "ジュージカラジューニジマデ"),
    ("月～金", "月曜日から金曜日まで", "ゲツヨービカラキンヨービマデ"),
    ("4/1～4/5", "4月1日から4月5日まで", "シガツツイタチカラシガツイツカマデ"),
    ("1,000～2,000円", "1000円から2000円まで", "センエンカラニセンエンマデ"),
    ("受付時間は平日9:00～17:30です。", "受付時間は平日9時から17時30分までです。",
     "ウケツケジカンワヘージツクジカラジューシチジサンジュップンマデデス。"),
    # symbols
    ("#", "シャープ", "シャープ"),
    ("＃", "シャープ", "シャープ"),
    ("*", "コメジルシ", "コメジルシ"),
    ("＊", "コメジルシ", "コメジルシ"),
    ("番号の後に#を押してください", "番号の後にシャープを押してください",
     "バンゴーノアトニシャープヲオシテクダサイ"),
    ("※通話は録音されます", "通話は録音されます", "ツーワワロクオンサレマス"),
    ("〒160-0023", "郵便番号、イチロクゼロノ、ゼロゼロニーサン、",
     "ユービンバンゴー、イチロクゼロノ、ゼロゼロニーサン、"),
    # text is left alone
    ("お電話ありがとうございます。", "お電話ありがとうございます。",
     "オデンワアリガトーゴザイマス。"),
    ("はい\nいいえ", "はい、いいえ", "ハイ、イーエ"),
    # things that are not what they look like stay as they are
    ("3.14", "3.14", "サンテンイチヨン"),
    ("13/45", "13/45", None),
    ("25:00", "25:00", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "spoken", "kana"), CASES, ids=[c[0] for c in CASES])
def test_reading(text: str, spoken: str, kana: str | None) -> None:
    assert normalize(text) == spoken


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spoken", "kana"), [(c[1], c[2]) for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]]
)
def test_open_jtalk_reads_the_spoken_form_as_intended(spoken: str, kana: str) -> None:
    assert pyopenjtalk.g2p(spoken, kana=True) == kana


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_example(rule) -> None:
    text, expected = rule.example
    assert rule.pattern.sub(rule.replace, text) == expected


def test_output_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "ガイドです。9:00")
    out = normalize(decomposed)
    assert out == unicodedata.normalize("NFC", out)
    assert out == "ガイドです。9時"


def test_half_width_katakana_is_normalised() -> None:
    assert normalize("ｶﾞｲﾄﾞ") == "ガイド"


def test_dictionary_applies_first_and_is_not_rewritten() -> None:
    # The dictionary entry contains digits: without precedence the time rule would grab 7:11.
    words = {"セブン7:11": "せぶんいれぶん", "山田": "やまだ"}
    out = normalize("セブン7:11の山田です。9:00から", words)
    assert out == "セブンイレブンのヤマダです。9時から"


def test_dictionary_overrides_a_symbol_reading() -> None:
    assert normalize("＊を押してください", {"*": "ほし"}) == "ホシを押してください"


def test_dictionary_keys_are_nfkc_matched() -> None:
    assert (
        normalize("ＡＢＣ商事です", {"ABC商事": "エービーシーしょうじ"})
        == "エービーシーショウジです"
    )


def test_dictionary_longest_word_wins() -> None:
    words = {"東京": "とうきょう", "東京海上": "とうきょうかいじょう"}
    assert normalize("東京海上と東京", words) == "トウキョウカイジョウとトウキョウ"


@pytest.mark.slow
def test_hiragana_reading_is_stored_as_katakana() -> None:
    # In hiragana, は would be taken for the particle: ワナコデス.
    out = normalize("花子です", {"花子": "はなこ"})
    assert pyopenjtalk.g2p(out, kana=True) == "ハナコデス"


@pytest.mark.parametrize("reading", ["", "Hanako", "花子", "はな子"])
def test_dictionary_rejects_non_kana_readings(reading: str) -> None:
    with pytest.raises(BadInput) as err:
        prepare_dictionary({"花子": reading})
    assert err.value.code == "INVALID_READING"


def test_to_katakana() -> None:
    assert to_katakana("きょうは ゔ、ー") == "キョウハ ヴ、ー"


@pytest.mark.parametrize(
    ("digits", "kana"),
    [("0123456789", "ゼロイチニーサンヨンゴーロクナナハチキュー"), ("1#", "イチシャープ"),
     ("*9", "コメジルシキュー")],
)  # fmt: skip
def test_read_digits(digits: str, kana: str) -> None:
    assert read_digits(digits) == kana


@pytest.mark.parametrize(
    ("number", "groups"),
    [
        ("03-5330-1165", ["03", "5330", "1165"]),
        ("0353301165", ["03", "5330", "1165"]),
        ("0120123456", ["0120", "123", "456"]),
        ("08001234567", ["0800", "123", "4567"]),
        ("05012345678", ["050", "1234", "5678"]),
        ("0451234567", ["0451234567"]),  # area code length unknown: not guessed
        ("045 123 4567", ["045", "123", "4567"]),
    ],
)
def test_split_phone(number: str, groups: list[str]) -> None:
    assert split_phone(number) == groups


def test_read_phone_joins_groups_with_no_and_a_pause() -> None:
    assert read_phone("045-123-4567") == "ゼロヨンゴーノ、イチニーサンノ、ヨンゴーロクナナ"


@pytest.mark.parametrize(
    ("kind", "text", "spoken"),
    [
        ("telephone", "0353301165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
        ("telephone", "03-5330-1165", "ゼロサンノ、ゴーサンサンゼロノ、イチイチロクゴー"),
        ("digits", "1234", "イチニーサンヨン"),
        ("digits", "１２３", "イチニーサン"),
        ("date", "2019-04-01", "2019年4月1日"),
        ("date", "20190401", "2019年4月1日"),
        ("date", "4/1", "4月1日"),
        ("time", "17:30", "17時30分"),
        ("time", "0900", "9時"),
        ("time", "午後5:15", "午後5時15分"),
    ],
)
def test_say_as(kind: str, text: str, spoken: str) -> None:
    assert say_as(kind, text) == spoken


@pytest.mark.parametrize(
    ("kind", "text"),
    [("date", "2019-13-01"), ("date", "tomorrow"), ("time", "24:61"), ("digits", "abc"),
     ("telephone", ""), ("cardinal", "12")],
)  # fmt: skip
def test_say_as_rejects_content_that_does_not_fit(kind: str, text: str) -> None:
    with pytest.raises(BadInput) as err:
        say_as(kind, text)
    assert err.value.code == "INVALID_SSML"
