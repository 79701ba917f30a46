"""Every rule that reads a question's words: the regexes and word lists, in one place.

Each rule says what it matches and names the question it exists for (the one that failed
without it); ``tests/test_patterns.py`` shows each on that question. Rules that read documents
(sentence splitting, front matter, acronym definitions) live with the loaders; the tokenizer
lives in ``ingest/tokens.py``, since questions and chunks must be tokenised alike.
"""

from __future__ import annotations

import calendar
import re

from bm25s.stopwords import STOPWORDS_EN_PLUS

from c5qa.ingest.tokens import tokenize

# --- What a question is about ------------------------------------------------------------

# A year as questions and documents write it. For: "their early-2020 statement" (year boost),
# "Which Secretary of State attended the 2023 Astana ministerial?" (a lead from that year).
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")

# The verbs of asking and other framing words a question uses and the corpus rarely does. For:
# "What did the declaration say about Syria?" ("say" would outweigh "Syria" in BM25).
ASKING_WORDS = (
    *("whose", "could", "would", "say", "says", "said", "tell", "mention", "anything"),
    # For: "What does the acronym TRIPP stand for?" (no document calls it an acronym).
    *("acronym", "abbreviation"),
)
# How a question is asked, not what it is about: NLTK's English stopwords (as bm25s ships
# them) and the verbs of asking. For: "How has Afghanistan's place changed?" ("how", "has" and
# the possessive "s" have a high idf in a corpus that rarely uses them).
QUESTION_WORDS = frozenset(
    t for word in (*STOPWORDS_EN_PLUS, *ASKING_WORDS) for t in tokenize(word)
)

# The kind of answer a which/what asks for, which the documents state rather than name. For:
# "On what day did the ministers meet?", "In which city…", "Which cooperative body…", "What
# time did Biden start and finish his remarks?" (the dateline says "2:57 P.M. EDT").
FOCUS = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+)?(?P<focus>days?|dates?|times?|months?|years?|city|cities|"
    r"organi[sz]ations?|bod(?:y|ies)|officials?|persons?|names?|positions?|kinds?|types?)\b",
    re.IGNORECASE,
)
# Light verbs. For: "Which officials took part?" ("took" is no topic).
LIGHT_VERBS = frozenset(tokenize("take takes took taking get gets got getting go goes went"))
# Verbs that ask for items by name, in a question. For: "which threats does it list?" after the
# Samarkand declaration (refused: the documents rarely say "list", and the word outweighed the
# threats) — not in a statement: "a protein named FN" (a SciFact claim).
ITEM_VERBS = frozenset(tokenize("list lists listed name names named enumerate"))
# The words that frame a question, not a statement, and say nothing of its topic. For: "Which
# officials took part?", "which threats does it list?".
ASKED_ONLY = LIGHT_VERBS | ITEM_VERBS
# Whether a text is a question (then FOCUS and ASKED_ONLY apply) or a statement, such as a
# SciFact claim, where "type" may be the topic. For: "Which cooperative body do they cite?"
# against the claim "Type 2 diabetes takes a toll on the body".
IS_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:who|whom|whose|what|which|when|where|why|how|did|does|do|is|are|was|were|"
    r"has|have|had|can|could|will|would|should)\b",
    re.IGNORECASE,
)

# An acronym as a question writes it, standing on its own. For: "the TIFA focus of 2019"
# (the 2019 ministerial only spells out Trade and Investment Framework Agreement).
WRITTEN_ACRONYM = re.compile(r"(?<![\w+])[A-Z][A-Za-z0-9&-]{1,9}(?![\w+])")

# A possessive ending, as the question writes a name. For: "B3W's" → "The documents never
# use “B3W”."
POSSESSIVE = re.compile(r"['’]s$")

# --- Questions about change --------------------------------------------------------------

