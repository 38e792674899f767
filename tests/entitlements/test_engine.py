"""Every row of SPEC §3.1 for four devices, decided by the engine over the bundled policy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from motmedia.entitlements.engine import Code, ContractFacts, DeviceFacts, decide
from motmedia.entitlements.policy import PolicyError, load_policy

POLICY = load_policy()
TODAY = date(2026, 11, 24)
SIGNED = ContractFacts(signed=date(2019, 5, 1))

DEVICES = {
    "M-V3+contract": DeviceFacts("a", "MOT/PBX M-V3", date(2018, 6, 1), (SIGNED,)),
    "S-V2 no contract": DeviceFacts("b", "MOT/PBX S-V2", date(2018, 9, 1)),
    "Mini+contract": DeviceFacts("c", "MOT/Mini", date(2015, 1, 1), (SIGNED,)),
    "Mini no contract": DeviceFacts("d", "MOT/Mini", date(2015, 1, 1)),
}
ORDER = list(DEVICES)

OK, NO, EX = Code.OK, Code.NO_CONTRACT, Code.MODEL_EXCLUDED
# feature: [(allowed, code, fulfilment)] for the four devices, in ORDER.
TABLE: dict[str, list[tuple[bool, Code, str | None]]] = {
    # hardware maintenance: a service for everyone; what it costs is repair_quote's business
    "hardware.repair": [(True, OK, None)] * 4,
    # program updates: fixes for all, new features with contract; Mini by unit swap (note 1)
    "updates.fixes": [
        (True, OK, "remote"),
        (True, OK, "remote"),
        (True, OK, "device_swap"),
        (True, OK, "device_swap"),
    ],
    "updates.features": [
        (True, OK, "remote"),
        (False, NO, None),
        (True, OK, "device_swap"),
        (False, NO, None),
    ],
    "push": [(True, OK, None)] * 4,
    "chat": [(True, OK, "remote"), (False, NO, None), (True, OK, "device_swap"), (False, NO, None)],
    "chat.fax_notice": [
        (True, OK, "remote"),
        (False, NO, None),
        (True, OK, "device_swap"),
        (False, NO, None),
    ],
    "remote.phonebook": [
        (True, OK, "remote"),
        (False, NO, "self_service"),
        (True, OK, "device_swap"),
        (False, NO, "self_service"),
    ],
    "remote.settings": [
        (True, OK, "remote"),
        (False, NO, "paid_work_order"),
        (True, OK, "device_swap"),
        (False, NO, "paid_work_order"),
    ],
    "remote.absence_schedule": [
        (True, OK, "remote"),
        (False, NO, "self_service"),
        (True, OK, "device_swap"),
        (False, NO, "self_service"),
    ],
    "premium.membership": [
        (True, OK, None),
        (False, NO, None),
        (True, OK, None),
        (False, NO, None),
    ],
    # existing maintenance functions: contract, never on MOT/Mini (note 2)
    "ivr.multilevel": [(True, OK, None), (False, NO, None), (False, EX, None), (False, EX, None)],
    "acd": [(True, OK, None), (False, NO, None), (False, EX, None), (False, EX, None)],
    "conference.audio": [(True, OK, None), (False, NO, None), (False, EX, None), (False, EX, None)],
    "prompts.hold": [(True, OK, None)] * 4,
    # roadmap services of the contract
    "stt.transcribe": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "tts.synthesize": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "conference.video": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "video.call": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "video.entrance": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "lock.electric": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "power.management": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
    "attendance": [(True, OK, None), (False, NO, None), (True, OK, None), (False, NO, None)],
}
CASES = [(f, name, TABLE[f][i]) for f in TABLE for i, name in enumerate(ORDER)]


def test_table_covers_every_policy_feature() -> None:
    assert set(TABLE) == set(POLICY.features)


@pytest.mark.parametrize(
    ("feature", "device", "expected"), CASES, ids=[f"{f}-{d}" for f, d, _ in CASES]
)
def test_contract_table(feature: str, device: str, expected: tuple[bool, Code, str | None]) -> None:
    d = decide(POLICY, DEVICES[device], feature, at=TODAY)
    assert (d.allowed, d.code, d.fulfilment) == expected, d.reason
    assert d.reason


@pytest.mark.parametrize(("device", "limit"), list(zip(ORDER, [5, 1, 1, 1], strict=True)))
def test_hold_message_quota(device: str, limit: int) -> None:
    d = decide(POLICY, DEVICES[device], "prompts.hold", at=TODAY, used=limit - 1, requested=1)
    assert d.allowed and d.limit == limit and d.used == limit - 1
    d = decide(POLICY, DEVICES[device], "prompts.hold", at=TODAY, used=limit, requested=1)
    assert (d.allowed, d.code, d.limit, d.used) == (False, Code.QUOTA_EXCEEDED, limit, limit)


def test_free_use_ended_2019_03_31() -> None:
    dev = DEVICES["S-V2 no contract"]
    for feature in ("chat", "chat.fax_notice", "ivr.multilevel", "acd", "conference.audio"):
        assert decide(POLICY, dev, feature, at=date(2019, 3, 31)).code is Code.FREE_PERIOD
        assert decide(POLICY, dev, feature, at=date(2019, 4, 1)).code is Code.NO_CONTRACT
    # The Mini never had the maintenance functions, free period or not.
    mini = DEVICES["Mini no contract"]
    assert decide(POLICY, mini, "ivr.multilevel", at=date(2019, 3, 1)).code is Code.MODEL_EXCLUDED


def test_expired_and_future_contracts() -> None:
    ended = DeviceFacts(
        "e", "MOT/PBX M-V3", date(2018, 1, 1), (ContractFacts(date(2019, 4, 1), date(2020, 3, 31)),)
    )
    assert decide(POLICY, ended, "stt.transcribe", at=date(2020, 3, 31)).code is Code.OK
    assert (
        decide(POLICY, ended, "stt.transcribe", at=date(2020, 4, 1)).code is Code.CONTRACT_EXPIRED
    )
    later = DeviceFacts("f", "MOT/PBX M-V3", date(2018, 1, 1), (ContractFacts(date(2021, 1, 1)),))
    assert decide(POLICY, later, "stt.transcribe", at=date(2020, 6, 1)).code is Code.NO_CONTRACT


def test_premium_accepts_another_maintenance_contract() -> None:
    dev = DeviceFacts(
        "g",
        "MOT/PBX S-V1",
        date(2018, 1, 1),
        (ContractFacts(date(2018, 1, 1), kind="maintenance"),),
    )
    assert decide(POLICY, dev, "premium.membership", at=TODAY).allowed
    assert decide(POLICY, dev, "stt.transcribe", at=TODAY).code is Code.NO_CONTRACT


def test_unknowns_fail_closed() -> None:
    assert (
        decide(POLICY, DEVICES["M-V3+contract"], "teleport", at=TODAY).code is Code.UNKNOWN_FEATURE
    )
    assert decide(POLICY, None, "chat", at=TODAY).code is Code.UNKNOWN_DEVICE
    odd = DeviceFacts("h", "MOT/Toaster", date(2018, 1, 1), (SIGNED,))
    assert decide(POLICY, odd, "chat", at=TODAY).code is Code.UNKNOWN_MODEL


def test_malformed_policy_fails_with_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("version = 1\n[billing]\nservice_start = 2019-04-01\n")
    with pytest.raises(PolicyError, match=r"billing\.early_contract_rule"):
        load_policy(bad)
    bad.write_text("not = [toml")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    text = Path("src/motmedia/entitlements/policy.toml").read_text()
    bad.write_text(
        text.replace('excluded_models = ["MOT/Mini"]', 'excluded_models = ["MOT/Nano"]', 1)
    )
    with pytest.raises(PolicyError, match="unknown models"):
        load_policy(bad)
    bad.write_text(text.replace('requires = "everyone"', 'requires = "sometimes"', 1))
    with pytest.raises(PolicyError, match="requires"):
        load_policy(bad)
