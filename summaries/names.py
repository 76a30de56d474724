"""Who is named in one article: people's fullest names and genders, organisations, and what a pronoun or a
role ("the minister", "the company") refers to. One linear pass builds the index; look-ups are bounded."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lexicon import (
    ARTICLE_GENDER,
    COMPANY_NOUNS,
    PLACE_ONLY_WORDS,
    PLACE_PREPOSITIONS,
    PUBLIC_BODY_WORDS,
    TEAM_NOUNS,
    Lexicon,
    first_name_gender,
)
from .nameforms import (
    ACRONYM,
    AGE_OR_CLAUSE,
    APPOSITIVE,
    ARTICLE_ROLE,
    ELIDED,
    LOWER_WORD,
    NAMED_AFTER,
    NEXT_NAME,
    NICKNAMED,
    OWNED,
    RUN,
    WORD,
    article_names_gender,
    clean_name,
    is_org,
    named_role_patterns,
    role_or_verb_near,
    role_pattern,
    sentence_initial,
    unnamed_pattern,
)

__all__ = ["RUN", "NameIndex", "Person", "clean_name", "is_org", "sentence_initial"]

_SENTENCE_END = re.compile(r"[.!?][\"'”’“»«]?\s|\n")


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    start: int
    gender: str | None
    subject: bool  # the first person named in its sentence
    quoted: bool  # named inside a quotation: talked about, not talking


class NameIndex:
    """People named in the article (with surname → fullest name), organisations, and places."""

    def __init__(self, doc: str, lex: Lexicon, quoted: Sequence[tuple[int, int]] = ()) -> None:
        self.doc = doc
        self._quoted = sorted(quoted)
        self._q = 0
        self._bounds = [m.end() for m in _SENTENCE_END.finditer(doc)]
        self._b = 0
        self._sentence_has_person = False
        self.lex = lex
        self.fullest: dict[str, str] = {}
        self._by_lower: dict[str, str] | None = None  # built on first look-up, after the index is complete
        self._by_first: dict[str, str] = {}
        self._first_names: set[str] = set()
        self._full_names: set[str] = set()
        self.gender: dict[str, str] = {}
        self.people: list[Person] = []
        self.orgs: list[tuple[int, str]] = []
        self.places: set[str] = set()
        lowered = set(LOWER_WORD.findall(doc))
        found = []
        cleaned: dict[tuple[str, bool], tuple[str, str | None, bool]] = {}  # names recur: clean each once
        for m in RUN.finditer(doc):
            initial = sentence_initial(doc, m.start())
            key = (m.group(0), initial)
            hit = cleaned.get(key)
            if hit is None:
                hit = cleaned[key] = clean_name(key[0], lex, lowered if initial else None)
            name, gender, marked = hit
            if name:
                found.append((m, name, gender, marked))
        alone = {name for _, name, _, _ in found if " " not in name}
        # a name ever written "in X" / "across X" is a place unless a title, first name or age says otherwise
        self._placey = {name.split()[-1] for m, name, _, _ in found if self._after_place_word(m)}
        person_keys: set[str] = set()
        for m, name, gender, marked in found:
            self._add(m, name, gender, marked, alone, person_keys)
        indexed = {p.start for p in self.people}
        for nick in NICKNAMED.finditer(doc):  # "Dave ‘The Cod Father’ Pritchard": one person
            first, last = nick.group(1), nick.group(2)
            gender = first_name_gender(first)
            if gender is not None or first in self._first_names:
                self.fullest[last] = f"{first} {last}"
                self._first_names.add(first)
                if gender:
                    self.gender.setdefault(last, gender)
                if nick.start() not in indexed:
                    subject = sentence_initial(doc, nick.start()) or doc[max(0, nick.start() - 2):nick.start()] == "\n"
                    self.people.append(Person(f"{first} {last}", nick.start(), gender, subject, False))
        self.people.sort(key=lambda p: p.start)
        self._add_roles()
        self.starts = [p.start for p in self.people]
        self._learn_genders()
        self.org_starts = [o[0] for o in self.orgs]
        self._roles: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {}

    def _add(self, m: re.Match[str], name: str, gender: str | None, marked: bool, alone: set[str],
             person_keys: set[str]) -> None:
        words = name.split()
        if is_org(words) or ACRONYM.fullmatch(name) or self._org_context(m, name):
            self.orgs.append((m.start(), name))
            return
        if words[0].lower() in self.lex.capitalised_function_words or len(name) < 2:
            return  # a grammar word, or an interview's "P." / "Q:" marker
        # a first name gives the gender; alone only when no full name ends in it ("Wendy", not "Grant")
        gender = gender or (first_name_gender(words[0]) if len(words) >= 2 or (
            words[0] not in self.fullest and words[0].lower() not in self.lex.calendar
            and not sentence_initial(self.doc, m.start())) else None)
        before = self.doc[max(0, m.start() - 30):m.start()].split()
        # "in Marguerite Pell’s bookshop": the preposition governs the bookshop, not the owner
        after_prep = bool(before) and before[-1].lower() in PLACE_PREPOSITIONS and not (
            OWNED.match(self.doc, m.end()) or m.group(0).endswith(("'s", "’s")))
        if before and before[-1].lower() == "of" and not (marked or gender):
            return  # "the Association of Probation Officers": part of a longer name
        if len(words) == 1 and not (marked or gender) and (self._after_determiner(before) or (
                m.group(0).split()[0].lower() in self.lex.determiners)):
            return  # "einer schriftlichen Erklärung", "the Colonel": a noun, not somebody's name
        if not (marked or gender) and before and before[-1].lower() in ("a", "an") \
                and self.doc[m.end():m.end() + 2].strip()[:1].islower():
            return  # "a South African father", "a Labour MP": an adjective, not a person
        key = words[-1]
        strong = marked or gender is not None or AGE_OR_CLAUSE.match(self.doc, m.end()) is not None
        if not strong:  # weaker evidence is looked for only when needed (each look is a regex)
            if key in self._placey:
                self.places.add(key)
                return
            weak = (len(words) >= 2 and key in alone) or key in person_keys or key in self._first_names \
                or (not after_prep and role_or_verb_near(self.doc, m, self.lex)) \
                or (len(words) >= 2 and self._pronoun_follows(m))
            if not weak:
                if after_prep:
                    self.places.add(key)
                return
        person_keys.add(key)
        if len(words) >= 2:
            self._first_names.add(words[0])  # "Edna" after "Edna Price": the same person
            self._full_names.add(name)
        if len(words) > len(self.fullest.get(key, "").split()):
            self.fullest[key] = name
        if gender:
            self.gender.setdefault(key, gender)
        start = m.end() - len(name) if m.group(0).endswith(name) else m.start()
        while self._b < len(self._bounds) and self._bounds[self._b] <= start:
            self._b += 1
            self._sentence_has_person = False
        while self._q < len(self._quoted) and self._quoted[self._q][1] <= start:
            self._q += 1
        quoted = self._q < len(self._quoted) and self._quoted[self._q][0] <= start
        subject = not self._sentence_has_person and self._early(start)
        self.people.append(Person(name, start, gender, subject, quoted))
        self._sentence_has_person = True

    def _after_determiner(self, before: list[str]) -> bool:
        dets = self.lex.determiners
        return bool(before) and (before[-1].lower() in dets or (
            len(before) >= 2 and before[-2].lower() in dets and before[-1][:1].islower()
            and not before[-1].endswith(",")))

    def _org_context(self, m: re.Match[str], name: str) -> bool:
        """'der Firma Kessler Lacke', 'Meret Power, the national grid operator': the words around make the
        name a body's, whatever it is called."""
        run = m.group(0).split()
        before = [ELIDED.sub("", w) for w in self.doc[max(0, m.start() - 16):m.start()].split()]
        nouns = self.lex.org_roles | COMPANY_NOUNS | TEAM_NOUNS
        # the body's noun right before the name: "der Firma Kessler Lacke" (not "Mannschaft von Trainer X")
        if (len(run) >= 2 and run[0].lower() in nouns and " ".join(run[1:]) == name) or (
                before and before[-1].lower() in nouns):
            return True
        apposition = APPOSITIVE.match(self.doc, m.end())
        if apposition is None:
            return False
        head = []  # "a geologist at Kestrel University": the head noun stands before the preposition
        for word in apposition.group(1).lower().split():
            if word in self.lex.prepositions:
                break
            head.append(word)
        return bool(head) and head[-1] in nouns

    def _learn_genders(self) -> None:
        """'Okoro, 30, had set his sights' → Okoro is male: the first pronoun after a mention (before the next
        person) votes; a name keeps a gender only when its votes agree."""
        for p in self.people:  # "la procureure, Soizic Le Bihan", "die Ministerin Anke Roth": the article
            article = ARTICLE_ROLE.search(self.doc, max(0, p.start - 40), p.start)
            gender = ARTICLE_GENDER.get(article.group(1).lower()) if article else None
            if gender and article is not None and article_names_gender(article, self.lex):
                self.gender.setdefault(p.name.split()[-1], gender)
        pattern = self.lex.object_pronouns
        if pattern is None:
            return
        votes: dict[str, list[int]] = {}
        for p, nxt in zip(self.people, [*self.people[1:], None], strict=False):
            if p.quoted:
                continue
            stop = min(p.start + 300, nxt.start if nxt else len(self.doc))
            m = pattern.search(self.doc, p.start + len(p.name), stop)
            # "survived by Carys, his son" / "Carys Hart. His daughter said": a relative's, not Carys's
            while m and m.group(0).lower() in ("his", "her") and (
                    self.doc[p.start + len(p.name):m.start()].strip() == ","
                    or self._role_at(m.end() + 1)):
                m = pattern.search(self.doc, m.end(), stop)
            if m and self._inside_quote(m.start()):
                continue  # "He was warned," she said: the quoted "He" is somebody else
            if m:
                v = votes.setdefault(p.name.split()[-1], [0, 0])
                v[0 if m.group(0).lower() in self.lex.male_pronouns else 1] += 1
        for key, (male, female) in votes.items():
            if key not in self.gender and male != female:
                self.gender[key] = "m" if male > female else "f"

    def _role_at(self, at: int) -> bool:
        word = WORD.match(self.doc, at)
        return word is not None and word.group(0).lower() in self.lex.roles

    def _inside_quote(self, at: int) -> bool:
        k = bisect.bisect_right(self._quoted, (at, len(self.doc) + 1)) - 1
        return k >= 0 and self._quoted[k][0] <= at < self._quoted[k][1]

    def _after_place_word(self, m: re.Match[str]) -> bool:
        if OWNED.match(self.doc, m.end()) or m.group(0).endswith(("'s", "’s")):
            return False  # "in Marguerite Pell’s bookshop": the bookshop is the place
        before = self.doc[max(0, m.start() - 12):m.start()].split()
        return bool(before) and before[-1].lower() in PLACE_ONLY_WORDS

    def _pronoun_follows(self, m: re.Match[str]) -> bool:
        """'Pia Lund won her heat': a his/her in the rest of the clause makes a full name a person; so does a
        he/she in the next sentence after a name that opens its own ('Pia Lund ran a bar. Now she …')."""
        pattern = self.lex.object_pronouns
        if pattern is None:
            return False
        end = self.doc.find(".", m.end(), m.end() + 60)
        if pattern.search(self.doc, m.end(), end if end > 0 else m.end() + 60) is not None:
            return True
        if not sentence_initial(self.doc, m.start()) or not self.doc[m.end() + 1:m.end() + 2].islower():
            return False  # the name must open its sentence as the subject of a verb: "Pia Lund ran …"
        end = self.doc.find(".", m.end(), m.end() + 200)
        nxt = self.doc.find(".", end + 1, end + 80) if end > 0 else -1
        return nxt > 0 and any(w in self.lex.pronouns for w in WORD.findall(self.doc, end + 1, nxt))

    def _early(self, start: int) -> bool:
        """Near the start of its sentence, or right after an opening phrase: where subjects stand."""
        sent_start = self._bounds[self._b - 1] if self._b else 0
        head = self.doc[sent_start:start]
        return len(head.split()) <= 4 or head.rstrip().endswith(",")

    def _add_roles(self) -> None:
        """'A spokesman for the group said …. He added': an unnamed speaker's role phrase is an antecedent."""
        roles = role_pattern(self.lex)
        found = []
        for m in roles.finditer(self.doc):  # unnamed speakers only: "a spokesman for X"
            if NAMED_AFTER.match(self.doc, m.end()) or RUN.match(self.doc, m.end() + 1):
                continue  # "La portavoz de la oposición, Lucía Serrano": named right after
            role = m.group("role").lower()
            gender = "f" if role.endswith("woman") or (role.endswith("in") and role[:-2] in self.lex.roles) \
                else "m" if role.endswith("man") or role + "in" in self.lex.roles else None
            found.append(Person(m.group(0).split(None, 1)[1], m.start(), gender, False, False))
        for m in unnamed_pattern(self.lex).finditer(self.doc):
            role, article = m.group("role").lower(), m.group("article").lower()
            first = article.split()[0]
            gender = "f" if first in ("une", "una", "otra", "eine") else "m" if first in ("un", "otro", "ein") \
                else "f" if role.endswith("woman") else "m" if role.endswith("man") else None
            found.append(Person(role, m.start("role"), gender, False, False))
        if not found:
            return
        merged = sorted([*self.people, *found], key=lambda p: p.start)
        people, b, seen_in_sentence = [], 0, False
        quoted = {p.start: p.quoted for p in self.people}
        for p in merged:
            while b < len(self._bounds) and self._bounds[b] <= p.start:
                b += 1
                seen_in_sentence = False
            people.append(Person(p.name, p.start, p.gender, not seen_in_sentence, quoted.get(p.start, False)))
            seen_in_sentence = True
        self.people = people

    def note_speaker(self, name: str) -> None:
        """A name the clause structure made a speaker is a person, whatever the index thought."""
        key = name.split()[-1] if name.split() else ""
        if key and key not in self.fullest:
            self.fullest[key] = name
            self._by_lower = None

    def full(self, name: str) -> str:
        """The fullest form of a name: by surname, or a first name alone ('Norma' after 'Norma Fitch') when
        exactly one full name starts with it; case-blind, for tabloid capitals."""
        words = name.split()
        if not words:
            return name
        hit = self.fullest.get(words[-1])
        if hit is not None and (" " in hit or len(words) > 1):
            return hit
        if self._by_lower is None:
            self._by_lower = {k.lower(): v for k, v in self.fullest.items()}
            firsts: dict[str, set[str]] = {}
            for v in {*self.fullest.values(), *self._full_names}:  # relatives share a surname key
                if " " in v:
                    firsts.setdefault(v.split()[0].lower(), set()).add(v)
            self._by_first = {k: next(iter(v)) for k, v in firsts.items() if len(v) == 1}
        low = words[-1].lower()
        if len(words) == 1 and low in self._by_first:
            return self._by_first[low]
        return hit or self._by_lower.get(low) or name

    def is_place(self, name: str) -> bool:
        words = name.split()
        return bool(words) and words[-1] in self.places and words[-1] not in self.fullest

    def gender_of(self, name: str) -> str | None:
        words = name.split()
        return self.gender.get(words[-1]) if words else None

    def learn_gender(self, name: str, gender: str) -> None:
        words = name.split()
        if words:
            self.gender.setdefault(words[-1], gender)

    def resolve_pronoun(self, gender: str | None, at: int, previous: str | None, since: int = -1,
                        listener: str | None = None) -> str | None:
        """The person a pronoun (or "the presenter") means: a person of that gender named since the last
        quotation (a sentence subject first), else the last speaker when they agree, else the nearest
        earlier person of that gender. Looks back a bounded distance."""
        k = bisect.bisect_left(self.starts, at)
        recent = [p for p in self.people[max(0, k - 40):k] if not p.quoted and at - p.start <= 3000
                  and (listener is None or self.full(p.name) != listener)]

        def g(p: Person) -> str | None:
            # a first name's own gender before the surname's, which relatives share ("Naledi Hart", "Geoffrey Hart")
            if p.gender:
                return p.gender
            full = self.full(p.name)
            first, last = self.gender.get(full.split()[0]), self.gender_of(p.name) or self.gender_of(full)
            return None if first and last and first != last else first or last

        exact = [p for p in recent if gender is None or g(p) == gender]
        fresh = [p for p in exact if p.start > since]
        # the latest sentence subject named since the last quotation whose gender does not clash (unknown
        # genders count: "Entonces apareció Solana" for "el veterano atacante"), before a mere mention
        # ("… tasted Mr Pritchard's batter") and before anyone older
        subjects = [p for p in recent if p.start > since and p.subject and (
            gender is None or g(p) == gender or (g(p) is None and len(self.full(p.name).split()) >= 2))]
        if subjects:
            return self.full(subjects[-1].name)
        if fresh:
            return self.full(fresh[-1].name)
        if previous and previous != listener and (self.gender_of(previous) == gender or ((
                gender is None or self.gender_of(previous) is None) and len(previous.split()) >= 2)):
            return previous
        if exact:
            return self.full(exact[-1].name)
        unknown = [p for p in recent if g(p) is None and len(self.full(p.name).split()) >= 2]
        return self.full(unknown[-1].name) if unknown else None

    def first_subject(self, lo: int, hi: int) -> str | None:
        """The first person named (outside quotations) as a sentence subject in doc[lo:hi]."""
        k = bisect.bisect_left(self.starts, lo)
        for p in self.people[k:k + 20]:
            if p.start >= hi:
                break
            if p.subject and not p.quoted:
                return self.full(p.name)
        return None

    def org_before(self, at: int) -> str | None:
        """The body "the company" or "la entidad" means: the nearest one named before, passing over public
        bodies ("the Security Council"), which a company noun never stands for."""
        k = bisect.bisect_left(self.org_starts, at)
        for _, name in reversed(self.orgs[max(0, k - 20):k]):
            if not ACRONYM.fullmatch(name) and len(name.split()) >= 2 and not PUBLIC_BODY_WORDS & set(name.split()):
                return name
        return self.orgs[k - 1][1] if k else None

    def named_role(self, role: str, at: int | None = None, modifiers: str = "") -> str | None:
        """The person the article names with this role before `at` ("the minister, Jane Roe" / "minister Jane
        Roe"); when several are, the latest: "the coach said" means the coach named last, never one named
        only after the quotation. A role with other modifiers is someone else: "el técnico local" is not
        "el técnico visitante"."""
        key = role.lower()
        found = self._roles.get(key)
        if found is None:
            found = self._roles[key] = []
            before, after = named_role_patterns(key)
            matches = [(m, True) for m in before.finditer(self.doc)] + [(m, False) for m in after.finditer(self.doc)]
            for m, role_first in sorted(matches, key=lambda hit: hit[0].start()):
                run = m.group("name")
                if not role_first and run.split()[0].lower() in self.lex.prepositions | PLACE_PREPOSITIONS:
                    continue  # "À Port-Ménec, le maire": a place, not the mayor
                nxt = NEXT_NAME.match(self.doc, m.end())
                if role_first and nxt and len(nxt.group(1).split()) >= 2 and not is_org(run.split()) \
                        and first_name_gender(nxt.group(1).split()[0]):
                    run = nxt.group(1)  # "patrón de la Cofradía X, Ana Gil": the appositive is the person
                name, _, _ = clean_name(run, self.lex)
                mods = (m.group("mods") or "").split()
                if len(name.split()) >= 2 and not is_org(name.split()):
                    found.append((m.start(), self.full(name), tuple(mods)))
        wanted = tuple(modifiers.lower().split())
        names = [name for start, name, mods in found if (at is None or start <= at)
                 and not (mods and wanted and not set(mods) & set(wanted))]
        return names[-1] if names else None
