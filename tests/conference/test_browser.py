# ruff: noqa: F811  (pytest fixtures imported from .live are parameters here)
"""The browser client in headless Chromium: two pages in one room see each other."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from motmedia.conference import decoder_counts

from .fixtures import make_room, make_token
from .live import live_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

FRAMES_DECODED = """async () => {
  const pc = window.motmedia?.subscribePc;
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded || 0;
  });
  return n;
}"""


def wait_decoding(page: Page, frames: int, within: float = 30.0) -> int:
    deadline = time.monotonic() + within
    while (n := page.evaluate(FRAMES_DECODED)) < frames:
        assert time.monotonic() < deadline, f"only {n} frames decoded"
        page.wait_for_timeout(250)
    return int(n)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium")
def test_two_pages_see_each_other(live_server):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key, kind="video_call", name="受付")
    ARTIFACTS.mkdir(exist_ok=True)
    before = decoder_counts()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = []
            for identity, locale in (("tanaka", "ja-JP"), ("smith", "en-US")):
                context = browser.new_context(locale=locale)
                page = context.new_page()
                token = make_token(server.http, key, room["id"], identity,
                                   display_name=identity.title())  # fmt: skip
                page.goto(f"{server.url}/app/room.html?room={room['id']}#token={token}")
                pages.append(page)
            for page in pages:
                wait_decoding(page, 30)
            ja, en = pages
            assert ja.locator("#leave").inner_text() == "退出"
            assert en.locator("#leave").inner_text() == "Leave"
            assert ja.locator("figure[data-participant=smith]").count() == 1
            assert en.locator("figure[data-participant=tanaka]").count() == 1
            for page, name in zip(pages, ("ja", "en"), strict=True):
                page.screenshot(path=str(ARTIFACTS / f"conference_{name}.png"))

            # Mute toggles the local track; the language toggle switches every string.
            ja.click("#mic")
            assert ja.evaluate("window.motmedia.local.getAudioTracks()[0].enabled") is False
            assert ja.locator("#mic").inner_text() == "ミュート解除"
            ja.click("#lang")
            assert ja.locator("#mic").inner_text() == "Unmute"
            assert ja.locator("#leave").inner_text() == "Leave"

            # Leaving removes the tile on the other side.
            en.click("#leave")
            ja.locator("figure[data-participant=smith]").wait_for(state="detached")
        finally:
            browser.close()
    # Chromium decoded; the SFU in this process created no decoder at all.
    assert decoder_counts().created == before.created
    assert decoder_counts().in_passthrough == 0


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium")
def test_viewer_mode_only_watches(live_server):
    server = live_server
    key = server.pbx.device_key
    room = make_room(server.http, key, kind="entrance", name="玄関")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            camera = browser.new_page()
            token = make_token(server.http, key, room["id"], "door")
            camera.goto(f"{server.url}/app/room.html?room={room['id']}#token={token}")
            viewer = browser.new_page()
            token = make_token(server.http, key, room["id"], "staff", can_publish=False)
            viewer.goto(f"{server.url}/app/room.html?room={room['id']}&mode=viewer#token={token}")
            wait_decoding(viewer, 20)
            assert viewer.evaluate("window.motmedia.publishPc") is None
            assert viewer.locator("#self").is_hidden()
            viewer.screenshot(path=str(ARTIFACTS / "conference_viewer.png"))
        finally:
            browser.close()
