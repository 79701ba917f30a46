"""Written answers: a language model writes from the passages the extractive answer found, and
every sentence is verified against the passages it cites as soon as it ends (#19).

The model sees the extractive answer's passages, numbered as the answer numbers them, with
their sources (for a question about change, also the answer's outline: which passages hold
each period's or topic's evidence), the conversation, and the instruction to answer only from
them with ``[n]`` after each sentence or to say that the documents do not answer. One worked
example comes first: small models follow a shown format far better than a described one.

Sentences leave the stream as they end; each is checked by ``verify.Verifier`` and kept only if
supported, the others listed apart with the reason. If the model says the documents do not
answer, or no sentence survives, the extractive answer is given with a note: a written answer
never says less than the quotes would, nor anything they do not back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from c5qa.answer.types import Answer, Written, label
from c5qa.answer.verify import Verifier
from c5qa.ingest.chunking import split_sentences
from c5qa.query.request import Message, message_text

REFUSAL = "The documents do not answer this."
INSTRUCTION = (
    "Answer the question using only the numbered sources. Write two to five short sentences. "
    "End every sentence with the number of the source it comes from in brackets, like [2]. "
    f"Copy names, numbers and dates exactly. If the sources do not answer, write: {REFUSAL}"
)
EXAMPLE = (
    "Sources:\n[1] (2023 Joint Statement) The ministers met in Astana and discussed energy "
    "security.\n[2] (2019 Joint Statement) The ministers welcomed investment in rail links.\n\n"
    "Question: Where did the ministers meet in 2023?",
    "The ministers met in Astana in 2023 [1]. They discussed energy security [1].",
)
HISTORY_MESSAGES = 4  # the last two exchanges: enough for a follow-up, little to read
HISTORY_CHARS = 1000
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class Draft:
    """The answer as far as it is written: ``answer`` holds the sentences that have ended and
    their verdicts; ``writing`` the sentence under way; ``done`` once the answer is final."""

    answer: Answer
    writing: str = ""
    done: bool = False


def about(answer: Answer, n: int) -> str:
    """What the verifier knows of a source besides its text: a sentence may name it ("The
    Diplomat says")."""
    passage = answer.passages[n - 1]
    return f"{passage.date}, {passage.title}, {passage.publisher}".replace("\n", " ")


def messages(question: str, history: Sequence[Message], answer: Answer) -> list[dict[str, str]]:
    """The chat to send: the worked example, the conversation so far, then the sources and
    the question."""
    sources = "\n".join(
        f"[{n}] ({label(p.date, p.title)}) {' '.join(p.text.split())}"
        for n, p in enumerate(answer.passages, start=1)
    )
    outline = [
        f"- {label}: " + ", ".join(f"[{q.n}]" for q in quotes)
        for label, quotes in _outline(answer)
        if quotes
    ]
    if outline:
        sources += "\n\nWhere the evidence is, by period or topic:\n" + "\n".join(outline)
    chat = [
        {"role": "user", "content": f"{INSTRUCTION}\n\n{EXAMPLE[0]}"},
        {"role": "assistant", "content": EXAMPLE[1]},
    ]
    for message in list(history)[-HISTORY_MESSAGES:]:
        role = "assistant" if message.get("role") == "assistant" else "user"
        content = message_text(message.get("content"))[:HISTORY_CHARS]
        chat.append({"role": role, "content": content})
    asked = f"{INSTRUCTION}\n\nSources:\n{sources}\n\nQuestion: {question}"
    chat.append({"role": "user", "content": asked})
    return chat


def _outline(answer: Answer) -> list[tuple[str, tuple]]:
    """Each labelled section's quotes, a diff's topics under their class ("Continued — trade
    routes"), so that a model asked what changed sees what the comparison found."""
    out = []
    for section in answer.sections:
        if section.parts and any(part.label for part in section.parts):
            out += [(f"{section.label} — {p.label}", p.all_quotes()) for p in section.parts]
        elif section.label:
            out.append((section.label, section.all_quotes()))
    return out


def split_markers(sentence: str) -> tuple[str, tuple[int, ...]]:
    """A written sentence without its ``[n]`` markers, and the numbers they cite."""
    numbers = (int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"[,;]", group))
    cites = tuple(dict.fromkeys(numbers))
    text = _MARKERS.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip(" -*•\t")
    return " ".join(text.split()), cites


