"""The chat in a real browser: Debian's Chromium driven by Playwright (no browser download)."""

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from c5qa.app.service import Service
from c5qa.faces.ui import CSS, build_app
from c5qa.index.embedding import Embedder
from c5qa.ingest.documents import split_front_matter
from c5qa.measure.loadtest import free_port
from c5qa.settings import Settings
from tests.conftest import CHARDARA_CROSSING, CORPUS, KAZAKHSTAN, ROOT, chardara_pdf

# Where `make test` installs Debian's Chromium (or finds one on PATH).
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
MISSING = (
    f"{CHROMIUM} is not installed: the browser tests need Debian's Chromium "
    "(run `make test` as root to install it, or: sudo apt-get install chromium)"
)
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
# Issue #21: metadata is as untrusted as text. A title that, unescaped, loads a beacon image
# and shows a phishing link (other ports than the app's), a publisher and a url likewise.
BEACON_TITLE = (
    "![px](http://127.0.0.1:7870/gradio_api/startup-events?leak=1) "
    "[click](http://127.0.0.1:9/phish)"
)
HOSTILE_META = (
    "---\n"
    f"title: {json.dumps(BEACON_TITLE)}\n"
    'publisher: "<img src=http://127.0.0.1:9/pub.png> Naryn ![pub](http://127.0.0.1:9/p.png)"\n'
    "date: 2024-06-01\n"
    'url: "http://127.0.0.1:9/a)[y](javascript:alert(1))"\n'
    "---\n"
    "The Naryn cascade sluice gates were inspected by the basin water committee in June. "
    "The committee found that the Naryn cascade sluice gates need new seals before winter. "
    "Its report is at www.naryn.example and from press@naryn.example on request.\n"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():  # never a skip: `make test` would pass without the browser
        pytest.fail(MISSING)
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
    (root / "corpus" / "naryn-metadata-payload.txt").write_text(HOSTILE_META)
    chardara_pdf(root / "corpus" / "chardara-inspection.pdf")  # the reader's two-page PDF (#17)
    service = Service(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), embedder)
    service.index(on_notice=lambda message: None)
    app = build_app(service)
    app.queue()
    port = free_port()
    app.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def _ask(page, question: str) -> tuple[float, float]:
    """Type a question, press Enter; seconds to the first streamed text and to the full answer
    (its sources, one fold each, under it)."""
    box = page.locator("#question textarea")
    box.fill(question)
    bots = page.locator("[data-testid='bot']").count()
    folds = page.locator("[data-testid='bot'] details").count()
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll(\"[data-testid='bot']\").length > n",
        arg=bots,
        timeout=30_000,
    )
    first = time.perf_counter() - started
    page.wait_for_function(
        "n => document.querySelectorAll(\"[data-testid='bot'] details\").length > n",
        arg=folds,
        timeout=30_000,
    )
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
    page.wait_for_timeout(1_000)  # the card's opening, done before the screenshot
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


def _corpus_links() -> set[str]:
    """The http(s) URLs of the seed corpus' url fields: the only places a chat link may go."""
    links = set()
    for path in CORPUS.iterdir():
        meta, _ = split_front_matter(path.read_text(encoding="utf-8", errors="replace"))
        url = str(meta.get("url", ""))
        if url.startswith(("http://", "https://")):
            links.add(url)
    return links


