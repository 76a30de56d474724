"""Who said it, from the structure of the attribution clause.

Around each quotation we find the clause that credits it: after the closing mark ('"…," said X' /
'"…," X told Y') or before the opening one ('X said: "…"', 'According to X, …'). In that clause the
speech verb's subject is the speaker (read from its noun phrase by `phrases.py`): a name, a pronoun
resolved to the nearest person of that gender, a role resolved to the person the article names with it,
or an organisation when the clause makes it the subject. A quote with no clause continues the previous
speaker's words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence

from .cleaning import clean, quote_paragraphs
from .lexicon import ANONYMOUS_ROLES, Lexicon, lexicon, wordset
from .model import Quote
from .nameforms import ELIDED, RUN
from .names import NameIndex
from .phrases import TOKEN, Parsed, subject
from .quotes import (
    Span,
    according_pattern,
    find_spans,
    is_quotation,
    quote_text,
    sentence_around,
    sentence_bounds,
    verb_pattern,
)

MAX_QUOTES = 100  # a summary lists at most this many quotations (the first ones in the article)
MAX_SCAN = 250  # characters of attribution clause looked at on either side of a quotation
# the end of an attribution clause: not the period of a title or an initial ("erklärt Dr. Eva Roth")
_CLAUSE_END = re.compile(r"(?<!\b[A-Z])(?<!\b(?:Mr|Dr|Ms|St|Sr))(?<!\b(?:Mrs|Sra|Mme|Sen|Gov|Rev))(?<!\bProf)"
                         r"[.!?](?=\s|$)|[\"“”„«»]|\n")
_CLAUSE_END_BANG = re.compile(r"[¡¿][^\n!?]{1,40}[!?]")  # "a ¡SEMANA! la artista": a title, not a sentence end
_INCISE = re.compile(r",\s*(?:[\w'’]+\s+){0,2}[\w'’]+-(?:t-)?(?:il|elle)(?:\s+[\w'’]+){0,2}\s*,\s*", re.I)
# where the clause of the last speech verb starts: a sentence break (not after "Mr." or an initial) or a
# coordinated clause ("…, and the coach said")
_CLAUSE_BREAK = re.compile(
    r"(?<![A-Z])(?<!\b(?:Mr|Dr|Ms|St))(?<!Mrs)[.;!?]\s+"
    r"|,\s+(?:and|but|while|as|und|aber|et|mais|y|pero)\s+|\s(?:and|but)\s+(?=[A-Z])")
_REPORTED = re.compile(
    r",\s*(?P<who>it|[A-Za-z][\w'’-]*s)\s+(?:has|have)\s+(?:been\s+)?(?P<verb>[a-z]+)[.!?]?[\"”]?\s*$")
# '"…" — Gwen, Aberaeron': a signature after a dash, the way readers' messages and letters are credited
_SIGNATURE = re.compile(r"[ \t]*[—–][ \t]*(?=[A-ZÀ-Þ])")
_COMPLEMENT = re.compile(r"\s*(?:that|que|qu['’]|dass|daß)\b", re.IGNORECASE)
# words that open a clause after a quotation without being its verb
_NOT_VERBS = wordset("""and but or because as while when which who that so then y pero porque que cuando et mais
    car quand qui und aber weil denn als wenn dass sagt""")
_LISTENER = re.compile(r"\s+(\w+)\s+(" + RUN.pattern + ")")
_SPEAKER_LABEL = re.compile(r"[A-ZÀ-Þ][\w'’-]*(?: [A-ZÀ-Þ][\w'’-]*){0,2}: (?=\S)")
_CONJUNCTIONS = frozenset(["and", "und", "et", "y"])
_AUXILIARIES = frozenset(["a", "ha", "has", "had", "have", "hat", "hatte", "habe", "then", "also", "later"])


def _modifiers(doc: str, at: int, role: str, lex: Lexicon) -> str:
    """The words right after a role noun that tell two holders apart: "el técnico local" / "visitante"."""
    m = re.compile(r"(?i:\b" + re.escape(role) + r")\b((?:[ \t]+[a-zà-ÿ]+(?![\w'’-])){0,2})").search(doc, at, at + 80)
    out = [w for w in ELIDED.sub("", doc[at:m.start()]).lower().split() if w.isalpha()
           and w not in lex.determiners] if m else []  # "l'ancien maire": before the role too
    for word in (m.group(1).split() if m else ()):
        if word in lex.prepositions or word in lex.determiners or word in ("que", "who", "qui", "der"):
            break
        out.append(word)
    return " ".join(out)


def _last(matches: Iterator[re.Match[str]]) -> re.Match[str] | None:
    found = None
    for found in matches:  # noqa: B007 - only the last one is wanted
        pass
    return found


# the listener right after the verb: "dijo a EFE X", "reconoció a este diario una portavoz"
_RECIPIENT = re.compile(r"\s*(?:a|à|al|to)\s+(?:l['’]|la\s+|el\s+)?[¡¿]?[A-ZÀ-Þ][\w'’.-]*[!?]?"
                        r"|\s*(?:a|al)\s+(?:(?:este|esta|ese|esa|la|el|los|las|un|una)\s+)?[a-zñáéíóú]+(?=\s)")




class _Attributor:
    def __init__(self, doc: str, lex: Lexicon, index: NameIndex) -> None:
        self.doc, self.lex, self.index = doc, lex, index
        self.verbs = verb_pattern(lex)
        org_names = {name for _, name in index.orgs}
        self.known = lambda name: name in index.fullest or name in org_names or name.isupper()
        self.according = according_pattern(lex)

    def resolve(self, parsed: Parsed, previous: str | None, since: int) -> str | None:
        index = self.index
        if parsed.kind == "name":
            name = index.full(parsed.text)
            if index.is_place(name):
                return None
            index.note_speaker(name)
            return name
        if parsed.kind == "pronoun":
            # "she told Hannah": whoever the pronoun means, it is not the listener
            told = _LISTENER.match(self.doc, parsed.at + len(parsed.text), parsed.at + len(parsed.text) + 60)
            listener = index.full(told.group(2)) if told and told.group(1).lower() in self.lex.listener_verbs \
                else None
            return index.resolve_pronoun(self.lex.pronouns.get(parsed.text), parsed.at, previous, since, listener)
        if parsed.kind == "org":
            return index.org_before(parsed.at) or parsed.text
        if parsed.kind in ("role", "the-role"):
            words = parsed.text.lower().split()
            k = next((k for k in range(len(words) - 1, -1, -1) if words[k] in self.lex.roles), -1)
            role = words[k] if k >= 0 else ""
            modifiers = _modifiers(self.doc, parsed.at, role, self.lex)
            named = index.named_role(role, parsed.at + len(parsed.text), modifiers) if role else None
            if named is None and role not in ANONYMOUS_ROLES and parsed.kind == "the-role":
                named = index.resolve_pronoun(None, parsed.at, previous, since)  # "the presenter said"
            return named or parsed.text
        return parsed.text

    def clause(self, text: str, at: int, last: bool = False) -> Parsed | None:
        """Speaker of a clause holding a speech verb: verb-first ('said X') or subject-first ('X said')."""
        verb = _last(self.verbs.finditer(text)) if last else self.verbs.search(text)
        if verb is None:
            return None
        before = text[: verb.start()]
        shared: Parsed | None = None
        if last:  # only this verb's own clause: from the last clause break before it
            cut = _last(_CLAUSE_BREAK.finditer(before))
            if cut is not None:
                if not before[cut.end():].strip() and cut.group(0).strip(" ,").lower() in _CONJUNCTIONS:
                    # "Der Bürgermeister kündigte an, …, und betonte:": coordinated verbs share the subject
                    shared = subject(before[:cut.start()], at, self.lex, "before", self.known)
                at, text, before = at + cut.end(), text[cut.end():], before[cut.end():]
                verb = self.verbs.search(text, len(before)) or verb
        words = [w.lower() for w in TOKEN.findall(before)]
        if words and not all(w in _AUXILIARIES for w in words):
            found = subject(before, at, self.lex, "before", self.known)
            if found is not None:
                return found
        if shared is not None and shared.kind in ("name", "pronoun", "role", "the-role", "org"):
            return shared
        if verb.group(0).lower() in self.lex.listener_verbs:
            return None  # "the 24-year-old told BBC Sport": the speaker is before the verb or unknown here
        rest = text[verb.end():]
        if _COMPLEMENT.match(rest):
            return None  # "aseguró que el organismo …": the clause after "que" is what was said
        rest_at = at + verb.end()
        recipient = _RECIPIENT.match(rest)
        if recipient:
            rest_at += recipient.end()
            rest = rest[recipient.end():]
        found = subject(rest, rest_at, self.lex, "after", self.known)
        if found is None and self.lex.pro_drop:  # «…», lamenta sin levantar la vista: the verb's own subject, unsaid
            return Parsed("pronoun", "", at + verb.start())
        return found

    def after(self, end: int) -> Parsed | None:
        tail = self.doc[end: end + MAX_SCAN]
        stop = _CLAUSE_END.search(tail)
        if stop is not None and tail[stop.start()] in "!?":
            title = _CLAUSE_END_BANG.search(tail, 0, stop.end())
            if title is not None and title.end() == stop.end():
                stop = _CLAUSE_END.search(tail, stop.end())
        tail = tail[: stop.start() if stop else len(tail)]
        if not tail.strip(" ,"):
            return None
        if not self.verbs.search(tail):  # '« … », selon le maire de Lyon, Paul Ferrand.'
            acc = self.according.search(tail)
            if acc:
                return subject(acc.group(1), end + acc.start(1), self.lex, "after", self.known)
            return self.unknown_verb(tail, end)
        return self.clause(tail, end)

    def unknown_verb(self, tail: str, end: int) -> Parsed | None:
        """'«…», bromeó el entrenador.' / '"…," the coach grinned.': a short clause closing the sentence
        right after a quotation is its attribution, whatever its verb; the verb stands first or last."""
        words = TOKEN.findall(tail)
        if not tail.lstrip().startswith(",") or not 2 <= len(words) <= 7:
            return None
        while len(words) > 2 and words[0].lower() in _AUXILIARIES:  # "ha contado el artista"
            words.pop(0)
        first = words[0].lower()
        lex = self.lex
        if first[:1].islower() and first not in lex.determiners and first not in lex.pronouns \
                and first not in _NOT_VERBS:
            verb_end = tail.index(words[0]) + len(words[0])
            found = subject(tail[verb_end:], end + verb_end, lex, "after", self.known)
            if found is None and lex.pro_drop and len(words) <= 3:
                return Parsed("pronoun", "", end)
            return found
        last = tail.rstrip().rsplit(None, 1)
        if len(last) == 2 and last[1][:1].islower():
            return subject(last[0], end, lex, "before", self.known)  # '"…," the coach grinned.'
        return None

    def signature(self, end: int) -> Parsed | None:
        m = _SIGNATURE.match(self.doc, end)
        if m is None:
            return None
        stop = self.doc.find("\n", m.end(), m.end() + MAX_SCAN)
        line = self.doc[m.end(): stop if stop >= 0 else m.end() + MAX_SCAN]
        return subject(line, m.end(), self.lex, "after", self.known)

    def before(self, span: Span, seg_start: int) -> Parsed | None:
        label = _SPEAKER_LABEL.match(self.doc, seg_start, span.start)
        if label is not None and (seg_start == 0 or self.doc[seg_start - 1] == "\n"):
            seg_start = label.end()  # an interview's "Haldenwang: " names who answers, not who is quoted
        seg = self.doc[seg_start: span.start]
        acc = _last(self.according.finditer(seg))
        if acc is not None:
            found = subject(acc.group(1), seg_start + acc.start(1), self.lex, "after", self.known)
            if found is not None:
                return found
        verbs = list(self.verbs.finditer(seg))
        if verbs:
            end = verbs[-1].end()
            inverted = seg[end:].rstrip()
            if inverted.endswith(":") and len(inverted.split()) <= 6:
                end = len(seg)  # the subject after the verb: 'teilte das Unternehmen mit:', 'said the mayor:'
            return self.clause(seg[:end], seg_start, last=True)
        if seg.rstrip().endswith(":"):
            head = seg.rstrip()[:-1]
            cut = max(head.rfind(":"), head.rfind("\n"))  # "LIVE: 10:15 Chancellor Rachel Hart:"
            return subject(head[cut + 1:], seg_start + cut + 1, self.lex, "before", self.known)
        return None


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


def _cut_incise(doc: str, span: Span, verbs: re.Pattern[str]) -> None:
    """« C'est difficile, a-t-il reconnu, mais nécessaire » : the narration inside the marks is attribution."""
    for k, part in enumerate(span.parts):
        m = _INCISE.search(part)
        if m and verbs.search(m.group(0)):
            lo, _ = span.inner[k] if k < len(span.inner) else (span.start + 1, 0)
            span.parts[k] = part[: m.start()] + ", " + part[m.end():]
            span.attribution = (lo + m.start(), lo + m.end())
            return


