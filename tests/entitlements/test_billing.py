"""SPEC §3.2 first invoices and the repair rule, with boundaries and a property test."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motmedia.entitlements.billing import first_invoice, repair_quote
from motmedia.entitlements.engine import ContractFacts, DeviceFacts
from motmedia.entitlements.policy import load_policy
from motmedia.errors import BadInput

POLICY = load_policy()
B = POLICY.billing


def test_worked_examples() -> None:
    inv = first_invoice(date(2018, 11, 15), date(2019, 6, 10), B)
    assert (inv.first_month, inv.last_month, inv.months) == ("2019-04", "2019-06", 3)
    inv = first_invoice(date(2019, 9, 2), date(2019, 12, 25), B)
    assert (inv.first_month, inv.last_month, inv.months) == ("2019-09", "2019-12", 4)


def test_boundaries() -> None:
    # Install month = contract month: one month.
    assert first_invoice(date(2020, 5, 1), date(2020, 5, 31), B).months == 1
    # Installed years before 2019: still from 2019-04.
    inv = first_invoice(date(2011, 2, 1), date(2019, 4, 1), B)
    assert (inv.first_month, inv.months) == ("2019-04", 1)
    assert first_invoice(date(2011, 2, 1), date(2020, 3, 31), B).months == 12
    # Signed before the service started (not in the notice): the policy's explicit rule.
    inv = first_invoice(date(2017, 6, 1), date(2019, 2, 15), B)
    assert (inv.first_month, inv.last_month, inv.months, inv.rule) == (
        "2019-04",
        "2019-04",
        1,
        "contract_before_service_start",
    )
    with pytest.raises(BadInput) as err:
        first_invoice(date(2020, 5, 2), date(2020, 5, 1), B)
    assert err.value.code == "CONTRACT_BEFORE_INSTALL"


@given(
    install=st.dates(min_value=date(2005, 1, 1), max_value=date(2040, 12, 31)),
    gap=st.integers(min_value=0, max_value=365 * 20),
)
def test_invoice_never_before_service_start_nor_after_contract(install: date, gap: int) -> None:
    contract = install + timedelta(days=gap)
    if contract > date(2045, 12, 31):
        return
    inv = first_invoice(install, contract, B)
    assert inv.first_month >= "2019-04"
    assert inv.months >= 1
    if contract >= B.service_start:
        assert inv.last_month == f"{contract.year:04d}-{contract.month:02d}"
        assert inv.first_month <= inv.last_month


INSTALL = date(2021, 3, 10)


@pytest.mark.parametrize(
    ("days", "contract", "free", "fee"),
    [(364, False, True, 0), (366, False, False, 15000), (364, True, True, 0), (366, True, True, 0)],
)
def test_repair_quote(days: int, contract: bool, free: bool, fee: int) -> None:
    contracts = (ContractFacts(signed=INSTALL),) if contract else ()
    device = DeviceFacts("x", "MOT/PBX S-V2", INSTALL, contracts)
    quote = repair_quote(device, INSTALL + timedelta(days=days), POLICY.repair)
    assert (quote.free, quote.dispatch_fee_yen) == (free, fee)
    assert isinstance(quote.dispatch_fee_yen, int) and quote.tax_included is False
    if not free:
        assert "¥15,000" in quote.reason and quote.parts == "quoted separately"


def test_repair_free_period_over_a_leap_day() -> None:
    leap = DeviceFacts("y", "MOT/Mini", date(2024, 2, 29))
    assert repair_quote(leap, date(2025, 2, 28), POLICY.repair).free
    assert not repair_quote(leap, date(2025, 3, 1), POLICY.repair).free
