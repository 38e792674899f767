"""The one pattern for tenant-scoped lookups.

Every query for a tenant-owned row goes through :func:`scoped` (lists) or
:func:`get_scoped` (one row). Vendor keys see everything; customer keys see rows of their
customer; device keys additionally see only rows of their own device. Another tenant's
row is reported as *not found* (404), never as forbidden, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from motmedia.errors import NotFound
from motmedia.tenants.auth import Principal

__all__ = ["get_scoped", "scoped"]

M = TypeVar("M")


def scoped(stmt: Select[Any], model: Any, principal: Principal) -> Select[Any]:
    """Add the tenant (and device) filter for ``principal`` to ``stmt`` over ``model``.

    ``model`` declares how it is owned: a ``customer_id`` column (or, for the customer
    table itself, its ``id``), and optionally ``__device_column__`` naming the column that
    holds its device id.
    """
    if principal.is_vendor:
        return stmt
    customer_col = model.id if model.__tablename__ == "customers" else model.customer_id
    stmt = stmt.where(customer_col == principal.customer_id)
    device_col_name: str | None = getattr(model, "__device_column__", None)
    if principal.device_id is not None and device_col_name is not None:
        stmt = stmt.where(getattr(model, device_col_name) == principal.device_id)
    return stmt


def get_scoped(session: Session, model: type[M], row_id: str, principal: Principal) -> M:
    what = getattr(model, "__label__", model.__name__.lower())
    id_col: Any = model.id  # type: ignore[attr-defined]
    row: M | None = session.scalars(
        scoped(select(model), model, principal).where(id_col == row_id)
    ).first()
    if row is None:
        raise NotFound(
            f"No {what} with id {row_id}.", code=f"{what.upper().replace(' ', '_')}_NOT_FOUND"
        )
    return row
