"""recordings, jobs, webhooks, transcript search index

Revision ID: 0004_recordings
Revises: 0003_message_slots
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from motmedia.db import UTCDateTime

revision = "0004_recordings"
down_revision = "0003_message_slots"
branch_labels = None
depends_on = None


def _base() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
    ]


def upgrade() -> None:
    op.create_table(
        "recordings",
        *_base(),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("call_id", sa.String(200)),
        sa.Column("started_at", UTCDateTime(), index=True),
        sa.Column("direction", sa.String(16)),
        sa.Column("caller", sa.String(64), index=True),
        sa.Column("callee", sa.String(64), index=True),
        sa.Column("extension", sa.String(32)),
        sa.Column("parties", sa.String(200)),
        sa.Column("language", sa.String(8)),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("codec", sa.String(32)),
        sa.Column("channels", sa.Integer()),
        sa.Column("duration", sa.Float()),
        sa.Column("transcript_json", sa.Text()),
        sa.Column("transcript_text", sa.Text()),
        sa.Column("metrics_json", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("audio_deleted_at", UTCDateTime()),
        sa.UniqueConstraint("device_id", "idempotency_key", name="uq_recordings_device_idem"),
    )
    op.create_table(
        "jobs",
        *_base(),
        sa.Column("recording_id", sa.String(36), sa.ForeignKey("recordings.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("customer_id", sa.String(36), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", UTCDateTime(), nullable=False, index=True),
        sa.Column("lease_until", UTCDateTime(), index=True),
        sa.Column("worker_id", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )
    op.create_table(
        "webhooks",
        *_base(),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        *_base(),
        sa.Column("webhook_id", sa.String(36), sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("last_error", sa.Text()),
    )
    # Substring search suited to Japanese (no word boundaries): trigram indexes.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE recording_search USING fts5("
            "recording_id UNINDEXED, customer_id UNINDEXED, body, tokenize='trigram')"
        )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_recordings_transcript_trgm ON recordings "
            "USING gin (transcript_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS recording_search")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("jobs")
    op.drop_table("recordings")
