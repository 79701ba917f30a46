"""What a front end may ask for, checked once: the question, the conversation, how many
passages, which documents and dates, which retrieval mode.

Every face (chat, HTTP API, command line) builds its request through ``Request.of``, so a bad
``k`` or filter gets the same one-line refusal everywhere (``BadRequest``, a ``ValueError``:
exit 2 on the command line, one line from the API) and the service never sees one.

Everything a request can multiply (periods, themes, history, filtered documents) has a bound in
``Settings``, checked here before any work is done: a 32 KB request must not buy a minute of CPU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from c5qa.ingest.documents import Document
from c5qa.query.patterns import PERIOD
from c5qa.settings import Settings

Message = Mapping[str, object]


def message_text(content: object) -> str:
    """A message's text: Gradio may hand over its content as a string or a list of typed
    parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return ""


MODES = ("hybrid", "dense", "bm25")
# Document kinds that comment on others rather than speak for a period.
COMMENTARY = ("analysis",)


class BadRequest(ValueError):
    """A request a face must refuse; the message is one line for the person or program."""


def _shown(value: str, width: int = 40) -> str:
    """A refused value as the refusal quotes it: short, so that a flood is not echoed back."""
    return repr(value if len(value) <= width else value[:width] + "…")


def _iso_prefix(name: str, value: str) -> str:
    """``value`` if it is a date prefix (YYYY, YYYY-MM or YYYY-MM-DD) or empty: "2023/05" or
    "yesterday" would otherwise compare as text and silently match nothing."""
    match = PERIOD.fullmatch(value) if value else None
    if value and (match is None or match.group(2) is not None):
        raise BadRequest(
            f"{name} must be a date such as 2023, 2023-09 or 2023-09-21, not {_shown(value)}"
        )
    return value


def _check_sources(count: int, limit: int) -> None:
    """Refuse a filter that names more documents than ``limit``: every candidate passage is
    tested against the list."""
    if count > limit:
        raise BadRequest(
            f"filters.sources may name at most {limit} documents (max_filter_sources), not {count}"
        )


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents and/or a date range (inclusive, ISO prefixes:
    "2023" or "2023-09" match every date that starts that way)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    kinds: tuple[str, ...] = ()  # only documents of these kinds ("analysis", …)
    exclude_kinds: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.sources or self.date_from or self.date_to or self.kinds or self.exclude_kinds
        )

    def admits(self, document: Document) -> bool:
        if self.sources and document.source not in self.sources:
            return False
        if (self.kinds and document.kind not in self.kinds) or document.kind in self.exclude_kinds:
            return False
        date = document.date
        if (self.date_from or self.date_to) and not date:
            return False
        if self.date_from and date[: len(self.date_from)] < self.date_from:
            return False
        return not (self.date_to and date[: len(self.date_to)] > self.date_to)

    @classmethod
    def chosen(
        cls,
        sources: Sequence[str] | str | None = None,
        date_from: str = "",
        date_to: str = "",
        limit: int = Settings.max_filter_sources,
    ) -> Filters | None:
        """The filters a person chose (documents, dates), or None when they chose none;
        ``BadRequest`` for more than ``limit`` documents or a date that is no ISO prefix."""
        picked = [sources] if isinstance(sources, str) else list(sources or [])
        _check_sources(len(picked), limit)
        start = _iso_prefix("filters.date_from", (date_from or "").strip())
        end = _iso_prefix("filters.date_to", (date_to or "").strip())
        filters = cls(tuple(picked), start, end)
        return filters or None

    @classmethod
    def from_json(cls, value: object, limit: int = Settings.max_filter_sources) -> Filters | None:
        """Filters as the HTTP API takes them: {"sources": [...], "date_from", "date_to"},
        with at most ``limit`` sources."""
        if not value:
            return None
        if not isinstance(value, Mapping):
            raise BadRequest("filters must be an object with sources, date_from and date_to")
        sources = value.get("sources")
        named = [sources] if isinstance(sources, str) else sources
        if isinstance(named, (list, tuple)):
            _check_sources(len(named), limit)  # before looking at each of a million names
        if named is not None and not (
            isinstance(named, (list, tuple)) and all(isinstance(s, str) for s in named)
        ):
            raise BadRequest("filters.sources must be a list of corpus file names")
        dates = [value.get("date_from") or "", value.get("date_to") or ""]
        if not all(isinstance(d, str) for d in dates):
            raise BadRequest("filters.date_from and date_to must be text such as 2023-09")
        return cls.chosen(sources, *dates, limit=limit)


