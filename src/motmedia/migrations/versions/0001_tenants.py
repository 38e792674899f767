"""customers and api keys

Revision ID: 0001_tenants
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0001_tenants"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_customers_created_at", "customers", ["created_at"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column(
            "customer_id",
            sa.String(36),
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_api_keys_customer_id_customers"
            ),
            nullable=True,
        ),
        sa.Column("device_id", sa.String(36), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_keys_created_at", "api_keys", ["created_at"])
    op.create_index("ix_api_keys_customer_id", "api_keys", ["customer_id"])
    op.create_index("ix_api_keys_device_id", "api_keys", ["device_id"])


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("customers")
