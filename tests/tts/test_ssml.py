"""The SSML subset: what is accepted, what the plan looks like, and what is refused."""

from __future__ import annotations

import pytest

from motmedia.errors import BadInput
from motmedia.tts.ssml import MAX_SSML_CHARS, Silence, Speech, parse_ssml


def test_plain_speak() -> None:
    assert parse_ssml("<speak>お電話ありがとうございます。</speak>") == [
        Speech("お電話ありがとうございます。")
    ]


def test_namespace_and_xml_declaration_are_accepted() -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="ja-JP">'
        "はい</speak>"
    )
    assert parse_ssml(doc) == [Speech("はい")]


@pytest.mark.parametrize(
    ("attrs", "ms"),
    [('time="500ms"', 500), ('time="1s"', 1000), ('time="1.5s"', 1500), ('time=" 250 ms "', 250),
     ('strength="strong"', 750), ('strength="none"', 0), ("", 400)],
)  # fmt: skip
def test_break(attrs: str, ms: int) -> None:
    plan = parse_ssml(f"<speak>あ<break {attrs}/>い</speak>")
    expected = [Speech("あ"), Silence(ms), Speech("い")] if ms else [Speech("あ い")]
    assert plan == expected


def test_say_as_pieces_keep_their_kind() -> None:
    plan = parse_ssml(
        '<speak>番号は<say-as interpret-as="telephone">03-5330-1165</say-as>です。'
        '<say-as interpret-as="date">2019-04-01</say-as>'
        '<say-as interpret-as="time">17:30</say-as>'
        '<say-as interpret-as="digits">123</say-as></speak>'
    )
    assert plan == [
        Speech("番号は"),
        Speech("03-5330-1165", say_as="telephone"),
        Speech("です。"),
        Speech("2019-04-01", say_as="date"),
        Speech("17:30", say_as="time"),
        Speech("123", say_as="digits"),
    ]


@pytest.mark.parametrize(
    ("rate", "factor"),
    [("x-slow", 0.6), ("slow", 0.8), ("medium", 1.0), ("fast", 1.25), ("x-fast", 1.5),
     ("80%", 0.8), ("150%", 1.5), ("+10%", 1.1), ("-20%", 0.8)],
)  # fmt: skip
def test_prosody_rate(rate: str, factor: float) -> None:
    plan = parse_ssml(f'<speak><prosody rate="{rate}">ゆっくり</prosody></speak>')
    assert plan == [Speech("ゆっくり", rate=pytest.approx(factor))]


def test_nested_prosody_multiplies() -> None:
    plan = parse_ssml(
        '<speak><prosody rate="slow">a<prosody rate="50%">b</prosody>c</prosody></speak>'
    )
    assert plan == [Speech("a", 0.8), Speech("b", pytest.approx(0.4)), Speech("c", 0.8)]


def test_sub_alias_paragraphs_and_whitespace() -> None:
    plan = parse_ssml(
        "<speak>\n  <p><s>担当は<sub alias='ヤマダ'>山田</sub>です。</s></p>\n"
        "  <p>以上です。</p></speak>"
    )
    assert plan == [Speech("担当は ヤマダ です。"), Silence(400), Speech("以上です。")]


def test_escaped_characters_are_text() -> None:
    assert parse_ssml("<speak>A &amp; B &lt;C&gt; &#x3042;</speak>") == [Speech("A & B <C> あ")]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<speak>&lol4;</speak>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<speak>&xxe;</speak>"""


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        (BILLION_LAUGHS, "INVALID_SSML"),
        (EXTERNAL_ENTITY, "INVALID_SSML"),
        ('<!DOCTYPE speak SYSTEM "http://example.com/speak.dtd"><speak>a</speak>', "INVALID_SSML"),
        ("<!doctype speak><speak>a</speak>", "INVALID_SSML"),
        ("<speak>&undefined;</speak>", "INVALID_SSML"),
        ("<speak>unclosed", "INVALID_SSML"),
        ("just text", "INVALID_SSML"),
        ("", "INVALID_SSML"),
        ("<voice>a</voice>", "INVALID_SSML"),
        ("<speak><speak>a</speak></speak>", "INVALID_SSML"),
        ('<speak><audio src="http://example.com/a.wav"/></speak>', "INVALID_SSML"),
        ('<speak><prosody pitch="high">a</prosody></speak>', "INVALID_SSML"),
        ('<speak><prosody rate="warp">a</prosody></speak>', "INVALID_SSML"),
        ('<speak><prosody rate="-100%">a</prosody></speak>', "INVALID_SSML"),
        ('<speak><break time="1h"/></speak>', "INVALID_SSML"),
        ('<speak><break time="11s"/></speak>', "INVALID_SSML"),
        ('<speak><break strength="huge"/></speak>', "INVALID_SSML"),
        ("<speak><break>text</break></speak>", "INVALID_SSML"),
        ('<speak><say-as interpret-as="cardinal">1</say-as></speak>', "INVALID_SSML"),
        ('<speak><say-as interpret-as="digits"><b>1</b></say-as></speak>', "INVALID_SSML"),
        ("<speak><say-as>1</say-as></speak>", "INVALID_SSML"),
        ("<speak>" + '<break time="10s"/>' * 7 + "</speak>", "SSML_TOO_LARGE"),
        ("<speak>" + "あ" * MAX_SSML_CHARS + "</speak>", "SSML_TOO_LARGE"),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_refused(doc: str, code: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_ssml(doc)
    assert err.value.code == code
    assert err.value.status == 422
