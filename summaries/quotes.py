"""Finding direct quotations: pairing quote marks in each language's style, joining multi-paragraph quotes,
reading dialogue dashes, dropping scare quotes and titles. Attribution lives in `speakers.py`."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from .lexicon import Lexicon, lexicon

_DOUBLE = re.compile(r"[\"“”„«»「」『』]")
_SINGLE = re.compile(r"[‘’‚']")
_TERMINAL_BEFORE = re.compile(r"[.!?,:;…][\"'”’“«»]?\s*$")
_SENT_START = re.compile(r"[.!?…][\"'”’“»«]?\s+(?=[\"'“‘„«»A-ZÀ-ÖØ-Þ¿¡—–])")
_SO_CALLED = re.compile(r"\bso[- ]called\s*$|\bsogenannte[nmrs]?\s*$|\bdit[es]?\s*$|\bllamad[oa]s?\s*$", re.I)
_NEWLINE = re.compile(r"\n\s*")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")
_SAID_SELF = re.compile(r"\bs['’](?:est|était)\s+dite?s?\s*$|\bse\s+(?:sont\s+)?dite?s?\s*$", re.I)  # "s'est dit"
_GUILLEMET = re.compile(r"[«»]")
_REPORTED_TAIL = re.compile(r",\s*(?:[\w'’-]+\s+){1,4}?(?:has|have)\s+(?:been\s+)?([a-z]+)[.!?]?[\"”]?\s*$")
_CLAUSE_SPAN = 250
_UTTERANCE = re.compile(r"[^\W\d_][^.!?…]*[.!?…]", re.UNICODE)
_MARKS_AND_SPACE = " \t\n\u00a0\u202f\"'“”„‚‘’«»「」『』"


@dataclass(slots=True)
class Span:
    """A quotation before attribution: its parts and where it sits in the joined body text."""

    parts: list[str]
    start: int  # offset of the opening mark
    end: int  # offset just past the closing mark (or the end of the last part)
    paragraph: int
    split_at: int = -1  # for a quote interrupted by its attribution: end of the first piece
    attribution: tuple[int, int] | None = None  # narration inside the quote (dialogue dash, French incise)
    inner: list[tuple[int, int]] = field(default_factory=list)  # offsets of the quoted words


def _styles(doc: str) -> tuple[bool, bool]:
    """(German „…“ style, German »…« style) for this document."""
    low9 = doc.find("„") >= 0
    first_guillemet = _GUILLEMET.search(doc)
    book = bool(first_guillemet and first_guillemet.group(0) == "»" and doc[first_guillemet.end():][:1].strip())
    return low9, book


def _is_open(doc: str, i: int, mark: str, low9: bool, book: bool) -> bool | None:
    """True for an opening mark, False for a closing one, None for an apostrophe or a stray."""
    if mark in "„‚「『":
        return True
    if mark in "」』":
        return False
    if mark == "«":
        return not book
    if mark == "»":
        return book
    if mark == "“":
        return not low9
    if mark == "‘" and low9:
        return False
    if mark == "”":
        return False
    before = doc[i - 1] if i > 0 else " "
    after = doc[i + 1] if i + 1 < len(doc) else " "
    single = mark != '"'
    if single and before.isalnum() and after.isalnum():
        return None  # don't, O’Toole
    if before.isspace() or before in "([{—–-/":
        if after.isspace():
            return None if single else False
        return True
    if after.isspace() or after in ".,;:!?)]}—–-" or i + 1 >= len(doc):
        return False
    return None


def _opens(para: str, marks: re.Pattern[str], doc: str, base: int, low9: bool, book: bool) -> bool:
    first = para.lstrip()[:1]
    return bool(first) and marks.match(first) is not None \
        and _is_open(doc, base + para.index(first), first, low9, book) is True


def _closes_first(para: str, marks: re.Pattern[str], doc: str, base: int, low9: bool, book: bool) -> int:
    """Offset just after the first mark of `para` when it is a closing one (a continuation paragraph whose
    opening mark was lost in scraping), else -1."""
    for m in marks.finditer(para):
        kind = _is_open(doc, base + m.start(), m.group(0), low9, book)
        if kind is None:
            continue
        return m.start() if kind is False else -1
    return -1


def find_spans(paragraphs: Sequence[str], dashes: bool = False, max_spans: int = 1_000_000) -> list[Span]:
    """Pair quote marks across the body. Double marks win; single marks count only in texts with no double
    marks (tabloid style), so apostrophes are not read as quotations elsewhere. With `dashes`, a paragraph
    that opens with a dash and has no marks is a line of dialogue."""
    doc = "\n".join(paragraphs)
    low9, book = _styles(doc)
    single = _DOUBLE.search(doc) is None
    marks = _SINGLE if single else _DOUBLE
    starts = []
    pos = 0
    for p in paragraphs:
        starts.append(pos)
        pos += len(p) + 1
    spans: list[Span] = []
    current: Span | None = None
    part_start = -1
    for pi, para in enumerate(paragraphs):
        if len(spans) > max_spans:
            break
        base = starts[pi]
        limit = base + len(para)
        frm = base
        resume = -1
        if current is not None and not book and para.lstrip()[:1] == "»":
            resume = frm = base + para.index("»") + 1  # Spanish and French: "»" opens a continued paragraph
        elif current is not None and not _opens(para, marks, doc, base, low9, book):
            # a quotation left open at the end of the previous paragraph: continued without its opening
            # mark (scraped text) when this paragraph's first mark closes it, else it ended there
            close = _closes_first(para, marks, doc, base, low9, book)
            if close >= 0:
                current.parts.append(doc[base:base + close].strip())
                current.inner.append((base, base + close))
                current.end = frm = base + close + 1
            else:
                current.end = starts[pi - 1] + len(paragraphs[pi - 1])
            current = None
        if dashes and current is None and para[:1] in "—–" and marks.search(para) is None:
            spans.append(_dialogue(doc, base, limit, pi))
            continue
        current, part_start = _scan(doc, para, base, frm, marks, low9, book, pi, spans, current, max_spans,
                                    resume)
        if current is not None and part_start >= 0:
            current.parts.append(doc[part_start:limit].strip())
            current.inner.append((part_start, limit))
            part_start = -1
    if current is not None:
        current.end = len(doc)
    return [s for s in spans if any(p.strip() for p in s.parts)][:max_spans]


def _scan(doc: str, para: str, base: int, frm: int, marks: re.Pattern[str], low9: bool, book: bool, pi: int,
          spans: list[Span], current: Span | None = None, max_spans: int = 1_000_000, part_start: int = -1
          ) -> tuple[Span | None, int]:
    for m in marks.finditer(doc, frm, base + len(para)):
        if len(spans) > max_spans:
            break
        i = m.start()
        kind = _is_open(doc, i, m.group(0), low9, book)
        if kind is None:
            continue
        if kind:
            if current is None:
                current = Span([], i, -1, pi)
                spans.append(current)
                part_start = i + 1
            elif part_start < 0 or _TERMINAL_BEFORE.search(doc, part_start, i):
                if part_start >= 0:  # a closing mark went missing: the new mark starts the next part
                    current.parts.append(doc[part_start:i].strip())
                    current.inner.append((part_start, i))
                part_start = i + 1
        elif current is not None and part_start >= 0:
            current.parts.append(doc[part_start:i])
            current.inner.append((part_start, i))
            current.end = i + 1
            current = None
            part_start = -1
    return current, part_start


_DASH_SPLIT = re.compile(r"\s*[—–]\s*")


def _dialogue(doc: str, base: int, limit: int, pi: int) -> Span:
    """'—Words —says Name—. More words.': dash pieces alternate between speech and narration."""
    pieces = [(m.start(), m.end()) for m in _DASH_SPLIT.finditer(doc, base, limit)]
    bounds = [*pieces, (limit, limit)]
    span = Span([], base, limit, pi)
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k][1], bounds[k + 1][0]
        text = doc[lo:hi].lstrip(" .,;")
        if not text.strip():
            continue
        if k % 2 == 0:
            span.parts.append(text.strip())
            span.inner.append((lo, hi))
        elif span.attribution is None:
            span.attribution = (lo, hi)
    return span


def is_quotation(text: str, sentence: str, verbs: re.Pattern[str] | None = None, lex: Lexicon | None = None
                 ) -> bool:
    """Scare quotes, names, terms and titles of works aren't quotations. A short phrase is somebody's words
    only when the sentence credits it: a speech verb before it ('described the plan as "badly drawn"'), or an
    attribution right after the clause it closes ('… a "non-starter", the minister said'). So his "lucky"
    boots or the "experts" stay narration even when the sentence ends with "he said"."""
    words = text.split()
    if not words or not _LETTER.search(text):
        return False
    lex = lex or lexicon("english")
    at = sentence.find(text)
    # the clause around a short phrase, bounded so a huge unpunctuated "sentence" costs no more
    before = sentence[max(0, at - _CLAUSE_SPAN):at].rstrip(_MARKS_AND_SPACE) if at > 0 else ""
    if before and not _SAID_SELF.search(before[-40:]) and (
            _SO_CALLED.search(before[-40:]) or naming_pattern(lex).search(before[-40:])):
        return False
    if len(words) == 1 and words[0][:1].isupper() and not lex.capitalises_nouns and before.split()[-1:] and \
            before.split()[-1].lower() in lex.determiners:
        return False  # 'the “Colonel”', 'el «Bancobús»': a name
    if len(words) == 2 and words[0].lower() in lex.determiners and words[1][:1].isupper() \
            and not lex.capitalises_nouns:
        return False  # "the Castle", "the Company": a name or a defined term
    if _title_case(words, lex):
        return False  # Title Case: a book, film, newspaper or programme
    if len(words) <= 4 and naming_pattern(lex).search(words[0]):
        return False  # the name's own noun inside the marks: «operación Ladrillo», “Operation Sandstone”
    if len(words) >= 5:
        return True
    verbs = verbs or verb_pattern(lex)
    if at < 0:  # a quote re-joined from parts: judge by the whole sentence
        rest = sentence[:4 * _CLAUSE_SPAN].replace(text, " ")
        return any(not _SO_CALLED.search(rest, 0, m.start()) for m in verbs.finditer(rest))
    if before.endswith(":") or (text[:1].isupper() and _UTTERANCE.fullmatch(text)):
        return True  # 'Jane Roe: "We will appeal."' / a whole sentence in the marks
    if any(not _SO_CALLED.search(before, 0, m.start()) for m in verbs.finditer(before)) \
            or according_pattern(lex).search(before):
        return True
    after = sentence[at + len(text):at + len(text) + _CLAUSE_SPAN].lstrip(_MARKS_AND_SPACE)
    closes = text.rstrip()[-1:] in ",;:?!…—–-" or (after[:1] != "" and not after[0].isalnum())
    if closes and (verbs.search(after) is not None or according_pattern(lex).search(after)):
        return True
    if lex.capitalises_nouns and verbs.match(after) is not None:
        return True  # verb-final: 'hatte vor einem „Förderprogramm nach dem Gießkannenprinzip“ gewarnt'
    if lex.reported_speech and lex.reported_speech.intersection(_WORD.findall(before[-_CLAUSE_SPAN // 2:].lower())):
        return True  # indirect speech reports someone: 'Die Entscheidungen seien „mindestens fragwürdig“ gewesen'

    # a lede reported as a whole ("…, MPs have warned." / "…, it has been claimed."): its quoted words
    # are the source's
    tail = _REPORTED_TAIL.search(sentence, max(at + len(text), len(sentence) - 60))
    return tail is not None and verbs.fullmatch(tail.group(1)) is not None


def _title_case(words: list[str], lex: Lexicon) -> bool:
    """'Thin Pipes: Infrastructure and Austerity': capitalised words, small words lowercase between them."""
    if not 2 <= len(words) < 12 or not (words[0][:1].isupper() or (
            len(words) >= 3 and words[0].lower() in lex.title_small_words and words[1][:1].isupper())):
        return False
    capitals = 0
    for w in words:
        if w[:1].isupper():
            capitals += 1
        elif w[:1].isalpha() and w.lower() not in lex.title_small_words:
            return False
    return capitals >= 2 and (capitals == len(words) or not words[-1][:1].islower())


class Sentences:
    """Sentence starts of one document, found once, so every look-up is a binary search (linear overall)."""

    def __init__(self, doc: str) -> None:
        self.doc = doc
        starts = {0}
        starts.update(m.end() for m in _SENT_START.finditer(doc))
        starts.update(m.end() for m in _NEWLINE.finditer(doc))
        self.starts = sorted(starts)

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of the sentence(s) containing doc[start:end]."""
        k = bisect.bisect_right(self.starts, start) - 1
        left = self.starts[max(0, k)]
        j = bisect.bisect_right(self.starts, end)
        right = self.starts[j] if j < len(self.starts) else len(self.doc)
        while right > left and self.doc[right - 1].isspace():
            right -= 1
        return left, max(right, min(end, len(self.doc)))


