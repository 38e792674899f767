"""hold / recording-notice message slots

Revision ID: 0003_message_slots
Revises: 0002_entitlements
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0003_message_slots"
down_revision = "0002_entitlements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("voice", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("device_id", "slot", name="uq_message_slots_device_slot"),
    )


def downgrade() -> None:
    op.drop_table("message_slots")