@dataclass(frozen=True)
class Period:
    """A span of dates, or the documents a question names (``sources``), searched apart."""

    label: str
    start: str  # inclusive ISO prefix, e.g. "2015"
    end: str
    sources: tuple[str, ...] = ()

    @property
    def filters(self) -> Filters:
        """The period's own documents: what was said then, not later commentary on it; or the
        documents named, whatever their kind."""
        if self.sources:
            return Filters(sources=self.sources)
        return Filters(date_from=self.start, date_to=self.end, exclude_kinds=COMMENTARY)


def parse_periods(
    text: str,
    limit: int = Settings.max_periods,
    max_chars: int = Settings.max_periods_chars,
) -> list[Period]:
    """ "2015-2022,2023,2025-11-07" → three periods. Bounds are ISO date prefixes, so a
    month-only date ("2025-11") falls into its year and its month. Each period is a search of
    its own, so more than ``limit`` periods, or text longer than ``max_chars`` (refused before
    it is split), is a ``BadRequest``; callers pass their settings' bounds."""
    if len(text) > max_chars:
        raise BadRequest(
            f"periods must be at most {max_chars} characters (max_periods_chars), not {len(text):,}"
        )
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > limit:
        raise BadRequest(f"periods must be at most {limit} (max_periods), not {len(parts)}")
    periods = []
    for part in parts:
        match = PERIOD.fullmatch(part)
        if not match:
            raise BadRequest(f"period {part!r} is not DATE or DATE-DATE (DATE: YYYY[-MM[-DD]])")
        start, end = match.group(1), match.group(2) or match.group(1)
        if end[: len(start)] < start[: len(end)]:
            raise BadRequest(f"period {part!r} ends before it starts")
        periods.append(Period(part.replace(" ", ""), start, end))
    return periods


def _whole_number(value: Any) -> int | None:
    """``k`` as people and JSON write it: 5, 5.0, "5"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    return None


def _cut_content(content: object, limit: int) -> object:
    """A message's content with at most ``limit`` characters of text: a string, or Gradio's
    list of parts (strings or {"text": …}), where every part counts at least one character so
    that a million empty parts are cut too. Anything else (a file) is never read; kept as is."""
    if isinstance(content, str):
        return content[:limit]
    if not isinstance(content, (list, tuple)):
        return content
    parts: list[object] = []
    left = limit
    for part in content:
        if left <= 0:
            break
        text = part.get("text") if isinstance(part, Mapping) else part
        if isinstance(text, str):
            text = text[:left]
            part = text if isinstance(part, str) else {**part, "text": text}
        left -= max(1, len(text)) if isinstance(text, str) else 1
        parts.append(part)
    return parts


def _history(value: object, settings: Settings) -> tuple[Message, ...]:
    """The conversation, bounded. Beyond ``max_history_turns`` messages the oldest are dropped
    rather than refused: the chat's history grows by about seven messages a question (question,
    answer, one per source), so a refusal would end every long conversation, while only the
    last user question is ever read again (``analysis.previous_question``), so dropping older
    messages changes no answer. For the same reason each message's text is cut, like the
    question, to ``max_question_chars`` rather than refused: a long answer in the history is
    normal, and the question it follows was itself cut to that length when it was asked."""
    if not value:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise BadRequest("history must be a list of {role, content} messages")
    limit = max(0, settings.max_history_turns)
    kept = value[len(value) - limit :] if len(value) > limit else value
    if not all(isinstance(message, Mapping) for message in kept):
        raise BadRequest("history must be a list of {role, content} messages")
    return tuple(_cut_message(message, settings.max_question_chars) for message in kept)


def _cut_message(message: Message, limit: int) -> Message:
    """The message itself when its content is within ``limit``, else a copy with it cut."""
    content = message.get("content")
    cut = _cut_content(content, limit)
    return message if cut == content else {**message, "content": cut}


@dataclass(frozen=True)
class Request:
    """One question as the service answers it; build it with ``Request.of``."""

    question: str
    history: tuple[Message, ...]
    k: int
    filters: Filters | None
    mode: str

    @classmethod
    def of(
        cls,
        settings: Settings,
        question: object,
        history: object = (),
        k: object = None,
        filters: Filters | None = None,
        mode: str | None = None,
    ) -> Request:
        """The request, with the settings' defaults for what was not given; ``BadRequest``
        names the first value that is out of bounds."""
        if question is not None and not isinstance(question, str):
            raise BadRequest("the question must be text")
        count = settings.k if k is None else _whole_number(k)
        if count is None or not 1 <= count <= settings.max_k:
            raise BadRequest(f"k must be a whole number from 1 to {settings.max_k}, not {k!r}")
        chosen = settings.retrieval if mode is None else mode
        if chosen not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if filters is not None:  # however they were built, with this service's bounds
            _check_sources(len(filters.sources), settings.max_filter_sources)
            _iso_prefix("filters.date_from", filters.date_from)
            _iso_prefix("filters.date_to", filters.date_to)
        return cls(question or "", _history(history, settings), count, filters, chosen)
