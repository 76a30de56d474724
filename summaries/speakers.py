"""Who said it, from the structure of the attribution clause.

Around each quotation we find the clause that credits it: after the closing mark ('"…," said X' /
'"…," X told Y') or before the opening one ('X said: "…"', 'According to X, …'). In that clause the
speech verb's subject is the speaker (read from its noun phrase by `phrases.py`): a name, a pronoun
resolved to the nearest person of that gender, a role resolved to the person the article names with it,
or an organisation when the clause makes it the subject. A quote with no clause continues the previous
speaker's words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .clauses import Attributor
from .cleaning import clean, quote_paragraphs
from .fallbacks import (
    answer,
    colon_speaker,
    is_interviewer,
    named_next,
    previous_subject,
    reported,
    told_before,
)
from .lexicon import Lexicon, lexicon
from .model import Quote
from .nameforms import ELIDED
from .names import NameIndex
from .phrases import Parsed, subject
from .quotes import Span, find_spans, is_quotation, quote_text, sentence_around, sentence_bounds, verb_pattern

MAX_QUOTES = 100  # a summary lists at most this many quotations (the first ones in the article)
# ", professeur de maths, "
_APPOSITION = re.compile(r",\s*((?:[\w'’-]+\s+){0,9}[\w'’-]+)\s*(?:,\s*|\.\s+(?=[A-ZÀ-Þ]))")
# ", rappelle l'élu, " / ", a déclaré Anne Roux. " (a full stop only before a new sentence of the quotation)
_COMMA_CLAUSE = re.compile(r",\s*((?:[\w'’-]+\s+){1,5}?[\w'’-]+)\s*(?:,\s*|\.\s+(?=[A-ZÀ-Þ]))")
_INCISE = re.compile(r",\s*(?:[\w'’]+\s+){0,2}[\w'’]+-(?:t-)?(?:il|elle)(?:\s+[\w'’]+){0,4}\s*"
                     r"(?:,\s*|\.\s+(?=[A-ZÀ-Þ]))", re.I)


def _merge_split(doc: str, spans: list[Span], verbs: re.Pattern[str]) -> list[Span]:
    """'"We ran out," she added, "and had to borrow."' is one quotation interrupted by its attribution."""
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        gap = doc[prev.end:span.start] if prev is not None else ""
        if prev is not None and prev.parts and prev.parts[-1].rstrip().endswith(",") and span.parts \
                and span.parts[0][:1].islower() and len(gap) < 80 and "\n" not in gap \
                and gap.rstrip().endswith(",") and verbs.search(gap):
            merged = Span(prev.parts + span.parts, prev.start, span.end, prev.paragraph)
            merged.split_at = prev.end
            merged.inner = prev.inner + span.inner
            out[-1] = merged
            continue
        out.append(span)
    return out


_AUXILIARY = re.compile(r"(?:a|avait|ont|avaient|aurait)\s+", re.I)


def _past_verb(part: str, at: int) -> int:
    """Where the speech verb of an incise stands: after its auxiliary ("a déclaré Anne Roux")."""
    aux = _AUXILIARY.match(part, at)
    return aux.end() if aux else at


def _cut_incise(doc: str, span: Span, verbs: re.Pattern[str], lex: Lexicon) -> None:
    """« C'est difficile, a-t-il reconnu, mais nécessaire » : the narration inside the marks is attribution; in
    French also a speech verb opening a short clause between commas (« La fonderie, rappelle l'élu, c'est … »),
    with the speaker's appositive after it (« …, sourit Karim Benali, professeur de maths, comme … »)."""
    for k, part in enumerate(span.parts):
        m = _INCISE.search(part)
        if m is None and lex.incises:
            clauses = (_COMMA_CLAUSE.match(part, i) for i, ch in enumerate(part) if ch == ",")
            m = next((c for c in clauses if c is not None and verbs.match(part, _past_verb(part, c.start(1)))),
                     None)
        if m and verbs.search(m.group(0)):
            start, end = m.start(), m.end()
            apposition = _APPOSITION.match(part, part.rfind(",", start, end))
            head = [w for w in ELIDED.sub("", apposition.group(1)).lower().split() if w not in lex.determiners] \
                if apposition is not None else []
            named = apposition is not None and len(head) <= 4 and apposition.group(1)[:1].isupper()
            if apposition is not None and head and (head[0] in lex.roles or named):  # "…, Réjean Lévesque."
                end = apposition.end()
            lo, _ = span.inner[k] if k < len(span.inner) else (span.start + 1, 0)
            span.parts[k] = part[:start] + (". " if part[start:end].rstrip().endswith(".") else ", ") + part[end:]
            span.attribution = (lo + start, lo + end)
            return


