"""The speaker in a noun phrase: a name (titles, roles and modifiers dropped, "X of/at Y" cut at the
preposition, an appositive name preferred to a role), a pronoun, a role description or an organisation.
Pure functions of one clause's text; `speakers.py` decides which clause credits a quotation."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from .lexicon import ARTICLE_GENDER, COMPANY_NOUNS, LISTENER_PREPOSITIONS, NAME_PARTICLES, Lexicon, first_name_gender
from .nameforms import ELIDED, RUN, clean_name, is_org

TOKEN = re.compile(r"[\w'’.-]+")
_INVERTED = re.compile(r"-(?:t-)?(il|elle)\b", re.IGNORECASE)
# a body's whole name: "Bank of England", "Gesundheitsamt des Kreises Oberwalden"
_ORG_OF = re.compile(RUN.pattern + r"(?:\s+(?:of\s+(?:the\s+)?|des\s+|der\s+)" + RUN.pattern + ")?")
_ORG_OF_DE = re.compile(RUN.pattern + r"(?:\s+(?:des|der|in)\s+" + RUN.pattern + ")?")  # "Bund Naturschutz in Bayern"
_AGED = re.compile(r"\d{1,3}-(?:year-old|jährige[rn]?)")  # "the 24-year-old", "der 48-Jährige"
# a lowercase word that is not a verb form or a linking word: "forestry", "department" (not "declined", "and")
_PLAIN_NOUN = re.compile(r"(?!(?:and|or|but|who|which|that|has|had|was|is|will|would|y|et|und)$)[a-zà-ÿ]+(?<!ed)(?<!ó)")
_ELIDED_ARTICLE = re.compile(r"[Ll]['’]\w")
_OWNER = re.compile(r"['’]s?$")


class Parsed:
    __slots__ = ("at", "kind", "text")

    def __init__(self, kind: str, text: str, at: int) -> None:
        self.kind, self.text, self.at = kind, text, at


@cache
def _nouns(lex: Lexicon) -> frozenset[str]:
    return lex.roles | lex.org_roles


@cache
def _compound_roles(lex: Lexicon) -> re.Pattern[str]:
    """German compounds end in their head noun: "Polizeisprecher" is a "sprecher"."""
    heads = sorted((r for r in lex.roles if len(r) >= 5), key=len, reverse=True)
    return re.compile(r"\w{3,}?(" + "|".join(re.escape(r) for r in heads) + r")$")


def plain(word: str, lex: Lexicon) -> str:
    """Lowercase, with a plural role reduced to its singular ("officials", "the two firms"), and in German a
    compound reduced to its head role ("Polizeisprecher")."""
    w = word.lower()
    nouns = _nouns(lex)
    if w in nouns:
        return w
    if w[:-1] in nouns:
        return w[:-1]
    if w.endswith("es") and w[:-2] in nouns:
        return w[:-2]  # "bosses"
    if lex.capitalises_nouns and word[:1].isupper():
        compound = _compound_roles(lex).fullmatch(w)
        if compound:
            return compound.group(1)
    return w


def _skip_chunk(first: str, lex: Lexicon, mode: str) -> bool:
    """"In a statement", "Speaking on the radio": an opening phrase, not the subject."""
    low = first.lower()
    if low in ("in", "on") or (mode == "before" and (low in lex.prepositions or low in lex.subordinators)):
        return True
    return mode == "before" and low.endswith("ing") and first_name_gender(low) is None


def _body_goes_on(tokens: list[tuple[str, int]], i: int) -> bool:
    """"La Consejería de Medio Ambiente", "University of Leeds": the preposition after a body's own word
    joins its name; after a person's name it does not ("Jane Fox at Capital Economics")."""
    nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
    if nxt.lower() in ("la", "l", "the", "los", "las") and i + 2 < len(tokens):
        nxt = tokens[i + 2][0]
    nxt = ELIDED.sub("", nxt)  # "Ministère de l'Intérieur"
    k = i
    while k > 0 and tokens[k - 1][0][:1].isupper():
        k -= 1
    body = [t for t, _ in tokens[k:i]]  # the capitalised words before the preposition
    return bool(body) and nxt[:1].isupper() and is_org(body) and first_name_gender(body[0]) is None


