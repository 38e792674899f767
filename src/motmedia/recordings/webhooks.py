"""Webhooks: HMAC-signed events on ``done`` / ``dead``, delivered with retries.

Signature header, in the style receivers already know from payment providers::

    X-Motmedia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

The receiver recomputes it over the raw body and rejects old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from motmedia.db import Database, new_id, utcnow
from motmedia.errors import BadInput
from motmedia.recordings.jobs import backoff
from motmedia.recordings.models import Webhook, WebhookDelivery

__all__ = ["MAX_ATTEMPTS", "create", "deliver_due", "enqueue_event", "sign", "verify"]

MAX_ATTEMPTS = 8
HEADER = "X-Motmedia-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, t), header)


def create(*, session: Session, customer_id: str, url: str) -> Webhook:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput("A webhook URL must be http(s)://host/...", code="INVALID_WEBHOOK_URL")
    hook = Webhook(id=new_id(), customer_id=customer_id, url=url, secret=secrets.token_hex(32))
    session.add(hook)
    session.flush()
    return hook


def enqueue_event(*, session: Session, customer_id: str, event: dict[str, Any]) -> int:
    hooks = list(session.scalars(select(Webhook).where(Webhook.customer_id == customer_id)))
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    for hook in hooks:
        session.add(
            WebhookDelivery(
                id=new_id(),
                webhook_id=hook.id,
                event=body,
                status="pending",
                attempts=0,
                next_at=utcnow(),
            )
        )
    return len(hooks)


# While a batch is being sent, its deliveries are not due for anyone else.
SENDING_HOLD = timedelta(minutes=5)


def deliver_due(*, db: Database, client: httpx.Client, limit: int = 50) -> int:
    """Send pending deliveries whose time has come; returns how many succeeded.

    Three short transactions, none open during the HTTP calls: claim a batch (moving its
    ``next_at`` past the send), send, record the outcomes. A slow receiver therefore holds
    no database locks, and a second supervisor does not send the same batch.
    """
    with db.session() as session:
        due = list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_at <= utcnow())
                .order_by(WebhookDelivery.next_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        batch: list[tuple[str, str, str, bytes]] = []
        for delivery in due:
            hook = session.get(Webhook, delivery.webhook_id)
            if hook is None:
                delivery.status = "failed"
                continue
            delivery.attempts += 1
            delivery.next_at = utcnow() + SENDING_HOLD
            batch.append((delivery.id, hook.url, hook.secret, delivery.event.encode()))
    outcomes: dict[str, str | None] = {}
    for delivery_id, url, secret, body in batch:
        headers = {"Content-Type": "application/json", HEADER: sign(secret, body)}
        try:
            response = client.post(url, content=body, headers=headers, timeout=10)
            ok = 200 <= response.status_code < 300
            outcomes[delivery_id] = None if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            outcomes[delivery_id] = f"{type(exc).__name__}: {exc}"
    with db.session() as session:
        for delivery_id, error in outcomes.items():
            sent = session.get(WebhookDelivery, delivery_id)
            if sent is None:
                continue
            if error is None:
                sent.status, sent.last_error = "delivered", None
            elif sent.attempts >= MAX_ATTEMPTS:
                sent.status, sent.last_error = "failed", error
            else:
                sent.last_error = error
                sent.next_at = utcnow() + timedelta(seconds=backoff(sent.attempts))
    return sum(1 for error in outcomes.values() if error is None)