# Words that ask how something developed. For: "How did security cooperation change between
# 2023 and 2025?", "Trace how the counterterrorism agenda developed", "Did critical minerals
# only show up in 2023?" — and not "economic development" (the noun is a theme).
CHANGE = re.compile(
    r"\b(chang\w*|differ\w*|compar\w*|evolv\w*|shift\w*|over time|since|still|anymore|"
    r"carr(y|ied) over|dropp\w*|kept|continu\w*|between \d{4} and \d{4}|from \d{4} to \d{4}|"
    r"develop(s|ed|ing)?|trac(e|ed|ing)|new (by|in)|first appear\w*|show(s|ed)? up|"
    r"st(ay|ayed|ays) the same)\b",
    re.IGNORECASE,
)
# Which class of a diff a question of change asks for: what is new, what was dropped, what
# carried over. For: "What is new in 2025 compared with 2023?", "What was dropped between the
# 2023 declaration and 2025?", "What did the 2025 summit keep from the New York Declaration?"
# (the class answered first).
CHANGE_CLASS = re.compile(
    r"\b(?:(?P<new>new|add(?:s|ed)?|introduc\w*|first appear\w*)|"
    r"(?P<dropped>dropp\w*|no longer|abandon\w*|disappear\w*|omit\w*|left out)|"
    r"(?P<continued>kept|keep\w*|carr(?:y|ied|ies) over|continu\w*|still|retain\w*|"
    r"st(?:ay|ayed|ays) the same))\b",
    re.IGNORECASE,
)
# Words of a question of change that name what any document says, not a topic of its own.
# For: "Which commitments of 2023 were dropped in 2025?" (answered by the whole diff).
CHANGE_NOUNS = frozenset(
    tokenize(
        "commitment commitments priority priorities agenda topic topics theme themes issue "
        "issues focus emphasis content different difference differences"
    )
)
# A summit named by its year, which its documents date to one day. For: "What changed between
# the 2023 New York Declaration and the 2025 summit?" (not the Senate resolution, days before).
SUMMIT = re.compile(r"\b(?P<year>(?:19|20)\d{2})\b[^,.;?0-9]{0,40}?\bsummits?\b", re.IGNORECASE)
# Two dated things set side by side. For: "between the Sept 2019 New York ministerial and the
# 2020 meetings".
BETWEEN_DATES = re.compile(
    r"\bbetween\b[^?.;]{0,40}?\b\d{4}\b[^?.;]{0,40}?\band\b[^?.;]{0,40}?\b\d{4}\b",
    re.IGNORECASE,
)
# The format's beginnings, which no year names. For: "from the early years through 2023".
EARLY = re.compile(
    r"\b(?:(?:the |its )?(?:early|first|initial) years|(?:at|from) the (?:outset|start|beginning)|"
    r"in the beginning|initially|originally|at first|"
    r"(?:its|the) (?:founding|inception|early days))\b",
    re.IGNORECASE,
)
MONTH = (
    r"(?i:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
# Month names and abbreviations as tokens: they date, they name no thing a document must use.
# For: "the Astana ministerial statement of Feb 28 2023" (the statement writes "February").
MONTH_WORDS = frozenset(
    tokenize(" ".join((*calendar.month_name[1:], *calendar.month_abbr[1:], "Sept")))
)
# A dated event that stands for its period, which every other period lacks. For: "the 2015
# Samarkand declaration", "the November 2025 Washington summit", "the April 2021 ministerial".
DATED_EVENT = re.compile(
    rf"\b(?:{MONTH}\s+)?(?:19|20)\d{{2}}\b(?:\s+(?:[A-Z][\w.’'-]*|(?i:leaders)[’']?))*\s+"
    r"(?i:declarations?|joint statements?|statements?|summits?|ministerials?|meetings?|"
    r"sessions?|readouts?|remarks|resolutions?|fact sheets?|documents?|texts?)\b"
)
# A year, with its month or as a decade, left out of a period's search. For: "Sept 2019".
DATED_YEAR = re.compile(rf"\b(?:{MONTH}\s+)?(?:19|20)\d{{2}}s?\b")
# One span of years, not two years to set side by side. For: "2015–2022", "2019-2020".
YEAR_SPAN = re.compile(r"\b((?:19|20)\d{2})\s*[–—-]\s*((?:19|20)\d{2})\b")
_ISO_DATE = r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
# A period as `c5qa compare --periods` and the chat's periods box write it, with real months
# and days. For: "2015-2022,2023,2025-11-07" (three periods), not "2023-13".
PERIOD = re.compile(rf"({_ISO_DATE})(?:\s*(?:–|-(?=\d{{4}}\b)|\.\.)\s*({_ISO_DATE}))?")

# --- Yes/no questions about a mention ----------------------------------------------------

# "Does X mention THEME?" and its variants. For: "Does the New York Declaration mention Syria
# at all?" (answered by the mention wherever it stands).
MENTION = re.compile(
    r"^\s*(?:(?:in|according to|per)\b[^,?]{3,120},\s*)?"
    r"(?:does|did|do|is|was|has|have)\b.*?\b(?:mention\w*|say anything about|say about|"
    r"address\w*|refer\w* to|discuss\w*|talk about|include\w*|cover\w*|bring up|brought up|"
    r"raise[sd]?)\s+(?P<theme>.+?)\s*\??\s*$",
    re.IGNORECASE,
)
# The same asked in the passive, the theme first. For: "Was Covid-19 discussed at the C5+1
# roundtable in Tashkent in July 2021?" (not a search for "the roundtable").
PASSIVE_MENTION = re.compile(
    r"^\s*(?:is|was|were|are|has been|have been|had been)\s+(?P<theme>.+?)\s+(?:ever\s+|even\s+)?"
    r"(?:mentioned|discussed|addressed|raised|covered|included|referred to|brought up)\b",
    re.IGNORECASE,
)

# An acronym whose long form is asked for. For: "What does the acronym TRIPP stand for?"
# (refused, with the fact sheet that spells it out as passage 1), "PGI in the New York
# Declaration — what's that?" — not "What is USAID's role?", which asks about it.
STANDS_FOR = re.compile(
    r"\b(?i:what (?:does|do|did) (?:the (?:acronym|abbreviation) )?)"
    r"(?P<acronym>[A-Z][A-Za-z0-9&+-]{1,9}) (?i:stands? for)\b"
    r"|\b(?i:what is )(?P<short>[A-Z][A-Z0-9&+-]{1,9}) (?i:short for)\b"
    r"|^\W*(?i:what(?:'s|’s| is| does))\s+(?P<bare>[A-Z]{2,}[A-Z0-9&+-]*)\s*(?i:mean)?\s*\??\s*$"
    r"|\b(?P<before>[A-Z]{2,}[A-Z0-9&+-]*)\b.{0,60}?(?i:what(?:'s|’s| is) (?:that|it))\s*\??\s*$"
)
# What a yes/no question looks for, without the asking around it. For: "Does the New York
# Declaration mention Syria at all?" → the lead says it searched for “Syria”.
THEME_FILLER = re.compile(r"(?:\s+(?:at all|anywhere|in (?:it|them)))+\s*$|^(?:the|any)\s+", re.I)


# A question about a picture, which only its caption answers. For: "Who is credited with the
# photo of Trump and the Central Asian presidents in the Diplomat article?"
PHOTO = re.compile(r"\b(?:photo\w*|pictures?|pictured|images?|captions?)\b", re.IGNORECASE)

# A question that asks for several things, answered with the items of a list. For: "Which
# commercial deals did Kazakhstan announce…", "List the commitments the foreign ministers
# declared", "what are the section headings of the 2023 New York Declaration?", "What actions do
# the C5+1 countries intend to take", "what did the participants do …? list them".
LIST = re.compile(
    r"^\W*(?:(?:can|could) you\s+)?(?:please\s+)?(?:list|enumerate|itemi[sz]e)\b|"
    r"\blist (?:the|all|every|each|them|those|these)\b|"
    r"\b(?:which|what)\s+(?:(?:[\w/-]+)\s+){0,3}?(?:deals|commitments|clauses|actions|areas|"
    r"companies|agencies|institutions|headings|sections|points|steps|projects|initiatives|"
    r"priorities|measures|agreements|understandings|announcements|goals|pillars|topics|items|"
    r"partnerships|investments|contracts|programs|principles|pledges|proposals)\b",
    re.IGNORECASE,
)
# A question that asks what a document says as a whole. For: "What does the Senate resolution
# on the C5+1 say?", "Can you summarize what the 2023 New York Declaration says?" (not "What
# does it say about Syria?", which asks about one thing in it).
SUMMARY = re.compile(
    r"\bsummar(?:i[sz]e|y)\b|\b(?:gist|main points|key points)\b|"
    r"^\W*what\s+(?:does|did|do)\s+.+?\s+(?:say|argue|announce|state|claim|propose|resolve|"
    r"conclude|contain|establish)(?:\s+(?:at|in|during)\s+[^?]+)?\s*\??\s*$",
    re.IGNORECASE,
)
# A follow-up that picks among what the previous answer listed. For: "Which of those is about
# critical minerals?" after "What deals did Kazakhstan make with US companies?".
AMONG = re.compile(
    r"\b(?:which|what|any)\s+(?:ones?\s+)?of\s+(?:those|these|them|the above)\b|\bwhich ones?\b",
    re.IGNORECASE,
)
# A question about how a document is divided. For: "what are the section headings of the 2023
# New York Declaration?" (its headings, not the sentences most like the question).
HEADINGS = re.compile(r"\b(?:section\s+)?(?:headings?|section titles?)\b", re.IGNORECASE)
# A question about who signed a text, which its signature block answers. For: "And who signed
# for Kyrgyzstan?" (the block's line), "Who signed the New York Declaration?" (the block), not
# "Which deals did Kazakhstan sign?".
SIGNER = re.compile(r"\bwho\s+(?:\w+\s+){0,2}?signed\b|\bsignator(?:y|ies)\b", re.IGNORECASE)
# What narrows who signed to one party, after SIGNER. For: "Who signed the New York
# Declaration on behalf of the Kyrgyz Republic?" (one line, not the whole block).
FOR_PARTY = re.compile(r"\b(?:for|on behalf of|on its behalf)\b", re.IGNORECASE)

# --- Documents a question names ----------------------------------------------------------

DOCUMENT_KIND = (
    r"(?:fact sheet|statement|declaration|article|analysis|resolution|readout|remarks|report)"
)
# A document named by its quoted title. For: "List the deals in the 'Elevating
# U.S.-Uzbekistan Relations' fact sheet." (the corpus only names it).
QUOTED_TITLE = re.compile(
    rf"[\"“‘'](?P<before>[^\"”’']{{12,}})[\"”’']\s+{DOCUMENT_KIND}"
    rf"|\b(?:{DOCUMENT_KIND}|titled|entitled|called)\s+[\"“‘'](?P<after>[^\"”’']{{12,}})[\"”’']",
    re.IGNORECASE,
)

# A bill's number names the resolution it is. For: "Does S.Res.459 say anything about human
# rights or democracy?"
BILL = re.compile(r"[sh]\.\s?(?:con\.\s?|j\.\s?)?res\.\s?\d+", re.IGNORECASE)
# The administration a publisher names, which a question may name a document by. For: "Did
# the Biden administration's declaration mention water?" (the publisher: "The White House
# (Biden administration…)").
ADMINISTRATION = re.compile(r"\b(?P<name>[A-Z][a-z]+) [Aa]dministration\b")
# An administration as an era, read as the administration. For: "What changed between the
# Biden-era declaration and the 2025 summit?" (not "A New Era", a title).
ERA = re.compile(r"\b(?P<name>[A-Z][a-z]+)-era\b")
# A noun that names a document or the meeting it records, as questions and titles write it.
# For: "Does the Turkmenistan fact sheet mention Afghanistan?", "the 2022 UNGA 77 C5+1 joint
# statement", "the Senate resolution", "the fourth C5+1 ministerial" (a joint statement's title).
DOCUMENT_NOUN = re.compile(
    rf"\b(?:documents?|texts?|{BILL.pattern}|fact ?sheets?|statements?|declarations?|"
    r"resolutions?|readouts?|remarks|articles?|"
    r"analys[ie]s|op-?eds?|ministerials?|sessions?|meetings?|dialogues?)\b",
    re.IGNORECASE,
)
# The nouns of meetings, which every joint statement records. For: "the ministerial meeting
# that preceded the Samarkand meeting" (no one document), against "the fourth C5+1 ministerial".
MEETING_NOUNS = frozenset(tokenize("ministerial session meeting dialogue"))
# How many documents may use a name for it to single a meeting out. For: "At the UNGA 77
# meeting" (one joint statement is titled so), against "the C5+1 ministerial meeting".
DISTINCTIVE_USES = 2


# The words that qualify a document noun, back to a determiner, preposition or verb. For: "the
# 2015 Samarkand declaration", "his remarks", "the White House readout".
REFERENCE_BEFORE = re.compile(
    r"(?:(?<=\s)|^)(?:(?!(?:the|a|an|his|her|its|their|this|that|these|those|of|in|on|at|about|"
    r"from|to|by|with|for|does|did|do|what|which|who|when|where|how|and|or|was|were|is|are|has|"
    r"have|according)\b)[\w.’'+-]+,?\s+){1,6}$",
    re.IGNORECASE,
)
# What follows a document noun and names it too. For: "the senate resolution (S.Res.459)", "the
# 2025 joint statement of intent", "the C5+1 statement on the special session".
REFERENCE_AFTER = re.compile(
    r"\s*(?:\([^()]{1,80}\)|[A-Z][\w.+-]*\d[\w.]*|(?:of|on|during|at|in)\s+(?:the\s+)?"
    r"(?:[\w.’'+-]+\s*){1,4})"
)
# Ordinals that number an event, and the events they number: "the third C5+1 ministerial" is
# one meeting, which the corpus holds only if a document numbers one so. For: "Where was the
# third C5+1 ministerial held?" (the documents number the fourth, not the third).
ORDINAL_WORDS = frozenset(
    tokenize("first second third fourth fifth sixth seventh eighth ninth tenth")
)
# The events an ordinal numbers. For: "the fourth C5+1 ministerial", "the first summit".
EVENT_WORDS = frozenset(tokenize("ministerial summit meeting session dialogue"))
# What an ordinal numbers when it comes before the event. For: "How did the 2025
# tenth-anniversary summit go?" (no tenth summit).
ORDINAL_OTHERS = frozenset(tokenize("anniversary year time day round phase step"))
# A month and year as questions write them. For: "the roundtable in Tashkent in July 2021".
MONTH_YEAR = re.compile(rf"\b({MONTH})\s+((?:19|20)\d{{2}})\b")


# Where a theme stops and the documents it is looked for in start. For: "did Biden bring up
# Afghanistan in his remarks or in the White House readout" (the theme is "Afghanistan").
THEME_SCOPE = re.compile(
    r"\s+(?:in|at|during|from|by)\s+(?:(?:his|her|its|their|the|this|that|a)\s+)?"
    rf"(?:[\w.’'+-]+\s+){{0,6}}?{DOCUMENT_NOUN.pattern}",
    re.IGNORECASE,
)


# --- The kind of answer wanted: figures ----------------------------------------------------

# For: "How many locomotives are in Kazakhstan's Wabtec order?" (a count of locomotives).
HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[^?.!]*)", re.IGNORECASE)
# "how much uranium" names what is measured; "how much is …", "how much did …" do not. For:
# "How much uranium will Kazakhstan sell?", "How much is the Leidos contract worth?".
HOW_MUCH = re.compile(r"\bhow much\b(?:\s+(?P<next>[a-z][\w-]*))?", re.IGNORECASE)
# A figure that adds up several, which only a sentence that states a total gives (one deal's
# value is no total). For: "What was the total dollar value of all the deals announced at the
# 2025 C5+1 summit?", not "What was the dollar value of the Boeing deal?".
TOTAL = re.compile(
    r"\b(?:total|combined|overall|altogether|aggregate|cumulative|in all|in sum)\b", re.I
)
# "how much" in other words. For: "What was the total dollar value of the deals?".
VALUE = re.compile(
    r"\bwhat (?:is|was|were|are|will be) the (?:total |combined |overall )?(?:dollar )?"
    r"(?:value|worth|amount|cost|price|sum)\b",
    re.IGNORECASE,
)
# A dollar figure. For: "How many dollars of security funding…" ("$25 million").
DOLLARS = re.compile(r"\$\s?\d")
# Words that count money. For: "How many dollars…".
MONEY_WORDS = frozenset(tokenize("dollar dollars money funding funds"))
# Numbers written as words. For: "The word appears six times".
NUMBER_WORDS = frozenset(
    tokenize(
        "two three four five six seven eight nine ten eleven twelve dozen dozens hundred "
        "hundreds thousand thousands million millions billion billions trillion "
        "first second third fourth fifth sixth seventh eighth ninth tenth"
    )
)
# Scales that make a figure. For: "How much is it worth?" ("a billion-dollar deal").
SCALE_WORDS = frozenset(tokenize("dozen hundred thousand million billion trillion"))