def sentences(pieces: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(ended sentence or "", the text under way) as pieces of text arrive; the rest of the
    text is the last sentence. Sentences are the corpus's (``split_sentences``: it knows
    "U.S." and "Donald J. Trump", and keeps a sentence's markers with it); one ends once the
    next has begun with a word, so that a marker still arriving is not lost to it."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        ended, buffer = _ended(buffer)
        for sentence in ended:
            yield sentence, buffer
        yield "", buffer
    for sentence in _split(buffer):
        yield sentence, ""


def _split(text: str) -> list[str]:
    """Sentences of ``text``, a line break ending one too (a model's list)."""
    return [line[a:b] for line in text.split("\n") for a, b in split_sentences(line)]


def _ended(buffer: str) -> tuple[list[str], str]:
    """The sentences of ``buffer`` that have ended, and the text still under way."""
    *lines, rest = buffer.split("\n")
    ended = _split("\n".join(lines))
    spans = split_sentences(rest)
    while len(spans) > 1 and re.search(r"[^\W\d_]", _MARKERS.sub("", rest[spans[1][0] :])):
        ended.append(rest[spans[0][0] : spans[0][1]])
        rest = rest[spans[1][0] :]
        spans = split_sentences(rest)
    return ended, rest


def judge(sentence: str, answer: Answer, verifier: Verifier) -> Written | None:
    """The verdict on one ended sentence; None for one with no words (a stray marker)."""
    text, cites = split_markers(sentence)
    if not re.search(r"[^\W\d_]{2}", text):
        return None
    shown = tuple(n for n in cites if 1 <= n <= len(answer.passages))
    if not shown:
        why = "cites no source" if not cites else "cites a source that was not shown"
        return Written(text, cites, False, why)
    check = verifier.check(
        text,
        [answer.passages[n - 1].text for n in shown],
        "\n".join(about(answer, n) for n in shown),
    )
    return Written(text, shown, check.verified, check.reason)


def write(
    extractive: Answer, pieces: Iterator[str], verifier: Verifier, model: str
) -> Iterator[Draft]:
    """Drafts as the model writes, the last one final (``done``)."""
    written: list[Written] = []
    seen: set[str] = set()
    refused = False
    for ended, writing in sentences(pieces):
        if ended:
            refused = refused or REFUSAL.lower().rstrip(".") in ended.lower()
            verdict = None if refused else judge(ended, extractive, verifier)
            if verdict is not None and verdict.text.lower() not in seen:
                seen.add(verdict.text.lower())
                written.append(verdict)
        so_far = replace(
            extractive, verdict="answered", lead="", sections=(), written=tuple(written)
        )
        yield Draft(so_far, writing)
    yield Draft(final(extractive, tuple(written), refused, model), done=True)


def final(extractive: Answer, written: tuple[Written, ...], refused: bool, model: str) -> Answer:
    """The written answer, or the extractive one with why the written one is not given."""
    kept = sum(w.verified for w in written)
    if refused:
        note = f"{model} found no answer in the sources; these are the quotes."
        return replace(extractive, notes=(*extractive.notes, note))
    if not kept:
        note = (
            f"None of the {len(written)} sentences {model} wrote is supported by the sources "
            "it cites; these are the quotes."
        )
        return replace(extractive, notes=(*extractive.notes, note), written=written)
    note = (
        f"Written by {model}: {kept} of {len(written)} sentences are supported by the "
        "sources they cite and shown; each was checked against them."
    )
    return Answer(
        extractive.question,
        "answered",
        "",
        (),
        extractive.passages,
        (*extractive.notes, note),
        written,
    )
