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

from motmedia.db import new_id, utcnow
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


def deliver_due(*, session: Session, client: httpx.Client, limit: int = 50) -> int:
    """Send pending deliveries whose time has come; returns how many succeeded."""
    due = list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_at <= utcnow())
            .order_by(WebhookDelivery.next_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for delivery in due:
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is None:
            delivery.status = "failed"
            continue
        body = delivery.event.encode()
        delivery.attempts += 1
        try:
            response = client.post(
                hook.url,
                content=body,
                headers={"Content-Type": "application/json", HEADER: sign(hook.secret, body)},
                timeout=10,
            )
            ok = 200 <= response.status_code < 300
            error = None if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            delivery.status = "delivered"
            sent += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.last_error = "failed", error
        else:
            delivery.last_error = error
            delivery.next_at = utcnow() + timedelta(seconds=backoff(delivery.attempts))
    return sent
