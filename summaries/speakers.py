"""Who said it: attribution patterns around a quotation, pronoun resolution by gender and recency, and
mapping every mention ("Mr Brown", "Brown", "the deputy press secretary") to the fullest name given."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Quote
from .quotes import SPEECH_VERBS, Span, find_spans, is_quotation, quote_text, sentence_around

_TITLES = (
    r"Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Dame|Prof|Professor|Rev|Sen|Senator|Gov|Governor|Rep|President|"
    r"Judge|Justice|Cardinal|Bishop|Archbishop|Det|Insp|Supt|Sgt|Capt|Captain|Gen|General|Col|Chancellor|"
    r"Mayor|Councillor|Cllr|Father|Sister|Rt Rev|Rt Hon|Coach|Chief|Leader|Acting|Detective|Superintendent|"
    r"Inspector|Constable|District Attorney|Secretary|Minister|Chairman|Chairwoman|Director|Manager"
)
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_MALE_TITLES = {"mr", "sir", "lord", "father"}
_FEMALE_TITLES = {"mrs", "ms", "miss", "lady", "dame", "sister"}
_MALE_NAMES = _wordset(
    """james john robert michael william david richard joseph thomas charles christopher daniel matthew
    anthony mark donald steven paul andrew joshua kenneth kevin brian george edward ronald timothy jason
    jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel
    frank gregory raymond alexander patrick jack dennis jerry tyler aaron jose adam henry nathan douglas
    peter zachary kyle walter harold carl arthur gerald roger keith jeremy lawrence sean christian
    albert joe ethan austin jesse willie billy bruce bryan ralph roy jordan eugene wayne alan juan louis
    russell gabriel randy philip harry vincent bobby johnny logan tom tony ian colin neil graham simon
    martin hamish alistair gordon ed ben sam dan tim jim nick mike bob bill ken ron rob luke oliver
    hugo omar ahmed ali mohammed marcus owen rhys gareth dominique jean pierre jacques michel karl hans
    tessa"""
) - {"tessa"}
_FEMALE_NAMES = _wordset(
    """mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa margaret betty
    sandra ashley dorothy kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca
    laura sharon cynthia kathleen amy shirley angela helen anna brenda pamela nicole samantha katherine
    emma ruth christine catherine debra rachel carolyn janet virginia maria heather diane julie joyce
    victoria kelly christina joan evelyn lauren judith olivia martha cheryl megan andrea hannah jacqueline
    ann jean alice kathryn gloria teresa doris sara janice julia marie madison grace judy theresa
    beverly denise marilyn amber danielle rose brittany diana abigail jane natalie lori tiffany alexis
    kayla jan nicola tessa caroline sienna cate claudia dolores fiona siobhan aisha fatima priya sophie
    lucy chloe zoe ella isabel isabella mia ava charlotte harriet beatrice eleanor margot ingrid
    maggie kate katie jenny"""
)
_ROLES = (
    r"spokesman|spokeswoman|spokesperson|source|official|officials|secretary|minister|chairman|chairwoman|"
    r"chair|chief|director|bishop|president|manager|coach|boss|leader|head|executive|analyst|economist|"
    r"lawyer|attorney|prosecutor|judge|officer|inspector|commissioner|mayor|governor|senator|"
    r"strategists|spokespeople|newspaper|crowd|report|statement|committee|council|government|police"
)
_FEMALE_ROLES = {"spokeswoman", "chairwoman", "actress", "mother", "wife", "daughter", "sister"}
_MALE_ROLES = {"spokesman", "chairman", "actor", "father", "husband", "son", "brother"}
_NOT_NAMES = _wordset(
    """The A An However But And In On At This That These Those There His Her Its Their Our After Before
    When While If As So Yet He She It They We I You Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March April May June July August September October November December
    Meanwhile Despite Although Speaking Asked Writing Last Next Earlier Later Now Today Yesterday
    Some Many Most Other One Two Three Under Over With Without For From By Also Even Only Still
    Then Because Since Not No Yes Why What Where Who How Here Such Both Each Every All Any Several
    According Responding Outlining Chief I'm I've I'd I'll Eight Four Five Six Seven Nine Ten"""
)
_NAME_WORD = r"(?:[A-Z][\w'’-]*|(?:Mc|Mac|O['’])[A-Z][\w'’-]*)"
_NAME = re.compile(
    r"(?:\b(?:" + _TITLES + r")\.?\s+)*" + _NAME_WORD
    + r"(?:\s+(?:(?:de|van|von|der|da|del|bin|al|le|la|du)\s+)?" + _NAME_WORD + r")*"
)
_DESCRIPTION = re.compile(
    r"\b(?:the|a|an)\s+(?:[\w'’-]+\s+){0,4}?(?:" + _ROLES + r")\b", re.IGNORECASE
)
_PRONOUN = r"he|she|they|it|we|I"
_WHO = (r"(?:" + _PRONOUN + r"|(?:[Tt]he|[Aa]n?)\s+(?:[\w'’-]+\s+){0,4}?(?:" + _ROLES + r")|"
        + _NAME.pattern + ")")
_VERB = r"(?:" + SPEECH_VERBS + r")"
_AFTER_VERB_WHO = re.compile(r"^[\s,]*(?:" + _VERB + r")\s+(?P<who>" + _WHO + r")", re.UNICODE)
_AFTER_WHO_VERB = re.compile(
    r"^[\s,]*(?P<who>" + _WHO + r")(?:,[^,]{1,80},)?\s+(?:has\s+|had\s+|then\s+|also\s+)?(?:" + _VERB + r")\b"
)
_QUOTE_MARKS = re.compile(r"[\"“”]")
_VERB_BEFORE = re.compile(r"\b(?:" + _VERB + r")\b", re.IGNORECASE)


@dataclass(slots=True)
class Mention:
    text: str
    start: int
    end: int
    person: bool
    gender: str | None


def _strip_titles(name: str) -> tuple[str, str | None]:
    gender = None
    m = re.match(r"(?:(" + _TITLES + r")\.?\s+)+", name)
    if m:
        title = m.group(1).lower()
        gender = "m" if title in _MALE_TITLES else "f" if title in _FEMALE_TITLES else None
        name = name[m.end():]
    return name, gender


class Index:
    """Named mentions in the body, with surname → fullest-name and gender lookups."""

    def __init__(self, doc: str) -> None:
        self.doc = doc
        self.mentions: list[Mention] = []
        self.fullest: dict[str, str] = {}
        self.gender: dict[str, str] = {}
        for m in _NAME.finditer(doc):
            raw = m.group(0)
            words = raw.split()
            while words and words[0] in _NOT_NAMES:
                words.pop(0)
            if not words:
                continue
            text = re.sub(r"['’]s$", "", " ".join(words))
            name, gender = _strip_titles(text)
            if not name or name in _NOT_NAMES:
                continue
            first = name.split()[0].lower()
            if gender is None:
                gender = "m" if first in _MALE_NAMES else "f" if first in _FEMALE_NAMES else None
            person = gender is not None or len(name.split()) >= 2 or text != name
            start = m.end() - len(text)
            self.mentions.append(Mention(name, start, m.end(), person, gender))
            key = name.split()[-1]
            if len(name.split()) > len(self.fullest.get(key, "").split()):
                self.fullest[key] = name
            if gender:
                self.gender.setdefault(key, gender)
        for d in _DESCRIPTION.finditer(doc):
            word = d.group(0).split()[-1].lower()
            g = "f" if word in _FEMALE_ROLES else "m" if word in _MALE_ROLES else None
            self.mentions.append(Mention(d.group(0), d.start(), d.end(), False, g))
        self.mentions.sort(key=lambda x: x.start)
        self.ends = [m.end for m in self.mentions]
        self.counts = Counter(m.text.split()[-1] for m in self.mentions)
        self.people = {m.text for m in self.mentions if m.person}
        self._described: dict[str, str] = {}

    def full(self, name: str) -> str:
        name, _ = _strip_titles(name)
        return self.fullest.get(name.split()[-1], name) if name else name

    def gender_of(self, name: str) -> str | None:
        return self.gender.get(self.full(name).split()[-1]) if name else None

    def describe(self, phrase: str, before: int) -> str:
        """'the Bishop' → the name the article attaches to that role, else the phrase without article."""
        role = phrase.split()[-1]
        if role not in self._described:
            self._described[role] = self._describe(role)
        if self._described[role]:
            return self._described[role]
        fuller = [d.group(0) for d in _DESCRIPTION.finditer(self.doc, max(0, before - 3000), before)
                  if d.group(0).split()[-1].lower() == role.lower()]
        best = max([*fuller, phrase], key=lambda d: len(d.split()))
        return re.sub(r"^(?:the|a|an)\s+", "", best, flags=re.IGNORECASE)

    def _describe(self, role: str) -> str:
        pat = re.compile(r"\b(?i:" + re.escape(role) + r")\b,?\s+(?:the\s+)?(" + _NAME.pattern + ")")
        for m in pat.finditer(self.doc, 0, len(self.doc)):
            name, _ = _strip_titles(re.sub(r"['’]s$", "", m.group(1)))
            if name and name.split()[0] not in _NOT_NAMES and len(name.split()) >= 2:
                return self.full(name)
        return ""

    def resolve_pronoun(self, pronoun: str, at: int, previous: str | None = None) -> str | None:
        """Score recent compatible people: gender agreement, being the last speaker, being a sentence
        subject, recency and how often the article names them."""
        p = pronoun.lower()
        if p not in ("he", "she"):
            return None
        want = "m" if p == "he" else "f"
        best: tuple[float, str] | None = None
        seen_sentences = 0
        last_sentence = -1
        hi = bisect.bisect_right(self.ends, at)
        for m in reversed(self.mentions[max(0, hi - 60):hi]):
            if m.end > at:
                continue
            if at - m.end > 1200:
                break
            para_start = self.doc.rfind("\n", 0, m.start) + 1
            if len(_QUOTE_MARKS.findall(self.doc, para_start, m.start)) % 2:
                continue  # a name inside a quotation is what is talked about, not who talks
            sent_start = max(self.doc.rfind(". ", 0, m.start), para_start - 1) + 1
            if sent_start != last_sentence:
                seen_sentences += 1
                last_sentence = sent_start
            if not (m.person or _is_person_role(m.text)):
                continue
            g = m.gender or self.gender_of(m.text)
            if g is not None and g != want:
                continue
            name = self.name_for(m.text, m.start)
            if not name:
                continue
            head = self.doc[sent_start:m.start]
            lo = bisect.bisect_left(self.ends, sent_start)
            earlier = any(x.person and sent_start <= x.start < m.start for x in self.mentions[lo:hi])
            subject = not earlier and '"' not in head and "“" not in head
            score = (1.0 if g == want else 0.0) + (0.5 if previous and name == previous else 0.0)
            score += (1.5 if subject else 0.0) + 3.0 / seen_sentences
            score += 0.25 * min(4, self.count(name))
            if best is None or score > best[0]:
                best = (score, name)
        return best[1] if best else None

    def count(self, name: str) -> int:
        return self.counts[name.split()[-1]]

    def name_for(self, who: str, at: int, previous: str | None = None) -> str | None:
        who = who.strip()
        if not who:
            return None
        if re.fullmatch(_PRONOUN, who, re.IGNORECASE):
            return self.resolve_pronoun(who, at, previous)
        if _DESCRIPTION.fullmatch(who):
            return self.describe(who, at)
        words = who.split()
        while words and words[0] in _NOT_NAMES:
            words.pop(0)
        return self.full(" ".join(words)) if words else None


_NON_PERSON_ROLES = {
    "newspaper", "crowd", "report", "statement", "committee", "council", "government", "police",
}


def _is_person_role(text: str) -> bool:
    return bool(_DESCRIPTION.fullmatch(text)) and text.split()[-1].lower() not in _NON_PERSON_ROLES


def _is_personish(index: Index, who: str) -> bool:
    if re.fullmatch(_PRONOUN, who, re.IGNORECASE):
        return True
    multiword = len(who.split()) >= 2 and who.split()[0][0].isupper()
    return who in index.people or (multiword and not who.endswith(("'s", "’s")))


def _who_before(index: Index, doc: str, seg_start: int, quote_start: int) -> tuple[str, int] | None:
    seg = doc[seg_start:quote_start]
    verbs = list(_VERB_BEFORE.finditer(seg))
    if not verbs:
        return None
    head = seg[: verbs[-1].start()].rstrip()
    appositive = ""
    if head.endswith(","):  # drop an appositive: "Lisa Power, head of policy at X, said"
        cut = head[:-1].rfind(",")
        if cut > 0:
            head, appositive = head[:cut], head[cut + 1:-1]
    cands = [m for m in re.finditer(_WHO, head) if m.group(0).split()[0] not in _NOT_NAMES
             or re.fullmatch(r"he|she", m.group(0), re.IGNORECASE) or _DESCRIPTION.fullmatch(m.group(0))]
    cands = [m for m in cands if m.group(0).lower() not in ("i", "we", "it", "they")]
    named = [m for m in _NAME.finditer(appositive) if len(_strip_titles(m.group(0))[0].split()) >= 2]
    if not cands and named:
        return named[-1].group(0), seg_start + len(head) + 1 + named[-1].start()
    if not cands:
        return None
    last = cands[-1]
    if appositive and named and not _is_personish(index, last.group(0)):
        return named[-1].group(0), seg_start + len(head) + 1 + named[-1].start()
    between = head[last.end():].strip()
    if between and not re.fullmatch(r"(?:has|had|also|then|later|have|,)*", between):
        personish = [m for m in cands if _is_personish(index, m.group(0))]
        last = personish[0] if personish else last
    return last.group(0), seg_start + last.start()


def attribute(paragraphs: Sequence[str]) -> tuple[Quote, ...]:
    doc = "\n".join(paragraphs)
    spans = find_spans(paragraphs)
    if not spans:
        return ()
    index = Index(doc)
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


def _attribute_one(
    index: Index, doc: str, span: Span, prev: tuple[Span, str | None] | None
) -> tuple[str | None, str | None]:
    prev_name = prev[1] if prev else None
    end = span.split_at if span.split_at >= 0 else span.end
    tail = doc[end: end + 160].split("\n", 1)[0]
    last = span.parts[-1].rstrip() if span.parts else ""
    continues = (span.split_at >= 0 or last.endswith((",", "?", "!", "-", "—", "…"))
                 or tail.lstrip().startswith(","))
    for pat in (_AFTER_VERB_WHO, _AFTER_WHO_VERB) if continues else ():
        m = pat.match(tail)
        if m:
            who = m.group("who")
            appositive = re.search(_NAME.pattern, m.group(0)[m.end("who") - m.start(0):])
            if not _is_personish(index, who) and appositive and len(appositive.group(0).split()) >= 2:
                who = appositive.group(0)
            return index.name_for(who, end + m.start("who"), prev_name), m.group(0).strip(" ,")
    sent = sentence_around(doc, span.start, span.start + 1)
    sent_start = doc.rfind(sent, 0, span.start + 1) if sent else span.start
    seg_start = max(0, sent_start, prev[0].end if prev else 0)
    found = _who_before(index, doc, seg_start, span.start)
    if found:
        who, at = found
        return index.name_for(who, at, prev_name), who
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
        if ps <= mention.start < prev_end and (mention.person or _DESCRIPTION.fullmatch(mention.text)):
            return index.name_for(mention.text, mention.start), None
    return (prev[1] if prev else None), None