def _parse_chunk(chunk: str, at: int, lex: Lexicon, mode: str, known: Callable[[str], bool]) -> Parsed | None:
    """The head of one comma-separated chunk: a name, a pronoun, a role description or an org role."""
    stripped = chunk.strip()
    tokens = [(m.group(0), m.start()) for m in TOKEN.finditer(stripped)]
    if not tokens:
        return None
    if _skip_chunk(tokens[0][0], lex, mode):
        # "At our first meeting she put the script down and told me": the subject after the opening phrase
        for tok, pos in tokens[1:8]:
            if tok.lower() in lex.pronouns:
                return Parsed("pronoun", tok.lower(), at + chunk.find(stripped) + pos)
        return None
    at += chunk.find(stripped)
    words = [plain(t.rstrip(".") if len(t) > 2 else t, lex) for t, _ in tokens]  # "sagt er."
    cut = len(stripped)
    for i in range(1, len(tokens)):
        if words[i] in lex.prepositions and words[i - 1] not in lex.determiners \
                and not _body_goes_on(tokens, i):
            cut = tokens[i][1]  # "Jane Fox at Capital Economics", "the ambassador to the U.N."
            break
    head = stripped[:cut]
    if words[0] in lex.pronouns and len(words) > 1:  # "sagt sie EXPRESS": the pronoun, then its listener
        return Parsed("pronoun", words[0], at + tokens[0][1])
    lo = 1 if words[0] in lex.determiners else 0
    body = max((k for k, (t, _) in enumerate(tokens[:-1]) if t[:1].isupper()), default=-1)  # its last word
    if words[-1] in lex.roles and 3 <= len(tokens) <= 10 and body >= 1 and len(tokens) - body <= 3 \
            and any(w in lex.prepositions for w in words[1:body]) and is_org([t for t, _ in tokens[:body + 1]]) \
            and all(w in lex.determiners or w in lex.prepositions or t[:1].isupper()
                    for (t, _), w in zip(tokens[:body + 1], words, strict=False)):
        # "the Institute for Rural Policy director": the role is the head, the organisation its modifier
        return Parsed("role", stripped[tokens[lo][1]:].rstrip(" ,.:"), at + tokens[lo][1])
    name = _head_name(head, stripped, lex, known, alone_ok=mode == "after")
    if name is not None:
        if words[0] in lex.prepositions and is_org(name[0].split()):
            return None  # «…», declaró a la salida de la Audiencia: a place, not the speaker
        return Parsed("name", name[0], at + name[1])
    for (_tok, pos), low in zip(tokens[:5], words[:5], strict=False):  # "Then one day she … said"
        inv = _INVERTED.search(low)
        if low in lex.pronouns or (inv and inv.group(1) in lex.pronouns):
            return Parsed("pronoun", low if low in lex.pronouns else inv.group(1) if inv else low, at + pos)
    nouns = [i for i, (_, pos) in enumerate(tokens)
             if pos < cut and (words[i] in lex.roles or words[i] in lex.org_roles or _AGED.fullmatch(words[i]))]
    if not nouns:
        return _description(tokens, words, at, lex, mode, known)
    i = nouns[0]  # the head noun is the last of the first group: "a government spokesperson", not a later
    for k in nouns[1:]:  # object ("prosecutors were pursuing three journalists")
        if k - i > 3:
            break
        i = k
    j = i + 1
    if j < len(words) and (words[j] in lex.prepositions  # "spokesman for the Labour Party"
                           or (lex.capitalises_nouns and words[j] in ("der", "des"))):  # "Sprecher der Stadt"
        j += 1
        first = j
        while j < len(words):
            if words[j] in lex.determiners or tokens[j][0][:1].isupper():
                j += 1
            elif j > first and words[j] in NAME_PARTICLES and j + 1 < len(words) and tokens[j + 1][0][:1].isupper():
                j += 2  # "portavoz del Puerto de Almar"
            else:
                break
        if j < len(words) and all(words[k] in lex.determiners for k in range(first, j)):
            j += 1  # no name follows: one common noun does ("spokesman for the council", "portavoz del hospital")
            while j < len(words) and j - first < 4 and _PLAIN_NOUN.fullmatch(tokens[j][0]) \
                    and words[j] not in lex.prepositions and words[j] not in lex.speech_verbs:
                j += 1  # or a few: "spokesperson for the state forestry department"
    start = 0  # "sagte der 52-Jährige": the noun phrase starts at its article, after any verb before it
    for k in range(nouns[0] - 1, -1, -1):
        if words[k] in lex.determiners:
            start = k
            break
        if not (tokens[k][0][:1].islower() or "-" in tokens[k][0]):
            break
    lo = start
    while lo < i and words[lo] in lex.determiners:
        lo += 1
    desc = stripped[tokens[lo][1]: tokens[j - 1][1] + len(tokens[j - 1][0])].rstrip(" ,.:")
    if words[i] in lex.roles or _AGED.fullmatch(words[i]):  # "the 24-year-old": the person just named
        definite = (lo > start and words[start] in ("the", "der", "die", "le", "la", "el")) or \
            _ELIDED_ARTICLE.match(tokens[start][0]) is not None  # "l'ancien maire"
        # "the singer", "le joueur au micro de Canal Sud": a plain role; a name after it would be a modifier
        unmodified = all(t[:1].islower() or "-" in t for t, _ in tokens[lo:i]) and (
            j == i + 1 or words[i + 1] in LISTENER_PREPOSITIONS
            or not any(t[:1].isupper() for t, _ in tokens[i + 1:j]))
        return Parsed("the-role" if definite and unmodified else "role", desc, at)
    return Parsed("org" if i == lo and words[i] in COMPANY_NOUNS else "desc", desc, at)