def test_untrusted_metadata_loads_nothing_and_links_nowhere(browser, url: str) -> None:
    """Issue #21: a hostile title, publisher and url reach the page as text; no request leaves
    for another host:port (the beacon), and every link is a corpus url."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    _ask(page, "What did the basin water committee find about the Naryn cascade sluice gates?")
    page.get_by_text(re.compile(r"^\[1\] ")).first.click()
    page.get_by_text("need new seals", exact=False).last.wait_for(timeout=10_000)
    page.wait_for_timeout(1_000)  # the card's opening, done before the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-metadata.png"), full_page=True)
    for n in range(2, 6):  # the other sources too: their corpus urls are the links expected
        page.get_by_text(re.compile(rf"^\[{n}\] ")).first.click()
    page.wait_for_timeout(1_000)  # time for an image or prefetch to be requested, if any
    chat = page.locator("[role='log']").first
    text = chat.inner_text()
    app = urlsplit(url).netloc
    assert [r for r in requests if urlsplit(r).netloc != app] == []
    hrefs = chat.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and set(hrefs) <= _corpus_links(), hrefs
    # The title, literally: on its source's line (cut to one line) and whole in its card.
    assert f"[1] {BEACON_TITLE[:40]}" in text and BEACON_TITLE in text
    assert "<img src=http://127.0.0.1:9/pub.png> Naryn ![pub]" in text
    assert "http://127.0.0.1:9/a)[y](javascript:alert(1))" in text
    assert chat.locator("img[src*='127.0.0.1']").count() == 0
    # The reader (#17), opened by each source line clicked, shows the fields as text too.
    page.get_by_text(re.compile(r"^\[1\] ")).first.click()
    page.wait_for_function(
        "t => document.querySelector('#reader-head')?.innerText.includes(t)", arg=BEACON_TITLE
    )
    reader = page.locator("#reader")
    assert "http://127.0.0.1:9/a)[y](javascript:alert(1))" in reader.inner_text()
    assert reader.locator("a[href]").count() == 0 and reader.locator("img").count() == 0
    assert [r for r in requests if urlsplit(r).netloc != app] == []
    page.close()


def test_a_list_answer_reads_as_a_list(browser, url: str) -> None:
    """#15: the deals of the Kazakhstan fact sheet, one bullet each, in the chat as an HTML
    list whose items cite their passage."""
    page = browser.new_page(viewport={"width": 1280, "height": 1200})
    page.goto(url)
    _ask(page, "Which commercial deals did Kazakhstan announce with US companies in Nov 2025?")
    items = page.locator("[data-testid='bot'] li")
    items.first.wait_for(timeout=10_000)
    texts = items.all_inner_texts()
    assert len(texts) == 6 and all("[" in t for t in texts), texts
    assert any("Boeing" in t for t in texts) and any("Leidos" in t for t in texts)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "list.png"), full_page=True)


def test_what_changed_reads_as_three_classes_of_topics(browser, url: str) -> None:
    """#16: the chat's first example is answered by the diff: its lead counts the topics, and
    continued, dropped and new each list their topics, one per line, citing passages."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(url)
    # The examples are questions to click (#17), not rows of a table with empty columns.
    example = "What changed between the 2023 New York Declaration and the 2025 summit?"
    assert page.locator("table", has_text=example).count() == 0
    page.get_by_text(example).first.click()
    page.locator("[data-testid='bot'] details").first.wait_for(timeout=30_000)
    items = page.locator("[data-testid='bot'] li")
    items.first.wait_for(timeout=10_000)
    answer = page.locator("[data-testid='bot']").first.inner_text()
    assert answer.startswith("Compared with the 2023")
    assert all(label in answer for label in ("Continued (", "Dropped:", "New:"))
    texts = items.all_inner_texts()
    assert len(texts) >= 6 and all("[" in t for t in texts), texts
    assert any(t.startswith("cultural heritage") for t in texts), texts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diff.png"), full_page=True)
    page.close()


