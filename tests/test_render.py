import re

from c5qa.answer.render import chat_markdown, escape_markdown, source_card
from c5qa.app.service import Service


def test_untrusted_text_is_escaped() -> None:
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"
    escaped = escape_markdown(hostile)
    assert "<script>" not in escaped and "<img" not in escaped
    assert re.search(r"(?<!\\)\]\(", escaped) is None  # no unescaped "](": no link


def test_sources_show_metadata_and_highlight_quotes(corpus_service: Service) -> None:
    answer = corpus_service.ask(
        "Which firm will upgrade Kazakhstan's air traffic management system?"
    )
    assert "**[1]**" in chat_markdown(answer)
    title, body = source_card(answer, 1)
    assert title.startswith("[1] A New Era")
    assert "2025-11-07" in body and "Partial text" in body and "https://" in body
    assert "**A $200 million contract awarded to U.S. firm Leidos" in body
