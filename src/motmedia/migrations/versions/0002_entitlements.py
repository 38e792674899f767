"""devices, contracts, entitlement audit log

Revision ID: 0002_entitlements
Revises: 0001_tenants
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0002_entitlements"
down_revision = "0001_tenants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("install_date", sa.Date(), nullable=False),
        sa.Column("quota_seq", sa.Integer(), nullable=False),
        sa.UniqueConstraint("model", "serial", name="uq_devices_model_serial"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("signed_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
    )
    op.create_table(
        "entitlement_audit",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("key_id", sa.String(36), nullable=True),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("customer_id", sa.String(36), nullable=True, index=True),
        sa.Column("device_id", sa.String(36), nullable=True, index=True),
        sa.Column("feature", sa.String(64), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at_date", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=True),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.create_foreign_key(
            "fk_api_keys_device_id_devices", "devices", ["device_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_device_id_devices", type_="foreignkey")
    op.drop_table("entitlement_audit")
    op.drop_table("contracts")
    op.drop_table("devices")
