"""conference: rooms and entrance cameras

Revision ID: 0006_conference
Revises: 0005_prompt_library
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0006_conference"
down_revision = "0005_prompt_library"
branch_labels = None
depends_on = None


def _owned() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=False, index=True),
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "rooms",
        *_owned(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media", sa.String(16), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("empty_timeout_s", sa.Integer(), nullable=False),
    )
    op.create_table(
        "cameras",
        *_owned(),
        sa.Column("room_id", sa.String(36), sa.ForeignKey("rooms.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("credentials", sa.LargeBinary(), nullable=True),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("cameras")
    op.drop_table("rooms")