def test_the_compare_tab_shows_three_columns_whose_quotes_open_their_passages(
    browser, url: str
) -> None:
    """#16: the Compare tab sets continued, dropped and new side by side, topic by topic; a
    quote opens onto its passage with the quote in bold; a theme narrows the columns."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Compare").click()
    page.get_by_label("A (earlier)").fill("New York Declaration")
    page.get_by_label("B (later)").fill("2025-11-07")
    page.get_by_role("button", name="Compare").click()
    dropped = page.locator("#compare-dropped")
    dropped.locator("details").first.wait_for(timeout=15_000)
    body = page.locator("body").inner_text()
    assert "Compared with New York Declaration, 2025-11-07 continues" in body
    for name in ("continued", "dropped", "new"):
        assert page.locator(f"#compare-{name} h4").count() >= 1, name
    fold = dropped.locator("details").first
    quote = fold.locator("summary").inner_text().split(" — ", 1)[1].rsplit(" [", 1)[0]
    assert not fold.locator("strong").first.is_visible()
    fold.locator("summary").click()
    assert fold.locator("strong").first.inner_text() == quote
    assert "2023-09-21" in fold.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    page.get_by_label("theme (optional)").fill("water")
    page.get_by_role("button", name="Compare").click()
    page.get_by_text("On water, compared with").wait_for(timeout=15_000)
    assert dropped.locator("h4").all_inner_texts()[0].startswith("water")
    assert page.locator("#compare-continued").inner_text().strip() == "none"
    page.close()


def test_the_theme_map_shows_evidence_on_hover_and_on_a_click(browser, url: str) -> None:
    """#16: the map is a Plotly heatmap; hovering a cell shows its theme, document, verdict
    and evidence sentence; clicking it opens the evidence under the map."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    page.get_by_role("tab", name="Themes").click()
    plot = page.locator("#theme-plot .js-plotly-plot")
    plot.wait_for(timeout=20_000)
    page.locator("#theme-plot .heatmaplayer").wait_for(timeout=10_000)
    box = page.locator("#theme-plot .nsewdrag").first.bounding_box()
    assert box is not None
    # The top-left cell: the first theme ("security") in the oldest document.
    x, y = box["x"] + 4, box["y"] + 4
    page.mouse.move(x, y)
    read = "() => document.querySelector('#theme-plot .hoverlayer').textContent"
    page.wait_for_function(f"() => ({read})().includes('score')")
    hover = page.evaluate(f"({read})()")
    assert "security" in hover and "2015" in hover, hover
    page.mouse.click(x, y)
    page.get_by_text("security in", exact=False).first.wait_for(timeout=10_000)
    shown = page.locator("body").inner_text()
    assert "2015-11-01" in shown and "score" in shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "themes.png"), full_page=True)
    page.close()


def _visible_in_chat(page, locator) -> bool:
    """Whether the element's top line is inside the chat's visible area."""
    chat = page.locator("[role='log']").first.bounding_box()
    box = locator.bounding_box()
    return box is not None and chat["y"] <= box["y"] and box["y"] + 20 <= chat["y"] + chat["height"]


def test_a_new_answer_stays_in_view_with_one_line_per_source(browser, url: str) -> None:
    """#17: after a first exchange, the diff's long answer and its sixteen sources arrive;
    the question sits at the top of the chat and the answer's lead is in view, not the last
    source; the sources are one line each, and one opens onto its passage with the quote in
    bold."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _ask(page, "What is the C5+1 Critical Minerals Dialogue?")
    _ask(page, "What changed between the 2023 New York Declaration and the 2025 summit?")
    page.get_by_text("Compared with the 2023", exact=False).first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    lead = page.get_by_text("Compared with the 2023", exact=False).first
    assert _visible_in_chat(page, lead)
    question = page.locator("[data-testid='user']").last.bounding_box()
    chat = page.locator("[role='log']").first.bounding_box()
    assert question["y"] - chat["y"] < 80  # the question at the top, its answer under it
    sources = page.locator("[data-testid='bot']").last.locator("details")
    count = sources.count()
    assert count >= 10
    lines = sources.locator("summary").all_inner_texts()
    assert [t.split("]")[0] for t in lines] == [f"[{n}" for n in range(1, count + 1)]
    height = sources.first.bounding_box()["height"]
    assert height < 40, height  # one line, closed
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer-in-view.png"))
    sources.first.locator("summary").click()
    assert sources.first.locator("strong").first.is_visible()
    page.close()


def test_the_documents_table_shows_every_column_searches_and_sorts(browser, url: str) -> None:
    """#17: at 1400 px every column of the corpus table is on screen, in the page's font; a
    column's menu sorts the rows, and a row selected after sorting opens its own document;
    the search box narrows the rows."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents")
    table.get_by_text("2023-09-21_c5plus1-new-york-declaration.txt").first.wait_for(timeout=15_000)
    headings = table.locator("th")
    assert headings.count() >= 7
    for n in range(7):
        box = headings.nth(n).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1400, headings.nth(n).inner_text()
    font = table.locator("td").first.evaluate("cell => getComputedStyle(cell).fontFamily")
    assert "mono" not in font.lower(), font
    assert "samarkand-joint-declaration" in table.inner_text()
    dates = table.locator("th").nth(2)
    dates.hover()
    dates.locator("button[aria-label='Open cell menu']").click()
    page.get_by_role("menuitem", name="Sort descending").click()
    page.wait_for_timeout(500)
    shown = table.inner_text()
    dates = re.findall(r"^\d{4}-\d{2}(?:-\d{2})?$", shown, re.MULTILINE)
    assert dates and dates == sorted(dates, reverse=True) and dates[0] == "2025-11-07", dates
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    first_title = lines[lines.index("file") + 1]  # the first row's first cell, under the headings
    table.get_by_text(first_title, exact=True).first.click()
    page.wait_for_function(
        "t => document.querySelector('#reader-head')?.innerText.includes(t)", arg=first_title
    )
    table.get_by_placeholder("Search...").fill("Senate")
    page.wait_for_timeout(500)
    shown = table.inner_text()
    assert "s-res-459-c5plus1-senate-resolution" in shown
    assert "samarkand-joint-declaration" not in shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "documents.png"), full_page=True)
    page.close()