def attribute(paragraphs: Sequence[str], language: str = "english") -> tuple[Quote, ...]:
    lex = lexicon(language)
    doc = "\n".join(paragraphs)
    spans = find_spans(paragraphs, dashes=language != "english", max_spans=2 * MAX_QUOTES)
    if not spans:
        return ()
    verbs = verb_pattern(lex)
    spans = _merge_split(doc, spans, verbs)
    titles = _repeated_titles(spans)
    # names are read up to a little past the last quotation considered: bounded work on huge inputs
    index = NameIndex(doc[: spans[-1].start + 3000], lex, [r for span in spans for r in span.inner])
    who = Attributor(doc, lex, index)
    out: list[Quote] = []
    prev: tuple[Span, str | None] | None = None
    for span in spans:
        _cut_incise(doc, span, verbs, lex)
        text = quote_text(span)
        sentence = sentence_around(doc, span.start, span.end)
        if span.attribution is None and (text in titles or not is_quotation(text, sentence, verbs, lex)):
            continue
        if is_interviewer(doc, span, spans):
            continue
        speaker, how = _attribute_one(who, span, prev)
        out.append(Quote(text, speaker, span.paragraph, how))
        prev = (span, speaker)
        if len(out) == MAX_QUOTES:
            break
    return tuple(out)


def _repeated_titles(spans: list[Span]) -> set[str]:
    """A short capitalised phrase in marks twice or more, without a full stop, is a title or a name («La casa
    de las mareas» in the headline and the review): people's words are not printed twice."""
    seen: dict[str, int] = {}
    for span in spans:
        text = quote_text(span)
        if text[:1].isupper() and len(text.split()) <= 6 and text.rstrip()[-1:] not in ".!?…":
            seen[text] = seen.get(text, 0) + 1
    return {text for text, count in seen.items() if count >= 2}


def _attribute_one(who: Attributor, span: Span, prev: tuple[Span, str | None] | None
                   ) -> tuple[str | None, str | None]:
    doc, index = who.doc, who.index
    previous = prev[1] if prev else None
    found: Parsed | None = None
    if span.attribution is not None:
        lo, hi = span.attribution
        found = who.clause(doc[lo:hi], lo)
    end = span.split_at if span.split_at >= 0 else span.end
    tail = doc[end:end + 3].lstrip(" ")
    last = span.parts[-1].rstrip() if span.parts else ""
    continues = span.split_at >= 0 or last.endswith((",", "?", "!", "-", "—", "…")) or tail[:1] == ","
    if found is None and continues:
        found = who.after(end)
    if found is None and span.split_at < 0:
        found = who.signature(end)
    if found is None:
        sent_start = sentence_bounds(doc, span.start, span.start + 1)[0]
        seg_start = max(0, sent_start, prev[0].end if prev else 0)
        found = who.before(span, seg_start)
        if found is None and doc[max(0, span.start - 1):span.start] == "\n" and \
                doc[:span.start].rstrip().endswith(":") and (prev is None or prev[0].end < span.start - 2):
            # 'He told the Guardian:' closing the previous paragraph introduces this one
            para_end = doc.rfind("\n", 0, span.start)
            pstart = sentence_bounds(doc, max(0, para_end - 1), para_end)[0]
            found = who.before(Span([], para_end, para_end, 0), max(0, pstart, prev[0].end if prev else 0))
    if found is None and not continues and tail[:1].islower():
        found = who.after(end)  # mid-sentence: 'seien „mindestens fragwürdig“ gewesen, sagte der 48-Jährige'
        if found is None and who.lex.capitalises_nouns and who.verbs.match(doc, end + 1) is not None:
            # verb-final: 'Deren Präsident, Bernd Eschweiler, hatte vor einem „…“ gewarnt'
            lo = max(sentence_bounds(doc, span.start, span.start + 1)[0], prev[0].end if prev else 0)
            found = subject(doc[lo:span.start], lo, who.lex, "before", who.known)
    if found is None and doc[:span.start].rstrip().endswith(":"):
        colon = colon_speaker(who, span, prev[0].end if prev else 0)
        if colon is not None:
            return colon, None
    if found is not None:
        speaker = who.resolve(found, previous, prev[0].end if prev else -1)
        if speaker is not None:
            gender = _speaker_gender(who, found)
            if gender:
                index.learn_gender(speaker, gender)
            return speaker, found.text
        if found.kind == "pronoun":  # "she said" with no woman before: the next sentence may name her
            return named_next(who, found), found.text
    lede = reported(who, span)
    if lede:
        return lede, None
    told = told_before(who, span, prev)
    if told:
        return told, None
    answered = answer(who, span)
    if answered:
        return answered, None
    if prev is not None:
        gap = doc[prev[0].end: span.start]
        if gap.count("\n") <= 2 and len(gap) < 400:
            # the previous speaker goes on, unless a sentence between is about someone else
            lo = sentence_bounds(doc, max(0, span.start - 2), max(0, span.start - 1))[0]
            between = doc[lo:span.start]
            about = previous_subject(who, span) if lo >= prev[0].end and len(between.split()) >= 3 else None
            return about or previous, None
    return previous_subject(who, span), None

def _speaker_gender(who: Attributor, found: Parsed) -> str | None:
    return who.lex.pronouns.get(found.text) if found.kind == "pronoun" else None


def extract_quotes(text: str, language: str = "english") -> tuple[Quote, ...]:
    """Every direct quotation in an article with its speaker (see `attribute`)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return attribute(quote_paragraphs(clean(text), quoted_headings=True), language)
