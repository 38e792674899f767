"""Money and dates of the contract: the first invoice and repair quotes (integer yen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from motmedia.entitlements.engine import ContractStatus, DeviceFacts, contract_status
from motmedia.entitlements.policy import Billing, Repair
from motmedia.errors import BadInput

__all__ = ["FirstInvoice", "RepairQuote", "first_invoice", "repair_quote"]


@dataclass(frozen=True, slots=True)
class FirstInvoice:
    first_month: str  # "YYYY-MM"
    last_month: str
    months: int
    rule: str  # which rule of SPEC §3.2 / the policy applied


@dataclass(frozen=True, slots=True)
class RepairQuote:
    free: bool
    reason: str
    dispatch_fee_yen: int
    parts: str  # parts are priced per repair; the quote says so rather than inventing a figure
    tax_included: bool


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_str(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_invoice(install_date: date, contract_date: date, billing: Billing) -> FirstInvoice:
    """The months the first invoice covers (SPEC §3.2).

    From the later of the install month and the service start month, through the contract
    month, both included. Installed 2018-11 / signed 2019-06 → Apr–Jun (3); installed
    2019-09 / signed 2019-12 → Sep–Dec (4).
    """
    if contract_date < install_date:
        raise BadInput(
            "The contract date is before the device's install date.", code="CONTRACT_BEFORE_INSTALL"
        )
    start = _month_index(billing.service_start)
    if contract_date < billing.service_start:
        # Not covered by the notice; policy rule "bill_from_service_start": the contract
        # is billed from the service start month, so its first invoice is that month alone.
        return FirstInvoice(
            _month_str(start), _month_str(start), 1, "contract_before_service_start"
        )
    first = max(_month_index(install_date), start)
    last = _month_index(contract_date)
    rule = (
        "from_service_start"
        if first == start and _month_index(install_date) < start
        else "from_install_month"
    )
    return FirstInvoice(_month_str(first), _month_str(last), last - first + 1, rule)


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 1 March in a common year
        return date(day.year + years, 3, 1)


def repair_quote(device: DeviceFacts, day: date, repair: Repair) -> RepairQuote:
    """Free with an active contract or within the first year; otherwise dispatch fee + parts."""
    if day < device.install_date:
        raise BadInput(
            "The repair date is before the device's install date.", code="DATE_BEFORE_INSTALL"
        )
    parts = "quoted separately"
    if contract_status(device, day) is ContractStatus.ACTIVE:
        return RepairQuote(
            True,
            "Covered by the Software Usage Contract: repair and dispatch are free.",
            0,
            "free",
            repair.tax_included,
        )
    free_until = _anniversary(device.install_date, repair.free_years_from_install)
    if day < free_until:
        return RepairQuote(
            True,
            "Within the free repair period after installation "
            f"(until {free_until.isoformat()}, exclusive).",
            0,
            "free",
            repair.tax_included,
        )
    return RepairQuote(
        False,
        f"No contract and more than {repair.free_years_from_install} year(s) since installation: "
        f"dispatch fee ¥{repair.dispatch_fee_yen:,} (tax excluded) plus parts.",
        repair.dispatch_fee_yen,
        parts,
        repair.tax_included,
    )