def test_a_phone_width_page_answers_in_full_width(browser, url: str) -> None:
    """#17: at 390 px the chat takes the page's width (the search limits above or below it)
    and an answer with its sources fits without sideways scrolling."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    chat = page.locator("[role='log']").first.bounding_box()
    assert chat is not None and chat["width"] >= 300
    assert chat["y"] < 844  # on the first screen: the search limits come after it
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    page.close()


def test_a_marker_opens_its_source(browser, url: str) -> None:
    """#17: clicking [1] in an answer opens the first source under it, the quoted sentence in
    bold."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    folds = page.locator("[data-testid='bot'] details")
    assert not folds.first.evaluate("fold => fold.open")
    page.locator("[data-testid='bot'] strong", has_text="[1]").first.click()
    assert folds.first.evaluate("fold => fold.open")
    quote = folds.first.locator("strong").first
    assert quote.is_visible() and "Leidos" in quote.inner_text()
    page.close()


def _saved(page) -> None:
    """Wait until the browser has saved the conversation as it now stands: Gradio keeps it,
    encrypted, under a ``_saved_conversations`` key, written as the chat changes; saved once
    that entry exists and holds still between two looks (an event, not a guessed delay)."""
    page.wait_for_function(
        """() => {
          const now = Object.keys(localStorage).filter((k) => k.startsWith('_saved_conv'))
            .map((k) => localStorage.getItem(k).length).join();
          const still = now !== '' && now === window.c5qaSaved;
          window.c5qaSaved = now;
          return still;
        }""",
        polling=250,
        timeout=15_000,
    )


