"""prompt library: ssml flag and intelligibility check on message slots; IVR menus

Revision ID: 0005_prompt_library
Revises: 0004_recordings
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0005_prompt_library"
down_revision = "0004_recordings"
branch_labels = None
depends_on = None


def _check_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("render_key", sa.String(64), nullable=True),
        sa.Column("check_status", sa.String(16), nullable=True),
        sa.Column("cer", sa.Float(), nullable=True),
        sa.Column("check_json", sa.Text(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("message_slots") as batch:
        batch.add_column(sa.Column("ssml", sa.Boolean(), nullable=False, server_default=sa.false()))
        for column in _check_columns():
            batch.add_column(column)
    op.create_table(
        "ivr_menus",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("is_root", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("timeout_text", sa.Text(), nullable=True),
        sa.Column("invalid_text", sa.Text(), nullable=True),
        sa.Column("ssml", sa.Boolean(), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("voice", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *_check_columns(),
        sa.UniqueConstraint("device_id", "name", name="uq_ivr_menus_device_name"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("ivr_menus")
    with op.batch_alter_table("message_slots") as batch:
        for column in reversed(_check_columns()):
            batch.drop_column(column.name)
        batch.drop_column("ssml")
