"""The shape of an answer: a verdict, a lead, sections of quotes, the passages they come from.

An answer is built as this structure and turned into markdown, terminal text or JSON only at
the edge (``answer/render.py``), so no stage writes text that a later one must take apart again
(renumbering ``[n]`` markers, un-escaping labels).
"""

from __future__ import annotations

from dataclasses import dataclass

from c5qa.retrieve.search import Passage

VERDICTS = ("answered", "partial", "yes", "no", "abstained")


@dataclass(frozen=True)
class Quote:
    """One quoted sentence: ``text == document.text[start:end]``, and it lies in passage ``n``
    (1-based) of the answer; ``score`` is how relevant it was judged."""

    n: int
    source: str
    start: int
    end: int
    text: str
    score: float

    def shifted(self, offset: int) -> Quote:
        """The same quote in an answer whose passages start ``offset`` later."""
        return Quote(self.n + offset, self.source, self.start, self.end, self.text, self.score)


@dataclass(frozen=True)
class Section:
    """A labelled run of quotes ("2023", a document's year and title, "Commentary"), or a note
    in their place ("no document in this period"). ``closest`` is the passage number of the
    near miss a note points at; ``caption`` says whose words a section quotes; ``parts`` are a
    section's own sections (a period's answer, source by source); ``bulleted`` quotes are the
    items of a list, one per line; ``itemised`` parts (a diff's topics) come one per line, each
    with its label."""

    label: str = ""
    quotes: tuple[Quote, ...] = ()
    note: str = ""
    closest: int = 0
    caption: str = ""
    parts: tuple[Section, ...] = ()
    bulleted: bool = False
    itemised: bool = False

    def all_quotes(self) -> tuple[Quote, ...]:
        return self.quotes + tuple(q for part in self.parts for q in part.all_quotes())

    def shifted(self, offset: int) -> Section:
        return Section(
            self.label,
            tuple(q.shifted(offset) for q in self.quotes),
            self.note,
            self.closest + offset if self.closest else 0,
            self.caption,
            tuple(part.shifted(offset) for part in self.parts),
            self.bulleted,
            self.itemised,
        )


@dataclass(frozen=True)
class Written:
    """A sentence a language model wrote (markers taken out), the passages it cites (1-based,
    as the answer numbers them) and the verifier's verdict: only verified sentences are the
    answer; the others are listed apart, each with ``reason``."""

    text: str
    cites: tuple[int, ...]
    verified: bool
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    """``verdict`` is one of VERDICTS; ``lead`` is what the answer says before its quotes (why
    it abstains, what a yes or no rests on); ``notes`` are remarks about the question itself
    (names no document uses, a question cut to length); ``written`` holds a language model's
    sentences when it wrote the answer (``answer/written.py``), in place of quoted sections."""

    question: str
    verdict: str
    lead: str
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]
    notes: tuple[str, ...] = ()
    written: tuple[Written, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")

    @property
    def abstained(self) -> bool:
        return self.verdict == "abstained"

    @property
    def citations(self) -> tuple[Quote, ...]:
        """Every quote, in the order the answer shows them."""
        return tuple(q for section in self.sections for q in section.all_quotes())


def label(date: str, title: str, width: int | None = 60) -> str:
    """A source as a section label or a lead names it: its year and title, cut to ``width``
    characters (None: whole)."""
    if width is not None and len(title) > width:
        title = title[: width - 1] + "…"
    return f"{date[:4] or 'undated'} {title}".replace("*", "")


def abstention(question: str, lead: str, passages: tuple[Passage, ...] = ()) -> Answer:
    """An answer that says why it cannot answer and lists the closest passages."""
    return Answer(question, "abstained", lead, (), passages)
