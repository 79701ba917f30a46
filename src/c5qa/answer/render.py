"""Stage 7: a conversation around the answer — what earlier turns add to the search, and how an
answer with its sources reads as chat messages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from c5qa.answer.plain import Answer

Message = Mapping[str, object]


def _content_text(content: object) -> str:
    """Gradio may hand over a message's content as a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(
            str(part.get("text", "")) if isinstance(part, Mapping) else str(part)
            for part in content
        )
    return ""


def previous_question(history: Sequence[Message]) -> str:
    """The last question the user asked before this one: what a follow-up is about."""
    for message in reversed(history):
        if message.get("role") == "user":
            text = _content_text(message.get("content")).strip()
            if text:
                return text
    return ""


def escape_markdown(text: str) -> str:
    """Corpus text is untrusted: render it as literal text, never as HTML or links."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]<>#|~!])", r"\\\1", text)


def format_answer(answer: Answer) -> str:
    """The answer as chat markdown: quoted sentences with [n] markers, then the sources."""
    body = escape_markdown(answer.text)
    body = re.sub(r"\\\[(\d+)\\\]", r"**[\1]**", body)
    # Period labels and verdicts ("**2023:**", "**No**") are ours, not corpus text: keep bold.
    return re.sub(r"(?m)^\\\*\\\*([^*\\\n]{1,90})\\\*\\\*", r"**\1**", body)


def format_source(answer: Answer, n: int) -> tuple[str, str]:
    """(title line, markdown body) of passage ``n`` with the quoted sentences in bold."""
    passage = answer.passages[n - 1]
    quoted = sorted(
        (c.start - passage.start, c.end - passage.start) for c in answer.citations if c.n == n
    )
    parts, cursor = [], 0
    for start, end in quoted:
        parts.append(escape_markdown(passage.text[cursor:start]))
        parts.append("**" + escape_markdown(passage.text[start:end]) + "**")
        cursor = end
    parts.append(escape_markdown(passage.text[cursor:]))
    meta = " · ".join(x for x in (passage.publisher, passage.date, passage.location) if x)
    lines = [f"*{escape_markdown(meta)}*"] if meta else []
    if passage.partial:
        lines.append("*Partial text: the corpus holds only part of this document.*")
    lines.append("".join(parts))
    if re.fullmatch(r"https?://[^\s<>\"'`]+", passage.url):
        lines.append(f"<{passage.url}>")
    lines.append(f"`{passage.source}` · score {passage.score:.2f}")
    where = " · ".join(x for x in (passage.date, passage.location) if x)
    partial = " (partial text)" if passage.partial else ""
    title = f"[{n}] {passage.title}{partial} — {where}" if where else f"[{n}] {passage.title}"
    return title, "\n\n".join(lines)
