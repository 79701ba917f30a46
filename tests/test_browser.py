"""The chat in a real browser: Debian's Chromium driven by Playwright (no browser download)."""

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from c5qa.app.service import Service
from c5qa.faces.ui import build_app
from c5qa.index.embedding import Embedder
from c5qa.measure.loadtest import free_port
from c5qa.settings import Settings
from tests.conftest import CORPUS, KAZAKHSTAN, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "---\ntitle: Zarafshan payload note\ndate: 2024-05-01\n---\n"
    "The Zarafshan valley irrigation note <script>window.__pwned = 1; alert('script')</script> "
    "mentions <img src=x onerror=\"window.__pwned = 2; alert('img')\"> canals. "
    "The Zarafshan valley canals need repair, see [details](javascript:alert('link')).\n"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "corpus" / "zarafshan-payload.txt").write_text(HOSTILE)
    service = Service(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), embedder)
    service.index(on_notice=lambda message: None)
    app = build_app(service)
    app.queue()
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def _ask(page, question: str) -> tuple[float, float]:
    """Type a question, press Enter; seconds to the first streamed text and to the full answer
    (its five source messages)."""
    box = page.get_by_placeholder("Type a message...")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.locator("[data-testid='bot']").first.wait_for(timeout=30_000)
    first = time.perf_counter() - started
    page.get_by_text("[5] ", exact=False).first.wait_for(timeout=30_000)
    return first, time.perf_counter() - started


def test_question_streams_an_answer_with_a_cited_source(browser, url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url)
    first, complete = _ask(
        page, "Which firm will upgrade Kazakhstan's air traffic management system?"
    )
    answer = page.locator("[data-testid='bot']").first.inner_text()
    assert "Leidos" in answer and "[1]" in answer
    source = page.get_by_text("[1] A New Era in U.S.-Kazakhstan Relations", exact=False).first
    source.click()
    passage = page.get_by_text("A $200 million contract awarded to U.S. firm Leidos").last
    passage.wait_for(timeout=10_000)
    body = page.locator("body").inner_text()
    assert "U.S. Department of State" in body and "Partial text" in body
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    (ARTIFACTS / "browser-timings.json").write_text(
        json.dumps(
            {
                "first_token_s": round(first, 3),
                "complete_s": round(complete, 3),
                "source": KAZAKHSTAN,
            }
        )
    )
    assert complete < 30
    page.close()


def test_untrusted_document_text_stays_inert(browser, url: str) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    _ask(page, "What does the note say about the Zarafshan valley canals?")
    page.get_by_text("[1] Zarafshan payload note", exact=False).first.click()
    page.get_by_text("mentions", exact=False).last.wait_for(timeout=10_000)
    body = page.locator("body").inner_text()
    assert "Zarafshan" in body
    assert "onerror=" in body and "javascript:alert" in body  # shown, as text
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)
    assert dialogs == []
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("script:text('__pwned')").count() == 0
    page.close()
