"""Who said a quotation that no clause credits: the layout around it (an interview's question, a colon
closing the previous paragraph, a reader's signature) or the sentences next to it name the speaker."""

from __future__ import annotations

import bisect
import re

from .clauses import MAX_SCAN, Attributor
from .lexicon import ARTICLE_GENDER, DESCRIPTION_VERBS, Lexicon
from .phrases import TOKEN, Parsed, plain, subject
from .quotes import Span, quote_text, sentence_bounds

# a sentence opening with an article and up to three words before its verb: "The veteran skipper was"
_DESCRIPTION_HEAD = re.compile(r"\s*(\w+)(?:\s+[\w'’-]+){1,3}?(?=\s+(?:" + "|".join(sorted(DESCRIPTION_VERBS))
                               + r")\b)")
# German puts the verb second: "Der Routinier gibt sich gelassen." opens with a description of someone (a
# verb in "-en" is plural: "Die Wurzeln hätten" are things)
_V2_DESCRIPTION = re.compile(r"\s*(Der|Die)\s+[A-ZÄÖÜ][\wäöüß-]+(?=\s+[a-zäöü][\wäöüß]*(?<!en)(?![\wäöüß]))")
_REPORTED = re.compile(
    r",\s*(?P<who>it|[A-Za-z][\w'’-]*s)\s+(?:has|have)\s+(?:been\s+)?(?P<verb>[a-z]+)[.!?]?[\"”]?\s*$")


def colon_speaker(who: Attributor, span: Span, since: int) -> str | None:
    """'Sobre el cajero lo tiene claro: «…»' with no subject to parse: the person named in that sentence, or
    else the subject of the sentence before it, when no quotation stands between."""
    doc, index = who.doc, who.index
    lo, _ = sentence_bounds(doc, span.start - 1, span.start)
    k = bisect.bisect_left(index.starts, max(lo, since))
    named = [p for p in index.people[k:k + 20] if p.start < span.start and not p.quoted]
    if named:
        return index.full(named[-1].name)
    body = _body_in(who, lo, span.start)  # "In einer Erklärung der Gewerkschaft hieß es:"
    if body is not None:
        return body
    if lo < 2:
        return None
    prev_lo, _ = sentence_bounds(doc, lo - 2, lo - 1)
    return index.first_subject(prev_lo, lo) if prev_lo >= since else None


def _body_in(who: Attributor, lo: int, hi: int) -> str | None:
    """The organisation a sentence names, by name or by its noun ("der Gewerkschaft": the union named before)."""
    index = who.index
    k = bisect.bisect_left(index.org_starts, lo)
    if k < len(index.orgs) and index.orgs[k][0] < hi:
        at, name = index.orgs[k]
        # a body's common noun alone ("der Gewerkschaft") means the one named before
        alone = " " not in name and not name.isupper()
        return (index.org_before(at) or name) if alone or plain(name, who.lex) in who.lex.org_roles else name
    for word in TOKEN.finditer(who.doc, lo, hi):
        if plain(word.group(0), who.lex) in who.lex.org_roles:
            return index.org_before(word.start())
    return None


def told_before(who: Attributor, span: Span, prev: tuple[Span, str | None] | None) -> str | None:
    """'X said talks were difficult. "Some of these people …"': a quote opening the sentence right after
    reported speech is the reporter's subject's."""
    doc = who.doc
    start, _ = sentence_bounds(doc, span.start, span.start + 1)
    if start != span.start or start < 2 or doc[start - 1] == "\n":
        return None
    lo, _ = sentence_bounds(doc, start - 2, start - 1)
    if prev is not None and prev[0].end > lo:
        return None
    found = who.clause(doc[lo:start], lo, last=True)
    if found is None or found.kind not in ("name", "pronoun"):
        return None
    return who.resolve(found, prev[1] if prev else None, prev[0].end if prev else -1)


def _line_start(doc: str, at: int) -> bool:
    """Only dashes and spaces between the start of the line and `at` ('— « Jamais en mer. »'); looks back a few
    characters only, so a huge single-line input costs nothing."""
    lo = max(0, at - 8)
    nl = doc.rfind("\n", lo, at)
    if nl < 0 and lo > 0:
        return False
    return not doc[nl + 1:at].strip(" —–")


def is_interviewer(doc: str, span: Span, spans: list[Span]) -> bool:
    """'—¿Por qué …?' then '—Porque …': in a dash interview the question lines are the interviewer's."""
    if doc[span.start:span.start + 1] not in "—–" or not quote_text(span).rstrip().endswith("?"):
        return False
    nxt = next((s for s in spans if s.start > span.start), None)
    return nxt is not None and nxt.paragraph == span.paragraph + 1 and _line_start(doc, nxt.start)