def test_a_conversation_survives_a_reload_and_can_be_deleted(browser, url: str) -> None:
    """#17: the browser keeps the conversation: after a reload it is listed, reopens with its
    answer and sources, and the chat's clear button deletes it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    _saved(page)
    page.reload()
    saved = page.get_by_text("Which firm will upgrade Kazakhstan's air...", exact=False)
    saved.first.wait_for(timeout=15_000)
    assert page.locator("[data-testid='bot']").count() == 0  # a new chat until reopened
    saved.first.click()
    page.get_by_text("U.S. firm Leidos", exact=False).first.wait_for(timeout=10_000)
    assert page.locator("[data-testid='bot'] details").count() == 5
    # A second conversation, kept: after the first is deleted, its line shows the list drawn.
    page.get_by_role("button", name="New chat").click()
    _ask(page, "What is the C5+1 Critical Minerals Dialogue?")
    _saved(page)
    saved.first.click()
    page.get_by_text("U.S. firm Leidos", exact=False).first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Clear").click()
    _saved(page)
    page.reload()
    kept = page.get_by_text("What is the C5+1 Critical Minerals Dialo...", exact=False)
    kept.first.wait_for(timeout=15_000)
    assert saved.count() == 0
    page.close()


def test_a_conversation_exports_as_markdown_with_its_references(browser, url: str) -> None:
    """#17: the export is a Markdown file: the question as a heading, the answer, and each
    reference with title, publisher, date, location, URL, file and the quoted sentence."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    page.get_by_role("button", name="Export the conversation (Markdown)").click()
    link = page.locator("#export a").first
    link.wait_for(timeout=15_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Which firm will upgrade Kazakhstan's air traffic management system?" in text
    assert "Leidos" in text and "**[1]**" in text
    first = text.split("**References**", 1)[1].strip().splitlines()
    assert first[0].startswith("1. A New Era in U.S.-Kazakhstan Relations")
    assert "U.S. Department of State" in first[0] and "2025-11-07" in first[0]
    assert "https://" in first[0] and KAZAKHSTAN in first[0].replace("\\_", "_")
    assert any("A $200 million contract awarded to U.S. firm Leidos" in line for line in first)
    page.close()


# The reader's opening times (#17: <= 300 ms for text, <= 1 s for a PDF page, warm), measured
# here in the browser and written beside the screenshots; the figures are reported, not
# asserted (speed targets live in bench/, and a loaded CI machine is no measure).
TIMINGS = ARTIFACTS / "reader-timings.json"
# The reader's text shows its first mark: present, and scrolled into the text's pane.
TEXT_SHOWN = """() => {
  const pane = document.querySelector('#reader-text');
  const mark = pane && pane.querySelector('mark');
  if (!mark) return false;
  const outer = pane.getBoundingClientRect(), inner = mark.getBoundingClientRect();
  return outer.top <= inner.top && inner.bottom <= outer.bottom;
}"""


PDF_SHOWN = (
    "() => { const img = document.querySelector('#reader-page img'); "
    "return img && img.complete && img.naturalWidth > 0 "
    f"&& ({TEXT_SHOWN})(); }}"
)


def _opened(page, click, shown: str = TEXT_SHOWN):
    """Seconds from ``click()`` to the reader showing what ``shown`` waits for; the reader is
    closed first, so nothing of a previous opening counts."""
    if page.locator("#reader").is_visible():
        page.locator("#reader-close").click()
        page.locator("#reader").wait_for(state="hidden", timeout=10_000)
    started = time.perf_counter()
    click()
    page.wait_for_function(shown, timeout=15_000)
    return time.perf_counter() - started


def _record(kind: str, seconds: list[float]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    figures = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    ordered = sorted(seconds)
    figures[kind] = {"runs": len(ordered), "median_ms": round(ordered[len(ordered) // 2] * 1000)}
    TIMINGS.write_text(json.dumps(figures, indent=2))
    print(f"reader {kind}: median {figures[kind]['median_ms']} ms over {len(ordered)} opens")


def _marked(page) -> list[str]:
    """The reader's marked quotes, each whole (a quote cut by the passage's edge is one)."""
    return page.evaluate(
        """() => {
          const quotes = {};
          for (const mark of document.querySelectorAll('#reader-text mark')) {
            quotes[mark.dataset.quote] = (quotes[mark.dataset.quote] || '') + mark.textContent;
          }
          return Object.values(quotes).map((q) => q.split(/\\s+/).join(' '));
        }"""
    )


def test_a_marker_opens_the_reader_at_the_quoted_sentence(browser, url: str) -> None:
    """#17: [1] opens the reader beside the chat: the document's heading, its whole text
    scrolled to the passage, the marked text exactly the sentences quoted from source 1 (bold
    in its card); the chat stays beside it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    marker = page.locator("[data-testid='bot'] strong", has_text="[1]").first
    seconds = [_opened(page, marker.click) for _ in range(6)][1:]  # the first one warms
    _record("text", seconds)
    card = page.locator("[data-testid='bot'] details").first.locator("strong")
    quoted = [" ".join(t.split()) for t in card.all_inner_texts()]
    assert _marked(page) == quoted and any("Leidos" in q for q in quoted)
    head = page.locator("#reader-head").inner_text()
    assert "A New Era in U.S.-Kazakhstan Relations" in head and KAZAKHSTAN in head
    mark = page.locator("#reader-text mark").first.bounding_box()
    pane = page.locator("#reader-text").bounding_box()
    assert pane["y"] <= mark["y"] <= pane["y"] + pane["height"]  # scrolled to it
    chat = page.locator("[role='log']").first.bounding_box()
    reader = page.locator("#reader").bounding_box()
    assert chat["x"] + chat["width"] <= reader["x"] + 1  # beside the chat, not over it
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # the page's pending shade gone
    page.screenshot(path=str(ARTIFACTS / "reader-text.png"))
    page.close()


def test_a_quote_across_a_page_break_is_boxed_on_both_pdf_pages(browser, url: str) -> None:
    """#17: a source line opens a PDF at the page of its quote, the sentence that runs across
    the page break boxed on page 1 and, a page on, on page 2; the text marks it whole."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    _ask(page, "What do the Chardara reservoir spillway gates need before the spring floods?")
    line = page.locator(
        "[data-testid='bot'] summary", has_text="Chardara reservoir inspection report"
    )
    seconds = [_opened(page, line.first.click, PDF_SHOWN) for _ in range(4)][1:]
    _record("pdf page", seconds)
    assert _marked(page) == [CHARDARA_CROSSING]
    sheet = page.locator("#reader-page .reader-sheet")
    assert sheet.get_attribute("data-page") == "1" and "Page 1 of 2" in page.inner_text(
        "#reader-page"
    )
    assert page.locator("#reader-page .reader-box").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "reader-pdf.png"))
    page.locator("#reader-next").click()
    page.wait_for_function(
        "() => document.querySelector('#reader-page .reader-sheet')?.dataset.page === '2'",
        timeout=10_000,
    )
    assert page.locator("#reader-page .reader-box").count() >= 1
    assert "not found on the page picture" not in page.inner_text("#reader-page")
    page.locator("#reader-previous").click()
    page.wait_for_function(
        "() => document.querySelector('#reader-page .reader-sheet')?.dataset.page === '1'",
        timeout=10_000,
    )
    page.close()


def test_a_documents_row_opens_the_document_in_the_reader(browser, url: str) -> None:
    """#17: selecting a row of the corpus table opens that document from its start."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents")
    cell = table.get_by_text("2015-11-01_c5plus1-samarkand-joint-declaration.txt").first
    cell.wait_for(timeout=15_000)
    cell.click()
    page.locator("#reader-text").wait_for(timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('#reader-head')?.innerText.includes('samarkand')",
        timeout=10_000,
    )
    assert "The foreign ministers of the Republic of Kazakhstan" in page.inner_text("#reader-text")
    assert page.locator("#reader-text mark").count() == 0
    page.close()


def test_on_a_phone_the_reader_comes_first_at_the_pages_width(browser, url: str) -> None:
    """#17: at 390 px the reader opens above the chat at the page's width, its text scrolled
    to the quote, and closes back to the chat."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)
    _ask(page, "Which firm will upgrade Kazakhstan's air traffic management system?")
    marker = page.locator("[data-testid='bot'] strong", has_text="[1]").first
    _opened(page, marker.click)
    reader = page.locator("#reader").bounding_box()
    chat = page.locator("[role='log']").first.bounding_box()
    assert reader["width"] >= chat["width"] - 2 and reader["y"] + reader["height"] <= chat["y"]
    mark = page.locator("#reader-text mark").first.bounding_box()
    assert mark["y"] >= 0 and mark["y"] + mark["height"] <= 844  # on screen
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    page.wait_for_timeout(300)  # the page's pending shade gone
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reader-phone.png"))
    page.locator("#reader-close").click()
    page.locator("#reader").wait_for(state="hidden", timeout=10_000)
    page.close()


def test_a_written_answer_streams_and_sets_apart_what_is_unsupported(
    browser, llm_url: str, corpus_service: Service
) -> None:
    """With a model configured, the chat offers a written answer: it streams from the real
    Gemma 3 270M server, and what its sources do not back is folded apart, with why."""
    settings = corpus_service.settings.replace(llm_url=llm_url, llm_model="gemma3-270m")
    app = build_app(Service(settings, corpus_service.embedder))
    app.queue()
    port = free_port()
    app.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS
    )
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator("#answer-style").get_by_text("written answer", exact=True).click()
        box = page.locator("#question textarea")
        box.fill("Which firm will upgrade Kazakhstan's air traffic management system?")
        box.press("Enter")
        # The final answer says who wrote it, or why the quotes stand instead; the sources
        # follow it.
        page.wait_for_function(
            "() => [...document.querySelectorAll(\"[data-testid='bot']\")]"
            ".some(b => b.innerText.includes('gemma3-270m'))",
            timeout=120_000,
        )
        page.wait_for_timeout(1_000)  # the sources' messages after it
        bots = page.locator("[data-testid='bot']")
        answer = next(t for t in bots.all_inner_texts() if "gemma3-270m" in t)
        unsupported = page.locator("[data-testid='bot'] summary", has_text="Not supported by")
        kept = re.search(r"(\d+) of (\d+) sentences are supported", answer)
        none = re.search(r"None of the (\d+) sentences", answer)
        if none or (kept and kept.group(1) != kept.group(2)):  # some left out: shown apart
            assert unsupported.count() == 1
        page.screenshot(path=str(ARTIFACTS / "written-answer.png"), full_page=True)
        page.close()
    finally:
        app.close()
