"""Whether a sentence a language model wrote says what the passages it cites say (#19).

Written answers keep the extractive guarantee only if every sentence shown is backed by the
passage its ``[n]`` points at. Other assistants attach citations by similarity after the fact
and never check them; here a sentence is kept only when all of these hold:

1. it cites at least one passage that was shown to the model;
2. every fact that a reader could check word for word — each number (digits or a number word),
   magnitude ("million", "percent") and capitalised name — occurs in its cited passages
   (an acronym may stand for the capitalised words it abbreviates: "US" for "United States");
3. a negation ("not", "never", "no") in the sentence is matched by one in the cited passage
   it is closest to, and the other way round: the same words with the opposite meaning;
4. its content is supported: its cosine with the closest sentence (or two adjacent
   sentences) of its cited passages is at least ``verify_cosine``, and at least
   ``verify_coverage`` of its content words occur in them, by stem or as a word whose vector
   is within ``verify_synonym`` of one of theirs.

The thresholds are chosen on the labelled pairs of ``eval/verifier.jsonl`` (its first half,
``bench/verifier.py --tune``) for a precision of "supported" of at least 0.97 at the highest
recall, and reported on both halves.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from c5qa.index.embedding import Encoder
from c5qa.ingest.chunking import split_sentences
from c5qa.ingest.tokens import tokenize
from c5qa.settings import Settings

_COUNTS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {word: str(value) for value, word in enumerate(_COUNTS.split())}
NUMBER_WORDS |= {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100"}
# "one" is left out: it is as often a pronoun ("one of the deals") as a count.
del NUMBER_WORDS["one"]
_ORDINALS = "second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
ORDINALS = frozenset(_ORDINALS.split())
MAGNITUDES = frozenset({"thousand", "million", "billion", "trillion", "percent", "%"})
# Words by which a statement only intends, considers or hopes: "Turkmenistan will consider
# preferential treatment" does not back "Turkmenistan granted preferential treatment".
HEDGES = frozenset(
    [
        "consider",
        "considers",
        "considering",
        "intend",
        "intends",
        "intention",
        "plan",
        "plans",
        "planned",
        "propose",
        "proposes",
        "proposed",
        "hope",
        "hopes",
        "may",
        "might",
        "could",
        "aim",
        "aims",
        "seek",
        "seeks",
        "explore",
        "explores",
    ]
)
_MONTHS = "January February March April May June July August September October November December"
MONTHS = tuple(_MONTHS.split())
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2})(?:-(\d{2}))?(?:-(\d{2}))?\b")
NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "without", "none", "cannot"})
# Capitalised words that name no one in particular: a person's title ("President Biden" is
# checked by "Biden").
_TITLES = (
    "president presidents senator senators secretary minister ministers ambassador dr mr ms "
    "mrs special representative envoy"
)
TITLES = frozenset(_TITLES.split())
# Numbers keep their separators and a currency sign: "$9 billion" is not "787-9".
_WORD = re.compile(r"[A-Za-z]+\d+(?:\+\d+)?|[$€£]?\d+(?:[.,‑-]\d+)*%?|[^\W\d_]+(?:['’][^\W\d_]+)?")
_CLAUSE = re.compile(r";|:\s|\s[—–]\s|,\s(?:and|while|which|including)\s")
_NUMBER = re.compile(r"[$€£]?\d+(?:[.,‑-]\d+)*")
_CAPITALISED_RUN = re.compile(r"(?:[A-Z][\w-]*\s+(?:(?:of|and|for|the)\s+)?)*[A-Z][\w-]*")


@dataclass(frozen=True)
class Check:
    """The verdict on one sentence: ``reason`` says why it is not supported ("" if it is);
    ``cosine`` and ``coverage`` are its support scores; ``evidence`` the text of the cited
    passage closest to it."""

    verified: bool
    reason: str
    cosine: float = 0.0
    coverage: float = 0.0
    evidence: str = ""


def words(text: str) -> list[str]:
    return _WORD.findall(text.replace("’", "'"))


def facts(sentence: str) -> list[str]:
    """The words of ``sentence`` a reader could check letter for letter: numbers, number and
    ordinal words, magnitudes, and capitalised names. The opening word is capitalised anyway:
    it counts only when it is an acronym or a possessive ("Kazakhstan's")."""
    out = []
    for i, raw in enumerate(words(sentence)):
        word = re.sub(r"['’]s$", "", raw)
        lower = word.lower()
        if word[0].isalpha() and any(ch.isdigit() for ch in word):
            out.append(word)  # "C5+1", "S1"
        elif _NUMBER.search(word):
            out.append(_number(word))
        elif lower in NUMBER_WORDS or lower in MAGNITUDES or lower in ORDINALS:
            out.append(lower)
        elif word[0].isupper() and len(word) > 1 and lower not in TITLES:
            opening = i == 0 and not word.isupper() and word == raw
            if not opening:
                out.append(word)
    return out


def _number(word: str) -> str:
    found = _NUMBER.search(word).group()  # type: ignore[union-attr]
    return found.replace(",", "").replace("‑", "-").rstrip(".")


def missing_facts(sentence: str, cited: str) -> list[str]:
    """The facts of ``sentence`` that ``cited`` (the cited passages' text) does not hold."""
    cited = _ISO_DATE.sub(_spelled_date, cited)
    numbers = {_number(w) for w in words(cited) if _NUMBER.search(w)}
    lowered = {w.lower() for w in words(cited)}
    numbers |= {NUMBER_WORDS[w] for w in lowered if w in NUMBER_WORDS}
    stems = set(tokenize(cited))
    initials = _initials(cited)
    abbreviated = _abbreviated(sentence, cited)
    missing = []
    for fact in facts(sentence):
        if fact[0].isdigit():
            found = fact in numbers or fact in lowered
        elif fact in NUMBER_WORDS or fact in MAGNITUDES or fact in ORDINALS:
            found = fact in lowered or NUMBER_WORDS.get(fact) in numbers or fact == "%"
        elif any(ch.isdigit() for ch in fact):
            found = fact.lower() in cited.lower()
        else:
            found = _named(fact, lowered, stems, initials) or fact in abbreviated
        if not found and not (fact == "percent" and "%" in cited):
            missing.append(fact)
    return missing


def _abbreviated(sentence: str, cited: str) -> set[str]:
    """The sentence's names that the cited text writes as their initials ("United States"
    where it says "U.S.")."""
    written = {w.strip(".").replace(".", "").upper() for w in cited.split() if w[:1].isupper()}
    out: set[str] = set()
    for run in _CAPITALISED_RUN.finditer(sentence):
        names = [w for w in run.group().split() if w[0].isupper()]
        if len(names) > 1 and "".join(w[0] for w in names) in written:
            out |= set(names)
    return out


def _spelled_date(match: re.Match[str]) -> str:
    """An ISO date as a sentence would write its month and year: "2021-04-23" -> "April 2021"
    (a source's date is where a written sentence may take them from; not its day, which is
    often the release's, not the meeting's)."""
    year, month = match.group(1), match.group(2)
    named = MONTHS[int(month) - 1] if month and 1 <= int(month) <= 12 else ""
    return f"{named} {year}".strip()


def _named(name: str, lowered: set[str], stems: set[str], initials: set[str]) -> bool:
    """Whether the cited text names ``name``: as written, by its stem, as the acronym of its
    capitalised words, or as the demonym of a place it names ("Asian" for "Asia", "Afghan")."""
    lower = name.lower()
    if lower in lowered or set(tokenize(name)) <= stems or name in initials:
        return True
    return len(lower) > 3 and any(
        len(w) > 3 and (lower.startswith(w) or w.startswith(lower)) for w in lowered
    )


def _initials(text: str) -> set[str]:
    """Acronyms the text writes with dots ("U.S." -> "US") or its capitalised runs make
    ("United States" -> "US", "U.S")."""
    out = {dotted.replace(".", "") for dotted in re.findall(r"\b(?:[A-Z]\.){2,}", text)}
    for run in _CAPITALISED_RUN.finditer(text):
        capitals = "".join(w[0] for w in run.group().split() if w[0].isupper())
        for a in range(len(capitals)):  # "UN" from "United Nations General Assembly" too
            for b in range(a + 2, len(capitals) + 1):
                letters = capitals[a:b]
                out |= {letters, ".".join(letters), ".".join(letters) + "."}
    return out


def _hedged(text: str) -> bool:
    lowered = re.findall(r"[a-z]+", text.lower())
    return any(w in HEDGES for w in lowered)


def _negated(text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return "n't" in lowered or any(w in NEGATIONS for w in re.findall(r"[a-z]+", lowered))


def windows(text: str) -> list[str]:
    """The passage's sentences, each pair of adjacent ones (a written sentence may join two)
    and the clauses of a long one (a sentence may restate one clause of it)."""
    sentences = [text[a:b] for a, b in split_sentences(text)]
    clauses = [
        part.strip()
        for sentence in sentences
        for part in _CLAUSE.split(sentence)
        if len(part.split()) >= 4 and part.strip() != sentence.strip()
    ]
    return sentences + [f"{a} {b}" for a, b in itertools.pairwise(sentences)] + clauses


class Verifier:
    """Checks written sentences against passages, encoding each passage's sentences once."""

    def __init__(self, encoder: Encoder, settings: Settings) -> None:
        self.encoder = encoder
        self.settings = settings
        self._vectors: dict[str, tuple[list[str], np.ndarray]] = {}
        self._word_vectors: dict[str, np.ndarray] = {}

    def _windows(self, text: str) -> tuple[list[str], np.ndarray]:
        if text not in self._vectors:
            spans = windows(text) or [text]
            self._vectors[text] = (spans, self.encoder.encode(spans))
        return self._vectors[text]

    def _words(self, text: str) -> np.ndarray:
        if text not in self._word_vectors:
            found = sorted({w.lower() for w in words(text) if tokenize(w)})
            self._word_vectors[text] = self.encoder.encode(found)
        return self._word_vectors[text]

    def covered(self, sentence: str, cited: str) -> list[tuple[str, bool]]:
        """The sentence's content words in order, each with whether the cited text uses it, as
        the same stem or as a word the model places close to it (a synonym: "pledged",
        "committed")."""
        own = [w.lower() for w in words(sentence) if tokenize(w)]
        stems = set(tokenize(cited))
        flags = [set(tokenize(w)) <= stems for w in own]
        unmatched = [w for w, flag in zip(own, flags, strict=True) if not flag]
        if unmatched:
            close = iter((self.encoder.encode(unmatched) @ self._words(cited).T).max(axis=1))
            flags = [flag or bool(next(close) >= self.settings.verify_synonym) for flag in flags]
        return list(zip(own, flags, strict=True))

    def check(self, sentence: str, cited: Sequence[str], about: str = "") -> Check:
        """The verdict on ``sentence`` (markers removed) against the texts it cites; ``about``
        is what the model was told of their sources (titles, publishers, dates), where its
        names and dates may come from too ("The Diplomat says ...")."""
        if not cited:
            return Check(False, "cites no passage that was shown")
        joined = "\n".join(cited)
        missing = missing_facts(sentence, f"{joined}\n{about}")
        if missing:
            return Check(False, "not in the cited passages: " + ", ".join(dict.fromkeys(missing)))
        texts, vectors = zip(*(self._windows(text) for text in cited), strict=True)
        spans = [span for group in texts for span in group]
        cosines = np.concatenate(vectors) @ self.encoder.encode([sentence])[0]
        best = int(np.argmax(cosines))
        closest, cosine = spans[best], float(cosines[best])
        flags = self.covered(sentence, joined)
        covered = sum(f for _, f in flags) / len(flags) if flags else 0.0
        return self._verdict(sentence, closest, cosine, covered)

    def _verdict(self, sentence: str, closest: str, cosine: float, covered: float) -> Check:
        bar = self.settings
        if _negated(sentence) != _negated(closest):
            return Check(False, "says the opposite of the cited passage", cosine, covered, closest)
        if _hedged(closest) and not _hedged(sentence):
            why = "states as certain what the cited passage only intends or considers"
            return Check(False, why, cosine, covered, closest)
        if cosine < bar.verify_cosine or covered < bar.verify_coverage:
            why = f"not supported by the cited passages (similarity {cosine:.2f}, "
            why += f"{covered:.0%} of its terms)"
            return Check(False, why, cosine, covered, closest)
        return Check(True, "", cosine, covered, closest)