def answer(who: Attributor, span: Span) -> str | None:
    """An interview: a quotation standing alone as the paragraph after a question is the interviewee's
    answer - the person the question addresses ("Frau Roth, warum …?"), else the article's first subject."""
    doc = who.doc
    if not _line_start(doc, span.start):
        return None
    line = doc.rfind("\n", max(0, span.start - 8), span.start)
    if line < 1:
        return None
    q_start = doc.rfind("\n", max(0, line - 400), line) + 1
    if q_start == 0 and line > 400:
        return None  # no question paragraph of a sane length before it
    question = doc[q_start: line].rstrip()
    if not question.endswith("?") or len(question) > 300 or any(c in question for c in "\"“”„«»"):
        return None
    vocative = subject(question.split(",", 1)[0], q_start, who.lex, "before", who.known) \
        if "," in question else None
    if vocative is not None and vocative.kind == "name":
        return who.index.full(vocative.text)
    return who.index.first_subject(0, q_start)


def reported(who: Attributor, span: Span) -> str | None:
    """A lede credited at its end: '…, MPs have warned.' names a group; '…, it has been claimed.' leaves the
    name to the next paragraph, whose first reported speaker is the one the lede means."""
    doc = who.doc
    _, right = sentence_bounds(doc, span.start, span.end)
    m = _REPORTED.search(doc, max(span.end, right - 120), right)
    if not m or not who.verbs.fullmatch(m.group("verb")):
        return None
    if m.group("who").lower() != "it":
        return m.group("who")
    nxt = doc.find("\n", right)
    if nxt < 0:
        return None
    para_end = doc.find("\n", nxt + 1)
    para = doc[nxt + 1: para_end if para_end > 0 else min(len(doc), nxt + 600)]
    verb = who.verbs.search(para)
    found = who.clause(para[: verb.end()], nxt + 1) if verb else None
    return who.resolve(found, None, -1) if found else None


def named_next(who: Attributor, found: Parsed) -> str | None:
    """'"…," he insisted. Mr Roe, who …': a pronoun with nobody before it means the subject of the next
    sentence, when that person's gender does not contradict it; otherwise unknown, never someone else."""
    doc = who.doc
    _, hi = sentence_bounds(doc, found.at, found.at + 1)
    k = hi
    while k < len(doc) and doc[k].isspace():
        k += 1
    if k >= len(doc):
        return None
    lo2, hi2 = sentence_bounds(doc, k, k + 1)
    name = who.index.first_subject(lo2, hi2)
    gender = who.lex.pronouns.get(found.text)
    if name is None or (gender and who.index.gender_of(name) not in (None, gender)):
        return None
    return name



def previous_subject(who: Attributor, span: Span) -> str | None:
    """An unattributed quote after a sentence about someone: that sentence's subject, if a person."""
    lo, _ = sentence_bounds(who.doc, max(0, span.start - 2), max(0, span.start - 1))
    named = who.index.first_subject(lo, span.start)
    if named is not None or lo >= span.start:
        return named
    # 'Speaking at her home, she was measured but unsparing. "…"': a pronoun subject, resolved
    sentence = who.doc[lo:min(span.start, lo + MAX_SCAN)]
    for clause_start in (0, sentence.find(",") + 1):
        if clause_start < 0 or (clause_start and not _skip_opening(sentence[:clause_start], who.lex)):
            continue
        first = TOKEN.search(sentence, clause_start)
        if first is not None and first.group(0).lower() in who.lex.pronouns:
            gender = who.lex.pronouns[first.group(0).lower()]
            return who.index.resolve_pronoun(gender, lo + first.start(), None)
        # "The judge was not persuaded.", "the 64-year-old shrugged.", "The veteran skipper was blunt."
        head = _DESCRIPTION_HEAD.match(sentence, clause_start) or (
            _V2_DESCRIPTION.match(sentence, clause_start) if who.lex.capitalises_nouns else None)
        if head is not None and head.group(1).lower() in ARTICLE_GENDER:
            found = subject(head.group(0), lo + head.start(), who.lex, "after", who.known)
            if found is not None and found.kind in ("the-role", "description"):
                return who.resolve(found, None, -1)
    if who.lex.reported_speech and who.lex.reported_speech.intersection(sentence.lower().split()) and lo >= 2:
        # German indirect speech carries on the sentence before: "Raab verteidigte die Pläne. Eine Sanierung
        # sei „technisch nicht machbar“."
        before, _ = sentence_bounds(who.doc, lo - 2, lo - 1)
        return who.index.first_subject(before, lo)
    return None


def _skip_opening(opening: str, lex: Lexicon) -> bool:
    """An opening phrase before the subject: 'Speaking at her home,', 'In a statement,', 'Later,', 'Asked
    whether …,'."""
    first = TOKEN.search(opening)
    return first is not None and (first.group(0).lower().endswith(("ing", "ed")) or first.group(0).lower() in
                                  lex.prepositions | lex.subordinators or len(opening.split()) == 1)