def _description(tokens: list[tuple[str, int]], words: list[str], at: int, lex: Lexicon, mode: str,
                 known: Callable[[str], bool]) -> Parsed | None:
    """'“…,” the Corkman said', '«…», a reconnu le Breton', 'gestand der Torschütze': a definite description
    standing for someone named before. After the quotation any such noun phrase is one; before it only a
    capitalised noun (a demonym) in a language that does not capitalise every noun, so "The contest asked …"
    is not."""
    if len(tokens) < 2 or len(tokens) > 3 or words[0] not in ARTICLE_GENDER:
        return None
    noun = tokens[-1][0]
    if not noun.isalpha() or known(noun) or is_org([noun]) or words[-1] in lex.prepositions:
        return None
    if mode == "before" and not (noun[:1].isupper() and not lex.capitalises_nouns):
        return None
    return Parsed("description", " ".join(t for t, _ in tokens), at + tokens[0][1])


def _head_name(head: str, chunk: str, lex: Lexicon, known: Callable[[str], bool], alone_ok: bool = False
               ) -> tuple[str, int] | None:
    """The name heading a noun phrase: the first, or the one after a role ("US lawyer Jamie Firestone");
    none when the name only modifies a role ("a Labour source"); organisations keep "of Y". With `alone_ok`
    (right after the speech verb: '"…," said Smith.'), a lone surname that is the whole phrase is the name."""
    runs = [m for m in RUN.finditer(head) if not _OWNER.search(m.group(0))]  # owners: "X's chief"
    names = []
    alone = alone_ok and len(runs) == 1 and head.strip(" .,;:!?\"'”’»«“‘") == runs[0].group(0)
    for run in runs:
        m = run
        if lex.capitalises_nouns and run.group(0).split()[0].lower() in lex.determiners \
                and run.group(0).split()[1:2] and run.group(0).split()[1].lower().rstrip(".") not in lex.titles:
            # German: "Einen Zusammenhang" is a noun phrase; in "Seine Frau GABI" the name follows the noun
            words = run.group(0).split()
            rest = RUN.match(head, head.index(words[2], run.start())) if len(words) > 2 else None
            if is_org(words[1:]):  # "Das Gesundheitsamt (des Kreises X)", "Der Bund Naturschutz in Bayern"
                org = _ORG_OF_DE.match(chunk, head.index(words[1], run.start()))
                if org is not None:
                    names.append((org.group(0), org))
                continue
            if rest is None:
                continue
            m = rest
        name, _, _ = clean_name(m.group(0), lex)
        low = name.lower()
        if name and not (len(name) <= 3 and name.isupper()) and (" " in name or known(name) or (
                alone and low not in lex.calendar and low not in lex.capitalised_function_words)):
            names.append((name, m))
    if not names:
        return None
    between = head[names[0][1].end():names[-1][1].start()]
    name, m = names[-1] if len(names) > 1 and any(plain(t, lex) in lex.roles for t in between.split()) \
        else names[0]
    after = TOKEN.match(head, m.end() + 1) if m.end() < len(head) else None
    if after and after.group(0).lower() in lex.roles | lex.org_roles:
        return None  # "a Labour source": the role is the head
    if is_org(name.split()):
        org = (_ORG_OF_DE if lex.capitalises_nouns else _ORG_OF).match(chunk, m.start())
        if org:  # keep the whole name: only leading grammar words go
            words = org.group(0).split()
            while len(words) > 1 and words[0].lower() in lex.capitalised_function_words | lex.determiners:
                words.pop(0)
            name = " ".join(words)
    return name, m.start() + m.group(0).rfind(name.split()[0])


def subject(text: str, at: int, lex: Lexicon, mode: str, known: Callable[[str], bool]) -> Parsed | None:
    """The speaker in a clause's noun phrase: the first chunk that names someone; a role followed by an
    appositive name ("its chair, Helen Marsh,") gives the name."""
    chunks, pos = [], 0
    for piece in text.split(","):
        chunks.append((piece, at + pos))
        pos += len(piece) + 1
    found: Parsed | None = None
    for piece, where in chunks:
        parsed = _parse_chunk(piece, where, lex, mode, known)
        if parsed is None:
            if found is not None:
                break
            continue
        if found is None:
            if parsed.kind == "name":
                return parsed
            found = parsed
            continue
        return parsed if parsed.kind == "name" and len(piece.split()) <= 7 else found
    return found
