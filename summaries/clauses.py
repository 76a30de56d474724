"""Reading one attribution clause: the speech verb, its subject before or after it, and what a name, pronoun,
role or body there refers to in the article. `speakers.py` decides which clause credits a quotation;
`fallbacks.py` handles quotations no clause credits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .lexicon import ANONYMOUS_ROLES, ARTICLE_GENDER, AUXILIARIES, CLAUSE_OPENERS, COORDINATORS, Lexicon
from .nameforms import ELIDED, RUN, clean_name, is_org
from .names import NameIndex
from .phrases import TOKEN, Parsed, plain, subject
from .quotes import Span, according_pattern, verb_pattern

MAX_SCAN = 250  # characters of attribution clause looked at on either side of a quotation
# the end of an attribution clause: not the period of a title or an initial ("erklärt Dr. Eva Roth")
_CLAUSE_END = re.compile(r"(?<!\b[A-Z])(?<!\b(?:Mr|Dr|Ms|St|Sr))(?<!\b(?:Mrs|Sra|Mme|Sen|Gov|Rev))(?<!\bProf)"
                         r"[.!?](?=\s|$)|[\"“”„«»]|\n")
_CLAUSE_END_BANG = re.compile(r"[¡¿][^\n!?]{1,40}[!?]")  # "a ¡SEMANA! la artista": a title, not a sentence end
# where the clause of the last speech verb starts: a sentence break (not after "Mr." or an initial) or a
# coordinated clause ("…, and the coach said")
_CLAUSE_BREAK = re.compile(
    r"(?<![A-Z])(?<!\b(?:Mr|Dr|Ms|St))(?<!Mrs)[.;!?]\s+"
    r"|,\s+(?:and|but|while|as|und|aber|et|mais|y|pero)\s+|\s(?:and|but)\s+(?=[A-Z])")
# '"…" — Gwen, Aberaeron': a signature after a dash, the way readers' messages and letters are credited
_SIGNATURE = re.compile(r"[ \t]*[—–][ \t]*(?=[A-ZÀ-Þ])")
_COMPLEMENT = re.compile(r"\s*(?:that|que|qu['’]|dass|daß)\b", re.IGNORECASE)
# a relative pronoun right before the verb (auxiliaries between): the speaker is the noun phrase it follows
_RELATIVE = re.compile(r",\s*(?:who|qui|quien|que|der|die)"
                       r"(?:\s+(?:had|has|have|had\s+been|avait|a|había|ha|hatte|hat))?\s*$")
_LISTENER = re.compile(r"\s+(\w+)\s+(" + RUN.pattern + ")")
# "His daughter said", "Sa fille a raconté": a relative of someone named, who may be named too
_POSSESSIVE_ROLE = re.compile(r"\b(?:[Hh]is|[Hh]er|[Tt]heir|[Ss]a|[Ss]on|[Ss]u|[Ss]eine?|[Ii]hre?)\s+"
                              r"([a-zäöüéèáíóú-]+)(?= )")
_SPEAKER_LABEL = re.compile(r"[A-ZÀ-Þ][\w'’-]*(?: [A-ZÀ-Þ][\w'’-]*){0,2}: (?=\S)")


@lru_cache(maxsize=512)
def _role_and_modifiers(role: str) -> re.Pattern[str]:
    return re.compile(r"(?i:\b" + re.escape(role) + r")\b((?:[ \t]+[a-zà-ÿ]+(?![\w'’-])){0,2})")


def _modifiers(doc: str, at: int, role: str, lex: Lexicon) -> str:
    """The words right after a role noun that tell two holders apart: "el técnico local" / "visitante"."""
    m = _role_and_modifiers(role).search(doc, at, at + 80)
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


class Attributor:
    def __init__(self, doc: str, lex: Lexicon, index: NameIndex) -> None:
        self.doc, self.lex, self.index = doc, lex, index
        self.verbs = verb_pattern(lex)
        org_names = {name for _, name in index.orgs}
        self.known = lambda name: name in index.fullest or name in org_names or name.isupper()
        self.according = according_pattern(lex)

    def resolve(self, parsed: Parsed, previous: str | None, since: int) -> str | None:
        index = self.index
        if parsed.kind == "name":
            if len(parsed.text.split()) >= 3 and is_org(parsed.text.split()):
                return parsed.text  # "Gesundheitsamt des Kreises Oberwalden": whole already, not a surname
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
            gender = self.lex.pronouns.get(parsed.text)
            return self._relative_said(parsed.at, since, gender) or \
                index.resolve_pronoun(gender, parsed.at, previous, since, listener)
        if parsed.kind == "description":
            article = parsed.text.split()[0].lower()
            gender = ARTICLE_GENDER.get(article) or ("f" if parsed.text.endswith("woman") else
                                                     "m" if parsed.text.endswith("man") else None)
            return index.resolve_pronoun(gender, parsed.at, previous, since)
        if parsed.kind == "org":
            return index.org_before(parsed.at) or parsed.text
        if parsed.kind in ("role", "the-role"):
            words = parsed.text.lower().split()
            k = next((k for k in range(len(words) - 1, -1, -1) if words[k] in self.lex.roles), -1)
            role = words[k] if k >= 0 else ""
            modifiers = _modifiers(self.doc, parsed.at, role, self.lex)
            named = index.named_role(role, parsed.at + len(parsed.text), modifiers) if role else None
            if named is None and role not in ANONYMOUS_ROLES and parsed.kind == "the-role":
                # "the presenter said"; "le sexagénaire", "die frühere Ministerin": the article gives the gender
                before = self.doc[max(0, parsed.at - 12):parsed.at].split()
                gender = ARTICLE_GENDER.get(before[-1].lower()) if before else None
                named = index.resolve_pronoun(gender, parsed.at, previous, since)
            return named or parsed.text
        return parsed.text

    def _relative_said(self, at: int, since: int, gender: str | None) -> str | None:
        """'His daughter said he practised daily. "…," she said.': a role with a possessive as the subject of
        a speech verb since the last quotation is who the pronoun means, when the article names that person
        ("his daughter, Theresa Brandl") and the gender does not clash."""
        lo = max(since, at - MAX_SCAN, 0)
        found = _last(m for m in _POSSESSIVE_ROLE.finditer(self.doc, lo, at)
                      if self.verbs.match(self.doc, m.end() + 1) is not None)
        if found is None or plain(found.group(1), self.lex) not in self.lex.roles:
            return None
        named = self.index.named_role(plain(found.group(1), self.lex), at)
        if named is None or (gender and self.index.gender_of(named) not in (None, gender)):
            return None
        return named

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
                if not before[cut.end():].strip() and cut.group(0).strip(" ,").lower() in COORDINATORS:
                    # "Der Bürgermeister kündigte an, …, und betonte:": coordinated verbs share the subject
                    shared = subject(before[:cut.start()], at, self.lex, "before", self.known)
                at, text, before = at + cut.end(), text[cut.end():], before[cut.end():]
                verb = self.verbs.search(text, len(before)) or verb
        if verb.group(0).lower().endswith("ing") and "," in before:
            # "A spokeswoman declined to comment, saying only that": the main clause's subject
            main = subject(before.split(",", 1)[0], at, self.lex, "before", self.known)
            if main is not None:
                return main
        relative = _RELATIVE.search(before)
        if relative is not None:  # "… the historian Sir Lionel Ashcombe, who had argued": the antecedent
            runs = list(RUN.finditer(before, max(0, relative.start() - 80), relative.start()))
            if runs and runs[-1].end() == relative.start():
                name, _, _ = clean_name(runs[-1].group(0), self.lex)
                if len(name.split()) >= 2 or self.known(name):
                    return Parsed("name", name, at + runs[-1].start())
        words = [w.lower() for w in TOKEN.findall(before)]
        if words and not all(w in AUXILIARIES for w in words):
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
        while len(words) > 2 and words[0].lower() in AUXILIARIES:  # "ha contado el artista"
            words.pop(0)
        first = words[0].lower()
        lex = self.lex
        if first[:1].islower() and first not in lex.determiners and first not in lex.pronouns \
                and first not in CLAUSE_OPENERS:
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
