"""IVR trees: validation rules (pure), entitlements per level and model, storage over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from motmedia.errors import BadInput
from motmedia.prompts.ivr import MAX_DEPTH, Menu, Target, validate_tree

from ..conftest import auth
from .helpers import Fleet, assert_problem

MAIN = "ご用件をお選びください。営業は1を、サポートは2を押してください。"
SALES = "営業部です。新規のお客様は1を、既存のお客様は2を押してください。"


def menu(name: str, **options: Target) -> Menu:
    return Menu(
        name, f"{name}のメニューです。", {k.removeprefix("k"): v for k, v in options.items()}
    )


def tree(root: str, *menus: Menu):  # type: ignore[no-untyped-def]
    return validate_tree(root=root, menus=list(menus), language="ja", voice=None, ssml=False)


def ext(number: str) -> Target:
    return Target(extension=number)


def to(name: str) -> Target:
    return Target(menu=name)


# ---- validation (no database) ----


def test_depth_counts_levels_and_shared_submenus_are_allowed() -> None:
    assert tree("main", menu("main", k1=ext("201"))).depth == 1
    t = tree(
        "main",
        menu("main", k1=to("sales"), k2=to("support"), k0=ext("100")),
        menu("sales", k1=to("support"), k9=ext("100")),
        menu("support", k1=ext("301")),
    )
    assert (t.depth, t.multilevel) == (3, True)


@pytest.mark.parametrize(
    ("menus", "root", "code"),
    [
        ([menu("main", k1=to("main"))], "main", "IVR_CYCLE"),
        (
            [menu("main", k1=to("a")), menu("a", k1=to("b")), menu("b", k2=to("a"))],
            "main",
            "IVR_CYCLE",
        ),
        ([menu("main", k1=to("nowhere"))], "main", "IVR_UNKNOWN_MENU"),
        (
            [menu("main", k1=ext("201")), menu("lost", k1=ext("202"))],
            "main",
            "IVR_UNREACHABLE_MENU",
        ),
        ([Menu("main", "x", {"10": ext("201")})], "main", "IVR_INVALID_DIGIT"),
        ([Menu("main", "x", {"a": ext("201")})], "main", "IVR_INVALID_DIGIT"),
        ([Menu("main", "x", {"1": Target()})], "main", "IVR_INVALID_TARGET"),
        (
            [Menu("main", "x", {"1": Target(menu="main", extension="1")})],
            "main",
            "IVR_INVALID_TARGET",
        ),
        ([Menu("main", "x", {"1": ext("20-1")})], "main", "IVR_INVALID_EXTENSION"),
        ([Menu("main", "x", {})], "main", "IVR_NO_OPTIONS"),
        ([Menu("Main Menu", "x", {"1": ext("1")})], "Main Menu", "IVR_INVALID_NAME"),
        ([Menu("../etc", "x", {"1": ext("1")})], "../etc", "IVR_INVALID_NAME"),
        ([Menu("main", "x", {"1": ext("1")}, timeout_s=0)], "main", "IVR_INVALID_TIMEOUT"),
        ([Menu("main", "   ", {"1": ext("1")})], "main", "INVALID_TEXT"),
        ([menu("main", k1=ext("1")), menu("main", k1=ext("2"))], "main", "IVR_DUPLICATE_MENU"),
        ([menu("main", k1=ext("1"))], "start", "IVR_UNKNOWN_ROOT"),
        ([], "main", "IVR_EMPTY"),
        (
            [menu(f"m{i}", k1=to(f"m{i + 1}")) for i in range(MAX_DEPTH)]
            + [menu(f"m{MAX_DEPTH}", k1=ext("1"))],
            "m0",
            "IVR_TOO_DEEP",
        ),
        (
            [menu("main", k1=ext("1"))] + [menu(f"m{i}", k1=ext("1")) for i in range(50)],
            "main",
            "IVR_TOO_MANY_MENUS",
        ),
    ],
)
def test_bad_trees_are_refused_with_a_code(menus: list[Menu], root: str, code: str) -> None:
    with pytest.raises(BadInput) as caught:
        tree(root, *menus)
    assert caught.value.code == code
    assert caught.value.status == 422


def test_cycle_message_names_the_loop() -> None:
    with pytest.raises(BadInput) as caught:
        tree("main", menu("main", k1=to("a")), menu("a", k1=to("b")), menu("b", k3=to("a")))
    assert caught.value.extra["menus"] == ["a", "b", "a"]


# ---- over HTTP ----


def one_level() -> dict[str, Any]:
    return {
        "root": "main",
        "menus": [
            {
                "name": "main",
                "text": MAIN,
                "options": {"1": {"extension": "201"}, "2": {"extension": "301"}},
            },
        ],
    }


def two_levels() -> dict[str, Any]:
    return {
        "root": "main",
        "menus": [
            {
                "name": "main",
                "text": MAIN,
                "timeout_s": 8,
                "timeout_text": "入力が確認できませんでした。",
                "invalid_text": "その番号は使われておりません。",
                "options": {
                    "1": {"menu": "sales"},
                    "2": {"extension": "301"},
                    "#": {"extension": "100"},
                },
            },
            {
                "name": "sales",
                "text": SALES,
                "options": {"1": {"extension": "211"}, "2": {"extension": "212"}},
            },
        ],
    }


def put_ivr(client: TestClient, device: str, key: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/devices/{device}/ivr", headers=auth(key), json=body)


def test_levels_and_models_decide_who_may_have_an_ivr(client: TestClient, fleet: Fleet) -> None:
    admin = fleet.keys.admin_a
    # Multi-level IVR never on MOT/Mini, contract or not (asked first: the final answer).
    for mini in (fleet.mini, fleet.mini_bare):
        body = assert_problem(put_ivr(client, mini, admin, two_levels()), 403, "MODEL_EXCLUDED")
        assert body["feature"] == "ivr.multilevel"
    # One level is synthesised prompts: a contract, which the contracted Mini has.
    r = put_ivr(client, fleet.mini, admin, one_level())
    assert r.status_code == 200 and r.json()["depth"] == 1 and r.json()["multilevel"] is False
    body = assert_problem(put_ivr(client, fleet.bare, admin, one_level()), 403, "NO_CONTRACT")
    assert body["feature"] == "tts.synthesize"
    body = assert_problem(put_ivr(client, fleet.bare, admin, two_levels()), 403, "NO_CONTRACT")
    assert body["feature"] == "ivr.multilevel"
    r = put_ivr(client, fleet.pbx, admin, two_levels())
    assert r.status_code == 200, r.text
    assert (r.json()["depth"], r.json()["multilevel"]) == (2, True)
    # Refusals are stored nowhere and audited.
    assert client.get(f"/v1/devices/{fleet.bare}/ivr", headers=auth(admin)).status_code == 404
    audit = client.get("/v1/audit", params={"feature": "ivr.multilevel"}, headers=auth(admin))
    codes = sorted(a["code"] for a in audit.json()["items"])
    assert codes == ["MODEL_EXCLUDED", "MODEL_EXCLUDED", "NO_CONTRACT", "OK"]


def test_tree_round_trip_audio_and_replacement(client: TestClient, fleet: Fleet) -> None:
    admin, base = fleet.keys.admin_a, f"/v1/devices/{fleet.pbx}/ivr"
    assert put_ivr(client, fleet.pbx, admin, two_levels()).status_code == 200
    got = client.get(base, headers=auth(fleet.pbx_key)).json()
    assert got["root"] == "main" and [m["name"] for m in got["menus"]] == ["main", "sales"]
    main = got["menus"][0]
    assert main["options"] == {
        "1": {"menu": "sales"},
        "2": {"extension": "301"},
        "#": {"extension": "100"},
    }
    assert (main["root"], main["timeout_s"]) == (True, 8)
    assert main["check"]["status"] in ("pending", "failed")  # no model in this test
    sales = client.get(f"{base}/sales", headers=auth(admin)).json()
    assert sales["root"] is False and sales["audio_url"] == f"{base}/sales/audio"
    for prompt in ("main", "timeout", "invalid"):
        r = client.get(
            f"{base}/main/audio", params={"prompt": prompt, "format": "ulaw"}, headers=auth(admin)
        )
        assert r.status_code == 200 and r.headers["content-type"] == "audio/PCMU"
        suffix = "" if prompt == "main" else f"-{prompt}"
        assert r.headers["content-disposition"].endswith(f'"ivr-main{suffix}.ulaw"')
    r = client.get(f"{base}/sales/audio", params={"prompt": "timeout"}, headers=auth(admin))
    assert_problem(r, 404, "IVR_PROMPT_NOT_FOUND")
    assert_problem(client.get(f"{base}/nope", headers=auth(admin)), 404, "IVR_MENU_NOT_FOUND")
    # A PUT replaces the whole tree: sales is gone.
    assert put_ivr(client, fleet.pbx, admin, one_level()).status_code == 200
    got = client.get(base, headers=auth(admin)).json()
    assert [m["name"] for m in got["menus"]] == ["main"] and got["depth"] == 1
    assert client.get(f"{base}/sales", headers=auth(admin)).status_code == 404
    assert client.delete(base, headers=auth(fleet.pbx_key)).status_code == 403  # read-only key
    assert client.delete(base, headers=auth(admin)).status_code == 204
    assert_problem(client.get(base, headers=auth(admin)), 404, "IVR_NOT_FOUND")
    assert_problem(client.delete(base, headers=auth(admin)), 404, "IVR_NOT_FOUND")


def test_bad_tree_over_http_is_422_and_keeps_the_old_tree(client: TestClient, fleet: Fleet) -> None:
    admin = fleet.keys.admin_a
    assert put_ivr(client, fleet.pbx, admin, one_level()).status_code == 200
    loop = two_levels()
    loop["menus"][1]["options"]["9"] = {"menu": "main"}
    body = assert_problem(put_ivr(client, fleet.pbx, admin, loop), 422, "IVR_CYCLE")
    assert body["menus"] == ["main", "sales", "main"]
    bad_digit = one_level()
    bad_digit["menus"][0]["options"]["12"] = {"extension": "1"}
    body = assert_problem(put_ivr(client, fleet.pbx, admin, bad_digit), 422, "IVR_INVALID_DIGIT")
    assert (body["menu"], body["digit"]) == ("main", "12")
    dangling = one_level()
    dangling["menus"][0]["options"]["3"] = {"menu": "support"}
    assert_problem(put_ivr(client, fleet.pbx, admin, dangling), 422, "IVR_UNKNOWN_MENU")
    both = one_level()
    both["menus"][0]["options"]["3"] = {"menu": "main", "extension": "1"}
    assert_problem(put_ivr(client, fleet.pbx, admin, both), 422, "IVR_INVALID_TARGET")
    extra = one_level()
    extra["menus"][0]["options"]["3"] = {"queue": "sales"}
    assert_problem(put_ivr(client, fleet.pbx, admin, extra), 422, "VALIDATION_FAILED")
    bad_ssml = {**one_level(), "ssml": True}
    bad_ssml["menus"][0]["text"] = "<speak><prosody pitch='high'>はい</prosody></speak>"
    assert_problem(put_ivr(client, fleet.pbx, admin, bad_ssml), 422, "INVALID_SSML")
    unspeakable = one_level()
    unspeakable["menus"][0]["invalid_text"] = "……"
    assert_problem(put_ivr(client, fleet.pbx, admin, unspeakable), 422, "EMPTY_TEXT")
    assert_problem(put_ivr(client, fleet.pbx, admin, {"menus": []}), 422, "VALIDATION_FAILED")
    got = client.get(f"/v1/devices/{fleet.pbx}/ivr", headers=auth(admin)).json()
    assert [m["name"] for m in got["menus"]] == ["main"] and got["menus"][0]["text"] == MAIN
