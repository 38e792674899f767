"""Webhook delivery against a real local HTTP receiver, on SQLite and PostgreSQL.

A receiver that answers 500 twice and then 204 gets the same signed body three times:
``deliver_due`` backs off after each failure (``next_at`` is moved to now between attempts,
so the test does not sleep) and the third attempt is ``delivered``. A receiver that never
accepts ends ``failed`` after ``MAX_ATTEMPTS``. Signatures verify with ``webhooks.verify``
and fail on a changed body, another secret or an old timestamp.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from motmedia.db import Database, utcnow
from motmedia.recordings import webhooks
from motmedia.recordings.jobs import BACKOFF_BASE
from motmedia.recordings.models import WebhookDelivery

from ..conftest import Keys, auth

EVENT = {"type": "recording.done", "recording_id": "r-1", "status": "done", "call_id": "通話-1"}


@dataclass
class Receiver:
    """Answers with ``statuses`` in turn (then ``then``); keeps what it was sent."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    then: int = 204
    received: list[tuple[bytes, str, str]] = field(default_factory=list)  # body, sig, type


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(
                (body, self.headers[webhooks.HEADER], self.headers["Content-Type"])
            )
            self.send_response(state.statuses.pop(0) if state.statuses else state.then)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/motmedia"
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Hook:
    secret: str
    db: Database
    customer_id: str


@pytest.fixture
def hook(client: TestClient, app: FastAPI, keys: Keys, receiver: Receiver) -> Hook:
    r = client.post("/v1/webhooks", json={"url": receiver.url}, headers=auth(keys.admin_a))
    assert r.status_code == 201, r.text
    return Hook(r.json()["secret"], app.state.motmedia.db, keys.customer_a)


def enqueue(hook: Hook, customer_id: str | None = None) -> int:
    with hook.db.session() as session:
        return webhooks.enqueue_event(
            session=session, customer_id=customer_id or hook.customer_id, event=EVENT
        )


def deliver(hook: Hook) -> int:
    with httpx.Client() as client:
        return webhooks.deliver_due(db=hook.db, client=client)


def delivery(hook: Hook) -> WebhookDelivery:
    with hook.db.session() as session:
        found = session.scalars(select(WebhookDelivery)).one()
        session.expunge(found)
        return found


def make_due(hook: Hook) -> None:
    with hook.db.session() as session:
        session.execute(update(WebhookDelivery).values(next_at=utcnow()))


def test_retries_with_backoff_then_delivers(hook: Hook, receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    assert enqueue(hook) == 1

    for attempt in (1, 2):
        before = utcnow()
        assert deliver(hook) == 0
        d = delivery(hook)
        assert (d.status, d.attempts, d.last_error) == ("pending", attempt, "HTTP 500")
        # backoff(n): half fixed, half jitter, of BACKOFF_BASE * 2^(n-1) seconds.
        delay = BACKOFF_BASE * 2 ** (attempt - 1)
        wait = (d.next_at - before).total_seconds()
        assert delay / 2 - 1 <= wait <= delay + 1, wait
        assert deliver(hook) == 0  # not due yet: nothing is sent
        assert len(receiver.received) == attempt
        make_due(hook)

    assert deliver(hook) == 1
    d = delivery(hook)
    assert (d.status, d.attempts) == ("delivered", 3)
    assert deliver(hook) == 0 and len(receiver.received) == 3  # delivered once, not again

    bodies = {body for body, _, _ in receiver.received}
    assert len(bodies) == 1  # the same event each time
    body = bodies.pop()
    assert json.loads(body) == EVENT
    for sent, signature, content_type in receiver.received:
        assert content_type == "application/json"
        assert webhooks.verify(hook.secret, sent, signature)
    _, signature, _ = receiver.received[-1]
    assert not webhooks.verify(hook.secret, body.replace(b"done", b"dead"), signature)
    assert not webhooks.verify("another-secret", body, signature)


def test_signature_format_and_replay_window(hook: Hook) -> None:
    body = json.dumps(EVENT).encode()
    now = int(time.time())
    signature = webhooks.sign(hook.secret, body, now)
    t, v1 = signature.split(",")
    assert t == f"t={now}" and v1.startswith("v1=") and len(v1) == 3 + 64
    assert webhooks.verify(hook.secret, body, signature)
    old = webhooks.sign(hook.secret, body, now - 301)
    assert not webhooks.verify(hook.secret, body, old)
    assert webhooks.verify(hook.secret, body, old, tolerance=400)
    for garbage in ("", "t=abc,v1=00", "v1=00", f"t={now}", f"t={now},v1={'0' * 64}"):
        assert not webhooks.verify(hook.secret, body, garbage)


def test_gives_up_after_max_attempts(hook: Hook, receiver: Receiver) -> None:
    receiver.then = 503
    enqueue(hook)

    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        assert deliver(hook) == 0
        assert delivery(hook).attempts == attempt
        make_due(hook)

    d = delivery(hook)
    assert (d.status, d.attempts, d.last_error) == ("failed", webhooks.MAX_ATTEMPTS, "HTTP 503")
    assert deliver(hook) == 0
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS


def test_unreachable_receiver_is_retried(client: TestClient, app: FastAPI, keys: Keys) -> None:
    with socket.socket() as s:  # a port that was just free: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}/nobody"
    r = client.post("/v1/webhooks", json={"url": dead}, headers=auth(keys.admin_a))
    assert r.status_code == 201
    hook = Hook(r.json()["secret"], app.state.motmedia.db, keys.customer_a)
    enqueue(hook)

    assert deliver(hook) == 0
    d = delivery(hook)
    assert d.status == "pending" and d.attempts == 1
    assert d.last_error and d.last_error.startswith("ConnectError")
    assert d.next_at > utcnow() + timedelta(seconds=BACKOFF_BASE / 2 - 1)


def test_events_go_only_to_the_customers_own_hooks(hook: Hook, keys: Keys) -> None:
    assert enqueue(hook, keys.customer_b) == 0
    assert deliver(hook) == 0


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://", "/relative", "javascript:x"])
def test_webhook_url_must_be_http(client: TestClient, keys: Keys, url: str) -> None:
    r = client.post("/v1/webhooks", json={"url": url}, headers=auth(keys.admin_a))
    assert r.status_code == 422 and r.json()["code"] == "INVALID_WEBHOOK_URL"