def attribute(paragraphs: Sequence[str], language: str = "english") -> tuple[Quote, ...]:
    lex = lexicon(language)
    doc = "\n".join(paragraphs)
    spans = find_spans(paragraphs, dashes=language != "english", max_spans=2 * MAX_QUOTES)
    if not spans:
        return ()
    verbs = verb_pattern(lex)
    spans = _merge_split(doc, spans, verbs)
    # names are read up to a little past the last quotation considered: bounded work on huge inputs
    index = NameIndex(doc[: spans[-1].start + 3000], lex, [r for span in spans for r in span.inner])
    who = _Attributor(doc, lex, index)
    out: list[Quote] = []
    prev: tuple[Span, str | None] | None = None
    for span in spans:
        _cut_incise(doc, span, verbs)
        text = quote_text(span)
        sentence = sentence_around(doc, span.start, span.end)
        if span.attribution is None and not is_quotation(text, sentence, verbs, lex):
            continue
        if _interviewer(doc, span, spans):
            continue
        speaker, how = _attribute_one(who, span, prev)
        out.append(Quote(text, speaker, span.paragraph, how))
        prev = (span, speaker)
        if len(out) == MAX_QUOTES:
            break
    return tuple(out)


def _attribute_one(who: _Attributor, span: Span, prev: tuple[Span, str | None] | None
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
        colon = _colon_speaker(who, span, prev[0].end if prev else 0)
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
            return _named_next(who, found), found.text
    reported = _reported(who, span)
    if reported:
        return reported, None
    told = _told_before(who, span, prev)
    if told:
        return told, None
    answer = _answer(who, span)
    if answer:
        return answer, None
    if prev is not None:
        gap = doc[prev[0].end: span.start]
        if gap.count("\n") <= 2 and len(gap) < 400:
            return previous, None
    return _previous_subject(who, span), None


def _colon_speaker(who: _Attributor, span: Span, since: int) -> str | None:
    """'Sobre el cajero lo tiene claro: «…»' with no subject to parse: the person named in that sentence, or
    else the subject of the sentence before it, when no quotation stands between."""
    doc, index = who.doc, who.index
    lo, _ = sentence_bounds(doc, span.start - 1, span.start)
    k = bisect.bisect_left(index.starts, max(lo, since))
    named = [p for p in index.people[k:k + 20] if p.start < span.start and not p.quoted]
    if named:
        return index.full(named[-1].name)
    if lo < 2:
        return None
    prev_lo, _ = sentence_bounds(doc, lo - 2, lo - 1)
    return index.first_subject(prev_lo, lo) if prev_lo >= since else None


def _told_before(who: _Attributor, span: Span, prev: tuple[Span, str | None] | None) -> str | None:
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


def _interviewer(doc: str, span: Span, spans: list[Span]) -> bool:
    """'—¿Por qué …?' then '—Porque …': in a dash interview the question lines are the interviewer's."""
    if doc[span.start:span.start + 1] not in "—–" or not quote_text(span).rstrip().endswith("?"):
        return False
    nxt = next((s for s in spans if s.start > span.start), None)
    return nxt is not None and nxt.paragraph == span.paragraph + 1 and _line_start(doc, nxt.start)


def _answer(who: _Attributor, span: Span) -> str | None:
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


def _reported(who: _Attributor, span: Span) -> str | None:
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


def _named_next(who: _Attributor, found: Parsed) -> str | None:
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


def _speaker_gender(who: _Attributor, found: Parsed) -> str | None:
    return who.lex.pronouns.get(found.text) if found.kind == "pronoun" else None


def _previous_subject(who: _Attributor, span: Span) -> str | None:
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
    return None


def _skip_opening(opening: str, lex: Lexicon) -> bool:
    """An opening phrase before the subject: 'Speaking at her home,', 'In a statement,', 'Later,'."""
    first = TOKEN.search(opening)
    return first is not None and (first.group(0).lower().endswith("ing") or first.group(0).lower() in
                                  lex.prepositions | lex.subordinators or len(opening.split()) == 1)


def extract_quotes(text: str, language: str = "english") -> tuple[Quote, ...]:
    """Every direct quotation in an article with its speaker (see `attribute`)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return attribute(quote_paragraphs(clean(text), quoted_headings=True), language)
