"""Japanese business prompts round-trip through the bundled Whisper model at a stated CER.

Thresholds. The product flags a prompt above CER 0.3 (``CER_THRESHOLD``); none of these
prompts may be flagged, in the 16 kHz render the check uses or in the 8 kHz μ-law a caller
hears. Measured on the dev machine (benchmarks/results/prompts-roundtrip.json): worst
0.19 (the menu: Whisper base hears 1を as 一応), mean 0.07 at 16 kHz and 0.10 in μ-law. The
mean is held under 0.15, about twice what was measured: room for a different CPU's int8
kernels, while a broken reading rule (a whole number read wrong is 5-10 % of a prompt's
kana) or a level/format bug (everything wrong) still fails.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from motmedia.prompts.intelligibility import CER_THRESHOLD
from motmedia.stt.models import load_model
from motmedia.tts.render import Renderer

from ..conftest import auth
from .helpers import Fleet, wait_checked
from .roundtrip import FORMATS, PROMPTS, measure, summary

pytestmark = pytest.mark.slow

MEAN_LIMIT = 0.15
TEXT = {p.name: p.text for p in PROMPTS}


def test_business_prompts_round_trip_through_the_api(client: TestClient, fleet: Fleet) -> None:
    admin, device = fleet.keys.admin_a, fleet.pbx
    slots = {
        1: ("hold", "hold"),
        2: ("recording_notice", "recording_notice"),
        3: ("hold", "greeting"),
    }
    for slot, (kind, name) in slots.items():
        r = client.put(
            f"/v1/devices/{device}/messages/{slot}",
            headers=auth(admin),
            json={"kind": kind, "text": TEXT[name]},
        )
        assert r.status_code == 201, r.text
    tree = {
        "root": "main",
        "menus": [
            {"name": "main", "text": TEXT["menu"],
             "options": {"1": {"extension": "201"}, "2": {"extension": "301"},
                         "3": {"menu": "hours"}}},
            {"name": "hours", "text": TEXT["business_hours"],
             "options": {"0": {"extension": "100"}}},
        ],
    }  # fmt: skip
    assert (
        client.put(f"/v1/devices/{device}/ivr", headers=auth(admin), json=tree).status_code == 200
    )

    cers = {}
    for slot, (_, name) in slots.items():
        body = wait_checked(client, f"/v1/devices/{device}/messages/{slot}", admin)
        assert body["check"]["status"] == "done", body
        cers[name] = body["cer"]
    ivr = wait_checked(client, f"/v1/devices/{device}/ivr", admin)
    menus = {m["name"]: m for m in ivr["menus"]}
    cers["menu"], cers["business_hours"] = menus["main"]["cer"], menus["hours"]["cer"]
    assert ivr["cer"] == max(cers["menu"], cers["business_hours"])
    assert set(cers) == set(TEXT)
    for name, cer in cers.items():
        assert cer <= CER_THRESHOLD, (name, cer)
    assert statistics.fmean(cers.values()) <= MEAN_LIMIT, cers
    assert ivr["cer_flagged"] is False


def test_business_prompts_round_trip_in_telephone_audio(stt_model_dir: Path) -> None:
    model = load_model(
        str(stt_model_dir), data_dir=stt_model_dir, device="cpu", compute_type="int8"
    )
    with Renderer(cache_dir=None, workers=2) as renderer:
        rows = measure(renderer, model)
    for fmt, stats in summary(rows).items():
        assert stats["flagged"] == 0 and stats["max_cer"] <= CER_THRESHOLD, (fmt, stats)
        assert stats["mean_cer"] <= MEAN_LIMIT, (fmt, stats)
    # The reading comparison forgives spelling only: a prompt heard perfectly scores 0.
    assert min(r[fmt]["cer"] for r in rows for fmt in FORMATS) == 0.0
