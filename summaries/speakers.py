"""Who said it: attribution patterns around a quotation ("…," said X / X said: "…" / "…," X told the BBC),
falling back to the previous quote's speaker for continuations. Mentions and pronouns are resolved to the
fullest name given by `coref.Index`."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from .coref import DESCRIPTION, NAME, NOT_NAMES, PRONOUN, ROLES, Index, role_of, strip_titles
from .gender import is_org
from .model import Quote
from .quotes import SPEECH_VERBS, Span, find_spans, is_quotation, quote_text, sentence_around

_WHO = (r"(?:" + PRONOUN + r"|\b(?:[Tt]he|[Aa]n?)\s+(?:[\w'’-]+\s+){0,4}?(?i:" + ROLES + r")\b"
        r"(?:\s+(?:for|of|at)\s+(?:the\s+)?" + NAME.pattern + ")?|" + NAME.pattern + ")")
_VERB = r"(?:" + SPEECH_VERBS + r")"
_AFTER_VERB_WHO = re.compile(r"^[\s,]*(?:" + _VERB + r")\s+(?P<who>" + _WHO + r")", re.UNICODE)
_AFTER_WHO_VERB = re.compile(
    r"^[\s,]*(?P<who>" + _WHO + r")(?:,[^,]{1,80},)?\s+(?:has\s+|had\s+|then\s+|also\s+)?(?:" + _VERB + r")\b"
)
# '"…," said his coach Peter Stanley' / '"…," Citigroup analyst Kyle Cooper told Reuters'
_AFTER_VERB_ROLE_NAME = re.compile(
    r"^[\s,]*(?:" + _VERB + r")\s+(?:(?:his|her|their|its|the)\s+)?(?:[a-z][\w'’-]*\s+){0,3}(?P<who>"
    + NAME.pattern + ")"
)
_AFTER_THE_ORG_VERB = re.compile(
    r"^[\s,]*[Tt]he\s+(?P<who>" + NAME.pattern + r")\s+(?:has\s+|have\s+)?(?:" + _VERB + r")\b")
_VERB_BEFORE = re.compile(r"\b(?:" + _VERB + r")\b", re.IGNORECASE)
_TAIL_END = re.compile(r"[.!?:](?:\s|$)|[\"“”]")


def _is_personish(index: Index, who: str) -> bool:
    if re.fullmatch(PRONOUN, who, re.IGNORECASE):
        return True
    if DESCRIPTION.fullmatch(who):
        return False
    name = index.full(who)
    return bool(name) and name.split()[-1] in index.person_keys


def _candidates(index: Index, text: str, base: int) -> list[tuple[str, int]]:
    """Possible speakers in `text`, leading 'The'/'But' stripped; months kept when they are a surname."""
    out = []
    for m in re.finditer(_WHO, text):
        who, at = m.group(0), base + m.start()
        if re.fullmatch(PRONOUN, who, re.IGNORECASE):
            if who.lower() in ("he", "she"):
                out.append((who, at))
            continue
        if DESCRIPTION.fullmatch(who):
            out.append((who, at))
            continue
        words = who.split()
        while words and words[0] in NOT_NAMES and not (len(words) == 1 and words[0] in index.fullest):
            at += len(words.pop(0)) + 1
        if words:
            out.append((" ".join(words), at))
    return out


def _who_before(index: Index, doc: str, seg_start: int, quote_start: int) -> tuple[str, int] | None:
    seg = doc[seg_start:quote_start]
    verbs = list(_VERB_BEFORE.finditer(seg))
    if not verbs:
        return None
    head = seg[: verbs[-1].start()].rstrip()
    if verbs[-1].group(0).lower().endswith("ing") and head.endswith(","):
        # "X has defended the Act, saying ...": a participle's subject is the clause subject, not the object
        subjects = [c for c in _candidates(index, head, seg_start) if _is_personish(index, c[0])]
        if subjects:
            return subjects[0]
    appositive = ""
    if head.endswith(","):  # drop an appositive: "Lisa Power, head of policy at X, said"
        cut = head[:-1].rfind(",")
        if cut > 0:
            head, appositive = head[:cut], head[cut + 1:-1]
    cands = _candidates(index, head, seg_start)
    named = [m for m in NAME.finditer(appositive) if len(strip_titles(m.group(0))[0].split()) >= 2]
    app_at = seg_start + len(head) + 1
    if not cands and named:
        return named[-1].group(0), app_at + named[-1].start()
    if not cands:
        return None
    last = cands[-1]
    if appositive and named and not _is_personish(index, last[0]):
        return named[-1].group(0), app_at + named[-1].start()
    between = doc[last[1] + len(last[0]): seg_start + len(head)].strip()
    if between and not re.fullmatch(r"(?:has|had|also|then|later|have|,)*", between):
        personish = [c for c in cands if _is_personish(index, c[0])]
        last = personish[0] if personish else last
    return last


def attribute(paragraphs: Sequence[str]) -> tuple[Quote, ...]:
    doc = "\n".join(paragraphs)
    spans = find_spans(paragraphs)
    if not spans:
        return ()
    index = Index(doc)
    index.quoted = sorted((s.start, s.end) for s in spans)
    spans = _merge_split(doc, spans)
    out: list[Quote] = []
    prev: tuple[Span, str | None] | None = None
    for span in spans:
        text = quote_text(span)
        sentence = sentence_around(doc, span.start, span.end)
        if not is_quotation(text, sentence):
            continue
        speaker, how = _attribute_one(index, doc, span, prev)
        out.append(Quote(text, speaker, span.paragraph, how))
        prev = (span, speaker)
    return tuple(out)


_SPLIT_GAP = re.compile(r"^[\s,]*(?:(?:" + _WHO + r")\s+(?:" + _VERB + r")|(?:" + _VERB + r")\s+(?:" + _WHO
                        + r"))\s*,\s*$")


def _merge_split(doc: str, spans: list[Span]) -> list[Span]:
    """'"We ran out," she added, "and had to borrow."' is one quotation interrupted by its attribution."""
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev is not None and prev.parts and prev.parts[-1].rstrip().endswith(",") \
                and span.parts and span.parts[0][:1].islower() and _SPLIT_GAP.match(doc[prev.end:span.start]):
            merged = Span(prev.parts + span.parts, prev.start, span.end, prev.paragraph)
            merged.split_at = prev.end  # attribution sits between the parts
            out[-1] = merged
            continue
        out.append(span)
    return out


def _after(index: Index, doc: str, end: int, prev_name: str | None) -> tuple[str | None, str] | None:
    """Attribution right after the closing mark: '"…," said X', '"…," X, who …, added', '"…," X told Y'."""
    tail = doc[end: end + 200].split("\n", 1)[0]
    for pat in (_AFTER_VERB_WHO, _AFTER_WHO_VERB, _AFTER_VERB_ROLE_NAME):
        m = pat.match(tail)
        if m:
            who = m.group("who")
            appositive = re.search(NAME.pattern, m.group(0)[m.end("who") - m.start(0):])
            if not _is_personish(index, who) and appositive and len(appositive.group(0).split()) >= 2:
                who = appositive.group(0)
            if pat is _AFTER_VERB_WHO and not _is_personish(index, who):
                m2 = _AFTER_VERB_ROLE_NAME.match(tail)
                if m2 and _is_personish(index, m2.group("who")):
                    m, who = m2, m2.group("who")
            return index.name_for(who, end + m.start("who"), prev_name), m.group(0).strip(" ,")
    m = _AFTER_THE_ORG_VERB.match(tail)
    if m and is_org(m.group("who")):  # '"…," the Northfield Trading Company said'
        return index.full(m.group("who")), m.group(0).strip(" ,")
    stop = _TAIL_END.search(tail)
    clause = tail[: stop.start() if stop else len(tail)]
    verb = _VERB_BEFORE.search(clause)
    if verb and verb.start() < 120:
        cands = [c for c in _candidates(index, clause[: verb.start()], end) if _is_personish(index, c[0])]
        if cands:
            who, at = cands[-1]
            return index.name_for(who, at, prev_name), clause[: verb.end()].strip(" ,")
    return None


def _attribute_one(
    index: Index, doc: str, span: Span, prev: tuple[Span, str | None] | None
) -> tuple[str | None, str | None]:
    prev_name = prev[1] if prev else None
    end = span.split_at if span.split_at >= 0 else span.end
    tail = doc[end: end + 160].split("\n", 1)[0]
    last = span.parts[-1].rstrip() if span.parts else ""
    continues = (span.split_at >= 0 or last.endswith((",", "?", "!", "-", "—", "…"))
                 or tail.lstrip().startswith(","))
    if continues:
        found_after = _after(index, doc, end, prev_name)
        if found_after:
            return found_after
    sent = sentence_around(doc, span.start, span.start + 1)
    sent_start = doc.rfind(sent, 0, span.start + 1) if sent else span.start
    seg_start = max(0, sent_start, prev[0].end if prev else 0)
    found = _who_before(index, doc, seg_start, span.start)
    if found:
        who, at = found
        return index.name_for(who, at, prev_name), who
    reported = _reported_by(index, doc, span)
    if reported:
        return reported, None
    if prev is not None:
        gap = doc[prev[0].end: span.start]
        if len(gap) < 120:
            return prev[1], None
    # unattributed: the subject of the previous sentence, if it names anyone
    prev_end = max(0, sent_start - 1)
    prev_sent = sentence_around(doc, max(0, prev_end - 1), prev_end)
    ps = doc.rfind(prev_sent, 0, prev_end + 1) if prev_sent else -1
    lo = bisect.bisect_left(index.ends, ps)
    for mention in index.mentions[lo:lo + 40]:
        if ps <= mention.start < prev_end and index.is_person(mention) and not mention.possessive:
            if DESCRIPTION.fullmatch(mention.text) and role_of(mention.text) in ("newspaper", "report"):
                continue
            return index.name_for(mention.text, mention.start), None
    return (prev[1] if prev else None), None


_REPORTED = re.compile(r",\s*(?P<who>it|[A-Za-z][\w'’-]*s)\s+(?:has|have)\s+(?:been\s+)?(?:" + _VERB
                       + r")[.!?]?[\"”]?\s*$")


def _reported_by(index: Index, doc: str, span: Span) -> str | None:
    """A lede credited at its end: '…, lenders have said' names a group; '…, it has been claimed' leaves the
    name to the next paragraph, whose first reported speaker is the one the lede means."""
    m = _REPORTED.search(sentence_around(doc, span.start, span.end))
    if not m:
        return None
    if m.group("who") != "it":
        return m.group("who")
    nxt = doc.find("\n", span.end)
    if nxt < 0:
        return None
    para = doc[nxt + 1: doc.find("\n", nxt + 1) if "\n" in doc[nxt + 1:] else len(doc)]
    verb = _VERB_BEFORE.search(para)
    if not verb:
        return None
    cands = [c for c in _candidates(index, para[: verb.start()], nxt + 1) if _is_personish(index, c[0])]
    return index.name_for(cands[0][0], cands[0][1]) if cands else None
