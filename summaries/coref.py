"""Who is who in one article: named mentions, their fullest names and genders, and resolving "he", "the
cardinal" or "Mr Brown" to the person the article means.

Pronouns go to the most salient compatible person: recent, in subject position, the last speaker, named
often. Gender comes from titles, first names and the pronouns the article itself uses after a name.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from .gender import (
    FEMALE_TITLES,
    MALE_TITLES,
    first_name_gender,
    following_pronoun,
    is_org,
    trim_descriptors,
    wordset,
)
from .quotes import SPEECH_VERBS

TITLES = (
    r"Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Dame|Prof|Professor|Rev|Sen|Senator|Gov|Governor|Rep|President|"
    r"Judge|Justice|Cardinal|Bishop|Archbishop|Det|Insp|Supt|Sgt|Capt|Captain|Gen|General|Col|Chancellor|"
    r"Mayor|Councillor|Cllr|Father|Sister|Rt Rev|Rt Hon|Coach|Chief|Leader|Acting|Detective|Superintendent|"
    r"Inspector|Constable|District Attorney|Secretary|Minister|Chairman|Chairwoman|Director|Manager|"
    r"King|Queen|Prince|Princess"
)
_PERSON_ROLES = (
    r"spokesman|spokeswoman|spokesperson|source|official|officials|secretary|minister|chairman|chairwoman|"
    r"chair|chief|director|bishop|archbishop|cardinal|president|manager|coach|boss|leader|head|executive|"
    r"analyst|economist|lawyer|attorney|prosecutor|judge|officer|inspector|commissioner|mayor|governor|"
    r"senator|strategists|spokespeople|actress|actor|singer|star|presenter|host|player|striker|captain|"
    r"winner|guitarist|drummer|campaigner|expert|professor|chancellor|premier|counterpart|founder|editor|"
    r"author|writer|producer|designer|comedian|musician|rapper|dancer|director-general|veteran|midfielder|"
    r"defender|goalkeeper|keeper|forward|batsman|bowler|seed|champion|\d+-year-old"
)
_THING_ROLES = r"newspaper|crowd|report|statement|committee|council|government|police"
NON_PERSON_ROLES = frozenset(_THING_ROLES.split("|"))
ANONYMOUS_ROLES = frozenset(
    ["spokesman", "spokeswoman", "spokesperson", "source", "official", "officials", "spokespeople"]
)
_FEMALE_ROLES = {"spokeswoman", "chairwoman", "actress", "mother", "wife", "daughter", "sister"}
_MALE_ROLES = {"spokesman", "chairman", "actor", "father", "husband", "son", "brother"}
NOT_NAMES = wordset(
    """The A An However But And In On At This That These Those There His Her Its Their Our After Before
    When While If As So Yet He She It They We I You Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March April May June July August September October November December
    Meanwhile Despite Although Speaking Asked Writing Last Next Earlier Later Now Today Yesterday
    Some Many Most Other One Two Three Under Over With Without For From By Also Even Only Still
    Then Because Since Not No Yes Why What Where Who How Here Such Both Each Every All Any Several
    According Responding Outlining Chief I'm I've I'd I'll Eight Four Five Six Seven Nine Ten"""
)
_NAME_WORD = r"(?:[A-Z][\w'’-]*|(?:Mc|Mac|O['’])[A-Z][\w'’-]*)"
NAME = re.compile(
    r"(?:\b(?:" + TITLES + r")\.?\s+)*" + _NAME_WORD
    + r"(?:\s+(?:(?:de|van|von|der|da|del|bin|al|le|la|du)\s+)?" + _NAME_WORD + r")*"
)
ROLES = _PERSON_ROLES + "|" + _THING_ROLES
# "the Bishop of Durham", "a spokesman for the British Casino Association", "the Two Ronnies star"
DESCRIPTION = re.compile(
    r"\b(?:[Tt]he|[Aa]n?)\s+(?:[\w'’-]+\s+){0,4}?(?P<role>(?i:" + ROLES + r"))\b"
    r"(?:\s+(?:for|of|at)\s+(?:the\s+)?" + NAME.pattern + ")?"
)
PRONOUN = r"\b(?:he|she|they|it|we|I)\b"
_QUOTE_MARKS = re.compile(r"[\"“”]")
_UNQUOTE = re.compile(r"[\"“][^\"“”]*[\"”]?")
_SENTENCE_END = re.compile(r"[.!?][\"'”’]?\s+(?=[\"“‘A-Z])|\n")
_PERSON_AFTER = re.compile(r"['’]?s?,\s*(?:\d+|who|whose|aged)\b")
_PERSON_BEFORE = re.compile(r"\b(?i:" + _PERSON_ROLES + r"|husband|wife|son|daughter|brother|sister|mother|father"
                            r"|guitarist|analyst|colleague|partner|friend|[\w-]+man|[\w-]+woman)\b,?\s*$")
_LOWER_WORD = r"(?:\s+(?!(?:" + SPEECH_VERBS + r"|and|or|to|in|of|at|on|with|for)\b)[a-z][\w'’-]*)"
_APPOSED = re.compile(_LOWER_WORD + r"{0,2},?\s+(" + NAME.pattern + ")")
_TITLE_ONLY = re.compile(r"(?:" + TITLES + r")")
_PREPOSITIONS = wordset("to with by from of for at through against on about like than into over under")
_ACTS = re.compile(r"(?:,\s*\d+,|\s+(?:has\s+|had\s+|also\s+|then\s+)?(?:" + SPEECH_VERBS
                   + r"|[a-z]+ed|[a-z]+s)\b)")
_SPEECH_WORD = re.compile(r"\b(?:" + SPEECH_VERBS + r")\b", re.IGNORECASE)
_ACRONYM = re.compile(r"(" + NAME.pattern + r")\s+\(([A-Z]{2,6})\)")


def role_of(description: str) -> str:
    m = DESCRIPTION.fullmatch(description)
    return m.group("role").lower() if m else description.split()[-1].lower()


def strip_titles(name: str) -> tuple[str, str | None]:
    gender = None
    m = re.match(r"(?:(" + TITLES + r")\.?\s+)+", name)
    if m:
        title = m.group(1).lower()
        gender = "m" if title in MALE_TITLES else "f" if title in FEMALE_TITLES else None
        name = name[m.end():]
    return name, gender


@dataclass(slots=True)
class Mention:
    text: str
    start: int
    end: int
    person: bool
    gender: str | None
    possessive: bool = False


# Salience weights (hand-set, then checked on quotes.dev only; the score barely moves across sensible values):
# subject bonus, gender agreement, last speaker, per mention of the name (max 4), recency numerator.
_SUBJECT, _AGREES, _LAST_SPEAKER, _PER_MENTION, _RECENCY = 1.0, 1.0, 0.75, 0.25, 3.0


class Index:
    """Named mentions in the body, with surname → fullest-name and gender lookups."""

    def __init__(self, doc: str) -> None:
        self.doc = doc
        self.mentions: list[Mention] = []
        self.fullest: dict[str, str] = {}
        self.gender: dict[str, str] = {}
        self.prefixed: dict[str, str] = {}  # "Labour" → "Labour Party"
        for m in NAME.finditer(doc):
            self._add_name(m.group(0), m.end())
        for m in _ACRONYM.finditer(doc):
            name = strip_titles(m.group(1))[0]
            words = name.split()
            while words and words[0] in NOT_NAMES:
                words.pop(0)
            if len(words) >= 2:
                self.fullest[m.group(2)] = " ".join(words)
        for d in DESCRIPTION.finditer(doc):
            role = d.group("role").lower()
            g = "f" if role in _FEMALE_ROLES else "m" if role in _MALE_ROLES else None
            self.mentions.append(Mention(d.group(0), d.start(), d.end(), False, g))
        self.mentions.sort(key=lambda x: x.start)
        # a bare "Corbett" is a person when the article also names "Ronnie Corbett" or "Mr Corbett" and uses
        # the bare word the way it uses people ("Corbett said", "Corbett, 74,"), not places ("in Scotland")
        bare = {m.text for m in self.mentions if " " not in m.text and self._acts_like_person(m)}
        self.person_keys = {m.text.split()[-1] for m in self.mentions if m.person or (
            " " in m.text and m.text.split()[-1] in bare and not is_org(m.text))}
        self.ends = [m.end for m in self.mentions]
        self.counts = Counter(m.text.split()[-1] for m in self.mentions)
        self.people = {m.text for m in self.mentions if m.person}
        self.boundaries = [m.end() for m in _SENTENCE_END.finditer(doc)]
        self._learn_genders()
        self._described: dict[str, str] = {}
        self.quoted: list[tuple[int, int]] = []  # set by the caller: (start, end) of every quotation

    def in_quote(self, at: int) -> bool | None:
        """Whether `at` lies inside a known quotation; None when the caller gave no quotation spans."""
        if not self.quoted:
            return None
        k = bisect.bisect_right(self.quoted, (at, len(self.doc))) - 1
        return k >= 0 and self.quoted[k][0] <= at < self.quoted[k][1]

    def _add_name(self, raw: str, end: int) -> None:
        words = raw.split()
        inner = [i for i, w in enumerate(words[:-1]) if re.search(r"['’]s?$", w)]
        if inner:  # "Wenger's Bayern counterpart Felix Magath": the owner is a separate mention
            words = words[inner[-1] + 1:]
        while words and words[0] in NOT_NAMES:
            words.pop(0)
        if not words:
            return
        text = " ".join(words)
        possessive = bool(re.search(r"['’]s$", text))
        text = re.sub(r"['’]s?$", "", text)
        name, gender = strip_titles(text)
        titled = name != text
        name = trim_descriptors(name)
        if not name or name in NOT_NAMES or _TITLE_ONLY.fullmatch(name):
            return  # "the Cardinal" is a description, found separately
        parts = name.split()
        org = is_org(name)
        if gender is None and not org:
            gender = first_name_gender(parts[0]) if len(parts) >= 2 else None
        start = end - len(raw) + raw.rfind(name) if name in raw else end - len(name)
        # evidence of a person: a title or known first name, an age or "who" after, a role word before
        person = not org and (gender is not None or titled or (len(parts) >= 2 and (
            _PERSON_AFTER.match(self.doc, start + len(name)) is not None
            or _PERSON_BEFORE.search(self.doc[max(0, start - 60):start]) is not None)))
        self.mentions.append(Mention(name, start, start + len(name), person, gender, possessive))
        key = parts[-1]
        if len(parts) > len(self.fullest.get(key, "").split()):
            self.fullest[key] = name
        if gender:
            self.gender.setdefault(key, gender)
        if org and len(parts) >= 2 and len(name) > len(self.prefixed.get(parts[0], "")):
            self.prefixed[parts[0]] = name

    def _acts_like_person(self, m: Mention) -> bool:
        """A lone capitalised word used as a subject that acts (not an acronym, not after a preposition)."""
        if m.possessive or m.text.isupper():
            return False
        before = re.findall(r"[\w'’-]+", self.doc[max(0, m.start - 20):m.start])
        if before and before[-1].lower() in _PREPOSITIONS | {"the", "in"}:
            return False
        return _ACTS.match(self.doc, m.end) is not None

    def _learn_genders(self) -> None:
        """'Bell, 30, had set his sights' → Bell is male: vote with the first pronoun after each mention."""
        votes: dict[str, Counter[str]] = {}
        people = [m for m in self.mentions if self.is_person(m) and not DESCRIPTION.fullmatch(m.text)]
        for m, nxt in zip(people, [*people[1:], None], strict=False):
            stop = min(m.end + 400, nxt.start if nxt else len(self.doc))
            g = following_pronoun(_UNQUOTE.sub(" ", self.doc[m.end:stop]))
            if g:
                votes.setdefault(m.text.split()[-1], Counter())[g] += 1
        for key, c in votes.items():
            if key not in self.gender:
                g, n = c.most_common(1)[0]
                if n > sum(c.values()) - n:
                    self.gender[key] = g

    def full(self, name: str) -> str:
        name, _ = strip_titles(name)
        if not name:
            return name
        if " " not in name and name in self.prefixed and name not in self.gender:
            return self.prefixed[name]
        return self.fullest.get(name.split()[-1], name)

    def gender_of(self, name: str) -> str | None:
        return self.gender.get(self.full(name).split()[-1]) if name else None

    def is_person(self, m: Mention) -> bool:
        if m.person:
            return True
        if DESCRIPTION.fullmatch(m.text):
            return role_of(m.text) not in NON_PERSON_ROLES
        return m.text.split()[-1] in self.person_keys

    def describe(self, phrase: str, before: int, previous: str | None = None) -> str:
        """'the Bishop' → the name the article attaches to that role; 'the actress' → the salient woman;
        else the phrase without its article."""
        role = role_of(phrase)
        appos = _APPOSED.match(self.doc, before + len(phrase)) if self.doc.startswith(phrase, before) else None
        if appos and not is_org(appos.group(1)) and self._named_person(appos.group(1)):
            # "the Lib Dem leader Charles Kennedy" (but not "the cardinal used a Christmas message")
            return self.name_for(appos.group(1), appos.start(1)) or appos.group(1)
        if role not in self._described:
            self._described[role] = self._describe(role)
        if self._described[role]:
            return self._described[role]
        if phrase[:3].lower() == "the" and role not in ANONYMOUS_ROLES | NON_PERSON_ROLES:
            g = "f" if role in _FEMALE_ROLES else "m" if role in _MALE_ROLES else None
            found = self.salient(g, before, previous, max_sentences=2, named_only=True)
            if found:
                return found
        fuller = [d.group(0) for d in DESCRIPTION.finditer(self.doc, max(0, before - 3000), before)
                  if d.group("role").lower() == role]
        best = max([*fuller, phrase], key=lambda d: len(d.split()))
        return re.sub(r"^(?:the|a|an)\s+", "", best, flags=re.IGNORECASE)

    def _named_person(self, name: str) -> bool:
        full = self.full(name)
        return bool(full) and (full.split()[-1] in self.person_keys or self.gender_of(full) is not None)

    def _describe(self, role: str) -> str:
        if role in ANONYMOUS_ROLES or role[:1].isdigit():
            return ""
        pat = re.compile(r"\b(?i:" + re.escape(role) + r")\b(?:\s+of(?:\s+[A-Z][\w'’-]*)+)?,?\s+(?:the\s+)?("
                         + NAME.pattern + ")")
        linked = set()
        for m in pat.finditer(self.doc, 0, len(self.doc)):
            name, _ = strip_titles(re.sub(r"['’]s$", "", m.group(1)))
            if name and name.split()[0] not in NOT_NAMES and len(name.split()) >= 2 and not is_org(name):
                linked.add(self.full(name))
        return linked.pop() if len(linked) == 1 else ""  # "top seed X" and "second seed Y": ambiguous

    def resolve_pronoun(self, pronoun: str, at: int, previous: str | None = None) -> str | None:
        p = pronoun.lower()
        if p not in ("he", "she"):
            return None
        want = "m" if p == "he" else "f"
        found = self.salient(want, at, previous)
        if found is None:  # nobody nearby: the article's main person of that gender named so far
            hi = bisect.bisect_right(self.ends, at)
            named = Counter(self.full(m.text) for m in self.mentions[:hi] if m.person
                            and self.gender_of(m.text) == want)
            found = named.most_common(1)[0][0] if named else None
        return found

    def salient(self, want: str | None, at: int, previous: str | None = None, max_sentences: int = 6,
                named_only: bool = False) -> str | None:
        """Score recent compatible people: being a sentence subject, recency in sentences, gender agreement,
        being the last speaker and how often the article names them."""
        best: tuple[float, str] | None = None
        hi = bisect.bisect_right(self.ends, at)
        here = bisect.bisect_right(self.boundaries, at)
        for m in reversed(self.mentions[max(0, hi - 60):hi]):
            if m.end > at:
                continue
            if at - m.end > 1500:
                break
            dist = here - bisect.bisect_right(self.boundaries, m.start)
            if dist > max_sentences:
                break
            if not self.is_person(m):
                continue
            inside = self.in_quote(m.start)
            if inside is None:
                para_start = self.doc.rfind("\n", 0, m.start) + 1
                inside = len(_QUOTE_MARKS.findall(self.doc, para_start, m.start)) % 2 == 1
            if inside:
                continue  # a name inside a quotation is what is talked about, not who talks
            g = m.gender or self.gender_of(m.text)
            if want and g is not None and g != want:
                continue
            if named_only and DESCRIPTION.fullmatch(m.text):
                continue
            name = self.name_for(m.text, m.start)
            if not name:
                continue
            score = (1.0 + _SUBJECT * self._subject(m)) * _RECENCY / (1 + dist)
            score += _AGREES if want and g == want else 0.0
            score += _LAST_SPEAKER if previous and name == previous else 0.0
            score += _PER_MENTION * min(4, self.count(name))
            if best is None or score > best[0]:
                best = (score, name)
        return best[1] if best else None

    def _subject(self, m: Mention) -> bool:
        """Is `m` the subject of its clause? An opening phrase set off by a comma ("On Friday, the Cardinal
        will ask", "As X began, Y said") doesn't count against it; a co-subject ("He and the Archbishop")
        or a name after a preposition or another person is not the subject."""
        if m.possessive:
            return False
        k = bisect.bisect_right(self.boundaries, m.start)
        sent_start = self.boundaries[k - 1] if k else 0
        head = self.doc[sent_start:m.start]
        if _QUOTE_MARKS.search(head):
            return False
        if re.search(r"\S\s+and\s*$", head):
            return False
        if head.rstrip().endswith(","):
            cut = head.rstrip()[:-1].rfind(",")
            if not _SPEECH_WORD.search(head) and not self._person_in(
                    sent_start, sent_start + max(0, cut), m):
                return True  # "Speaking on the radio, he ..." / "As Howard spoke, Kennedy ..."
        if self._person_in(sent_start, m.start, m):
            return False
        return not any(w.lower() in _PREPOSITIONS for w in re.findall(r"[\w'’-]+", head)[-3:])

    def _person_in(self, lo_at: int, hi_at: int, m: Mention) -> bool:
        """A person named in doc[lo_at:hi_at] before `m` (appositions like "deputy mayor, Tomasz" excepted)."""
        lo = bisect.bisect_left(self.ends, lo_at)
        for x in self.mentions[lo:]:
            if x.start >= hi_at:
                break
            if x.start >= lo_at and self.is_person(x) and not x.possessive and x.end <= m.start:
                if re.fullmatch(_LOWER_WORD + r"{0,2}\s*,?\s*", self.doc[x.end:m.start]):
                    continue  # apposition: "The city's deputy mayor, Tomasz Wielgosz, said"
                return True
        return False

    def count(self, name: str) -> int:
        return self.counts[name.split()[-1]]

    def name_for(self, who: str, at: int, previous: str | None = None) -> str | None:
        who = who.strip()
        if not who:
            return None
        if re.fullmatch(PRONOUN, who, re.IGNORECASE):
            return self.resolve_pronoun(who, at, previous)
        if DESCRIPTION.fullmatch(who):
            proper = re.sub(r"^(?:the|a|an)\s+", "", who, flags=re.IGNORECASE)
            if proper[:1].isupper() and is_org(proper):
                return proper  # "the Scottish Executive" names a body; it isn't a role to resolve
            return self.describe(who, at, previous)
        words = re.sub(r"['’]s?$", "", who).split()
        while words and words[0] in NOT_NAMES and not (len(words) == 1 and words[0] in self.fullest):
            words.pop(0)
        return self.full(trim_descriptors(" ".join(words))) if words else None