# --- Dates -----------------------------------------------------------------------------

# For: "When was the resolution adopted?", "On what date…", "Since when…", "at what time".
WHEN = re.compile(
    r"^\W*when\b|\b(?:what|which) (?P<unit>date|day|year|month|time)\b|\bsince when\b", re.I
)
# A time of day, which "at what time" asks for: "today" dates a readout, it does not time it.
# For: "What time did Biden start and finish his remarks?" ("2:57 P.M. EDT").
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
# A question about where something took place, which a dateline may answer. For: "Where and
# at what time did Biden deliver his remarks…?", "When and where was the ministerial…?".
PLACE = re.compile(
    r"^\W*where\b|\band where\b|\b(?:what|which) (?:city|place|venue|location)\b", re.I
)
# A sentence that dates something. For: "When did the Senate adopt S. Res. 459?".
DATE = re.compile(
    r"\b(?:19|20)\d{2}\b|\b\d{1,2}:\d{2}\b|\b(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|today|yesterday)\b",
    re.IGNORECASE,
)

# --- People: what they said, who held an office --------------------------------------------

OFFICES = (
    r"President|Vice President|Senator|Secretary|Minister|Ambassador|Envoy|Representative|"
    r"Spokesperson|Governor|Chairman|Chairwoman"
)
HONORIFIC = r"(?:Mr|Ms|Mrs|Dr)\.?"
# An office or honorific before a name makes its bearer a person. For: "What did President
# Japarov say…" (a person) against "What did the Samarkand declaration say…" (a document).
OFFICE_OR_HONORIFIC = re.compile(rf"\b(?:{OFFICES}|{HONORIFIC})\b")
# Who spoke: the capitalised words before a verb of saying. For: "What did President Japarov
# say in his speech at the 2023 summit?" (not the signature list that names him).
SPOKE = re.compile(
    r"\b(?i:did|does|do|has|have|had|will|would)\s+(?P<who>(?:[A-Z][\w.'’-]*\s+(?:of\s+)?){1,5}?)"
    r"(?:say|tell|state|announce|propose|pledge|promise|declare|claim|argue|stress|"
    r"emphasi[sz]e|remark|note|call for|urge)\b"
)
# A speech in the question makes its subject a person. For: "In his remarks, what did Biden
# say about security?".
SPEAKING = re.compile(
    r"\b(?:speech|remarks|address|interview|press conference|testimony|floor)\b", re.IGNORECASE
)
# Verbs that report someone speaking. For: "Biden highlighted…" answering what Biden said.
SPEECH_VERBS = frozenset(
    tokenize(
        "say said says tell told state stated announce announced note noted remark remarked "
        "declare declared stress stressed emphasize emphasized emphasised highlight highlighted "
        "underscore underscored call called urge urged propose proposed pledge pledged promise "
        "promised welcome welcomed praise praised thank thanked express expressed affirm "
        "affirmed reaffirm reaffirmed add added warn warned argue argued claim claimed speak "
        "spoke acknowledge acknowledged"
    )
)
ASKED_OFFICE = (
    r"(?i:secretary of state|secretary|senator|foreign minister|minister|ambassador|envoy|"
    r"special representative|representative|spokesperson|president|official)"
)
QUALIFIER = r"(?:(?:U\.S\.|US|American|[A-Z][a-z]+|(?i:special|deputy|senior|chief))\s+){0,2}?"
# A question that asks who held an office. For: "Which U.S. Secretary of State travelled to
# Samarkand?", "Which U.S. special envoy…".
HOLDER = re.compile(
    rf"\b(?:(?i:which)\s+|(?i:who)\s+(?:was|is|were)\s+the\s+|(?i:name of the)\s+)"
    rf"{QUALIFIER}(?P<office>{ASKED_OFFICE})\b(?!s)"
)


def speaker_label(name: str) -> re.Pattern[str]:
    """A transcript's "NAME:". For: "What did President Japarov say?" ("JAPAROV: Thank you")."""
    return re.compile(rf"\b{re.escape(name)}\s*:", re.IGNORECASE)


def office_holder(titles: str) -> re.Pattern[str]:
    """An office (one of ``titles``, alternatives) or an honorific followed by a name:
    "Secretary of State Blinken", "Mr. DAINES" — where "the Secretary of State of the United
    States" names nobody. For: "Which U.S. Secretary of State attended the 2023 Astana
    ministerial?"."""
    return re.compile(
        rf"(?:\b(?:{titles})(?:\s+of(?:\s+[A-Z]\w*){{1,2}})?|\b{HONORIFIC})\s+"
        r"(?!The\b|And\b)[A-Z][\w'’.-]+"
    )