_LAST = threading.local()  # per thread (the bot summarizes in worker threads): the last document's index


def sentence_bounds(doc: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the sentence(s) containing doc[start:end]."""
    found: Sentences | None = getattr(_LAST, "sentences", None)
    if found is None or found.doc is not doc:
        found = _LAST.sentences = Sentences(doc)
    return found.bounds(start, end)


def sentence_around(doc: str, start: int, end: int) -> str:
    """The sentence(s) containing doc[start:end], for attribution and scare-quote checks."""
    left, right = sentence_bounds(doc, start, end)
    return doc[left:right]


def quote_text(span: Span) -> str:
    return " ".join(" ".join(p.split()) for p in span.parts if p.strip())


@cache
def according_pattern(lex: Lexicon) -> re.Pattern[str]:
    """"according to X", "laut X", "selon X": the words after it name the source."""
    # French "pour" names a source only before a name or "le/la/les …": "pour sa façon de" is a purpose;
    # Spanish "para" only before a name ("Para Antonio Ruiz, …")
    cues = [re.escape(a) + (r"(?=\s+(?-i:[A-ZÀ-Þ])|\s+l['’]|\s+(?:le|la|les)\s)" if a == "pour" else
                            r"(?=\s+(?-i:[A-ZÀ-Þ]))" if a == "para" else "")
            for a in lex.according_to]
    return re.compile(r"(?<!\w)(?:" + "|".join(cues) + r")\s+([^,.:;\"“”„«»]{1,80})", re.IGNORECASE)


@cache
def naming_pattern(lex: Lexicon) -> re.Pattern[str]:
    """The language's naming cues ("so-called", "known as", "dit") at the very end of a text."""
    cues = sorted(lex.naming_cues, key=len, reverse=True)
    if not cues:
        return re.compile(r"(?!)")
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in cues)
                      + r")(?:\s+(?:the|a|an|le|la|el|der|die|das))?\s*[:,]?$", re.IGNORECASE)
    # "Sa devise : « … »", "Su nueva novela, «…»", "known as the “…”"


@cache
def verb_pattern(lex: Lexicon) -> re.Pattern[str]:
    """Any speech verb of the language as a whole word (longest first so "pointed out" beats "pointed"), or
    with a French inverted subject ("fulmine-t-elle", "dit-il")."""
    verbs = sorted(lex.speech_verbs, key=len, reverse=True)
    # not after an article or possessive: there the form is an adjective or a noun ("the promised savings")
    markers = lex.noun_markers | {w.replace("'", "\u2019") for w in lex.noun_markers}
    nouns = "".join(r"(?<!\b" + re.escape(w) + ("" if w[-1] in "'\u2019" else " ") + ")" for w in sorted(markers))
    return re.compile(r"(?<![\w-])" + nouns + "(?:" + "|".join(re.escape(v) for v in verbs)
                      + r")(?!\w)(?!-(?!t-|il\b|elle\b))", re.IGNORECASE)
