"""How a run of capitalised words becomes a person's name: the run pattern, sentence-initial words, titles,
roles and modifiers dropped, tabloid capitals read as names. Pure functions; `names.py` builds the index."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .lexicon import ANONYMOUS_ROLES, ORG_WORDS, PLACE_PREPOSITIONS, Lexicon, first_name_gender, wordset

_CAP = r"(?:Mc|Mac|O['’])?[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\.[A-Z][\w'’-]*)*"
_DOTTED_TITLES = wordset("Mr Mrs Ms Dr St Prof Sen Gov Rev Gen Sr Sra Mme M")
_TITLE_DOT = "(?:" + "|".join(f"(?<={t})" for t in sorted(_DOTTED_TITLES)) + r")\."
# "von der", "van den", "de la": a German "der" alone is an article ("sagte Jan Brück der Zeitung")
_PARTICLE = r"(?:(?:van|von|de)[ \t]+(?:der|den|la|las|los)|de|van|von|da|del|di|du|le|la|bin|al|dos|das)"
# a run of capitalised words: a name, a title, an organisation or a sentence's first word
RUN = re.compile(r"(?<![\w'’-])" + _CAP + r"(?:(?:" + _TITLE_DOT + r")?[ \t]+(?:" + _PARTICLE + r"[ \t]+)*"
                 + _CAP + r")*")
ACRONYM = re.compile(r"(?:[A-Z]\.?){2,6}")
_POSSESSIVE = re.compile(r"['’]s?$")
_CLOSERS = "\"'”’“»«"
_OPENERS = "\"'“‘„«»"
ELIDED = re.compile(r"[LlDd]['’](?=[a-zà-ÿ])")  # "L'attaquant Karim Lemaire": an article and a common noun


def sentence_initial(doc: str, start: int) -> bool:
    """Whether a word at `start` opens a sentence, judged from the three characters before it: a sentence
    end (closing mark allowed) or a line break, spaces, an opening mark. A plain loop: it runs for every
    capitalised word, where a regex search cost more than the rest of the check."""
    if start == 0:
        return True
    lo = max(0, start - 3)
    if doc[start - 1] in _OPENERS and _ends_sentence(doc, lo, start - 1):
        return True
    return _ends_sentence(doc, lo, start)


def _ends_sentence(doc: str, lo: int, k: int) -> bool:
    while True:
        if k == 0:
            return True
        if k <= lo:
            return False
        c = doc[k - 1]
        if c == "\n" or c in ".!?:":
            return True
        if c in _CLOSERS and k - 1 > lo and doc[k - 2] in ".!?:":
            return True
        if not c.isspace():
            return False
        k -= 1


def is_role(word: str, lex: Lexicon) -> bool:
    w = word.lower().rstrip(".")
    if w in lex.roles or w in lex.titles:
        return True
    # compounds such as "Verbandschefin", "Verdi-Sprecherin", "Finanzstaatssekretär"
    return len(w) > 6 and w.endswith(_role_suffixes(lex))


def is_agent(word: str, lex: Lexicon) -> bool:
    """A role, or a noun formed like one ("glaciologist", "la investigadora"): before a name it marks a
    person. Too loose to strip from names, where only `is_role` is used."""
    w = word.lower().rstrip(".")
    return is_role(w, lex) or (len(w) > 6 and w.endswith(lex.agent_endings) and w.isalpha()
                               and w not in lex.not_agents)


@cache
def _role_suffixes(lex: Lexicon) -> tuple[str, ...]:
    return tuple(r for r in lex.roles if len(r) >= 4)


# German bodies are compounds ending in a body's noun: "Gesundheitsamt", "Landeselternrat" is not (a person
# may be "Rat"), "Bürgerinitiative"
_ORG_COMPOUND = re.compile(r"[A-ZÄÖÜ][a-zäöüß]{3,}(?:amt|ministerium|gericht|behörde|verband|verein|kammer|"
                           r"gewerkschaft|partei|polizei|feuerwehr|klinikum|krankenhaus|institut|stiftung|"
                           r"kommission|ausschuss|initiative|gesellschaft|konzern|verwaltung|regierung|"
                           r"anwaltschaft|direktion|werke)")


def _org_compound(word: str) -> bool:
    return len(word) > 8 and _ORG_COMPOUND.fullmatch(word) is not None


def is_org(words: list[str]) -> bool:
    if len(words) == 2 and first_name_gender(words[0]) is not None and words[1] in ORG_WORDS:
        return False  # "Lisa Power", "Tom Banks": a first name makes the organisation word a surname
    return any(_POSSESSIVE.sub("", w) in ORG_WORDS or _org_compound(w) for w in words) or (
        len(words) >= 2 and len(words[-1]) == 1)


def _title(word: str) -> str:
    """'JEAN-MARC' → 'Jean-Marc', 'McLEOD' → 'McLeod'."""
    return "-".join(part[:2] + _title(part[2:]) if part.startswith("Mc") and len(part) > 2
                    else part[:1] + part[1:].lower() for part in word.split("-"))


def _upper(word: str) -> bool:
    return (word[2:] if word.startswith("Mc") else word).isupper()


_VOWEL = re.compile(r"[AEIOUYÀ-ÆÈ-ÏÒ-ÖØ-Ý]")


def shouted(run: str) -> bool:
    """Tabloid capitals: 'NORMA FITCH' (two or more words, each with a vowel and none an organisation word:
    not 'US TV', 'BBC NEWS') or a known first name alone ('NORMA')."""
    words = run.split()
    initial = len(words) >= 2 and re.fullmatch(r"[A-Z]\.?", words[-1]) is not None
    if initial:
        words = words[:-1]  # "HANS-PETER K.": a surname cut to its initial
    if not all(_upper(w) for w in run.split()) \
            or any(len(w) < 3 or not _VOWEL.search(w) or _title(w) in ORG_WORDS for w in words):
        return False
    return len(words) >= 2 or initial or first_name_gender(run) is not None


def clean_name(run: str, lex: Lexicon, lowered: set[str] | None = None) -> tuple[str, str | None, bool]:
    """A capitalised run as a name: leading grammar words, titles, roles and modifiers ("Moscow-based",
    "US") dropped; a name in tabloid capitals in title case. Returns (name, gender from a title, whether a
    title or role preceded it)."""
    words = run.split()
    tail = len(words)
    while tail > 0 and _upper(words[tail - 1]) and len(words[tail - 1]) > 1:
        tail -= 1
    if 0 < tail <= len(words) - 2 and not _upper(words[tail - 1]):
        run = " ".join(words[tail:])  # "Atlético ÓSCAR VILLALBA": the club is a modifier of the shouted name
    if shouted(run):  # not acronyms: "NORMA FITCH" is Norma Fitch, "HANS K" Hans K.
        run = " ".join(_title(w) if len(w) > 1 else w + "." for w in run.split())
    words = [w.rstrip(".") if w.lower().rstrip(".") in lex.titles else w for w in run.split()]
    if len(words) > 1 and ELIDED.match(words[0]):
        words[0] = words[0][2:]  # the noun is then dropped as a role or a lowercase word
        if not is_role(words[0], lex):
            words.pop(0)
    gender = None
    marked = False
    inner = [i for i, w in enumerate(words[:-1]) if _POSSESSIVE.search(w)]
    if inner:  # "the bank's chief": the owner is someone else
        words = words[inner[-1] + 1:]
    while words:
        w = words[0]
        low = w.lower()
        if low in lex.male_titles or low in lex.female_titles:
            gender = "m" if low in lex.male_titles else "f"
        if low in lex.titles or is_role(w, lex):
            marked = True
        elif not (low in lex.capitalised_function_words or low in lex.determiners
                  or (lowered is not None and low in lowered and first_name_gender(w) is None)
                  or (ACRONYM.fullmatch(w) and len(words) > 1) or ("-" in w and w.rsplit("-", 1)[1].islower())):
            break
        words.pop(0)
    roles = [i for i, w in enumerate(words[:-1]) if is_role(w, lex)]
    if roles:  # "Transport Secretary Alan Pryce"
        words = words[roles[-1] + 1:]
        marked = True
    if words:
        words[-1] = _POSSESSIVE.sub("", words[-1])
    caps = [i for i, w in enumerate(words) if w[:1].isupper()]
    if len(caps) > lex.max_name_words:
        words = words[caps[-2]:]
    return " ".join(words), gender, marked


@cache
def role_pattern(lex: Lexicon) -> re.Pattern[str]:
    """An unnamed speaker's role phrase: "a spokesman for the group", "the official"."""
    anonymous = sorted((r for r in lex.roles if r in ANONYMOUS_ROLES), key=len, reverse=True)
    return re.compile(r"\b(?:[Tt]he|[Aa]n?|[Ee]ine?|[Dd](?:er|ie)|[Uu]ne?|[Ll][ae]|[Ee]l|[Uu]na)\s+"
                      r"(?:[\w'’-]+\s+){0,2}?(?P<role>(?i:" + "|".join(anonymous)
                      + r"))\b(?:\s+(?:for|of|at|de|del|de\s+la|du|des|der|von)\s+(?:the\s+)?" + RUN.pattern + ")?")


@cache
def unnamed_pattern(lex: Lexicon) -> re.Pattern[str]:
    """Someone introduced by role alone, with an indefinite article and a clause after: "Another parent, who
    asked not to be named,", "una vecina, que prefiere no dar su nombre," - a person a pronoun can mean."""
    roles = sorted(lex.roles, key=len, reverse=True)
    return re.compile(r"\b(?P<article>[Aa]nother|[Aa]n?|[Oo]ne|[Uu]ne?|[Uu]na|[Ee]ine?|[Oo]tr[oa]|[Uu]n\s+autre|"
                      r"[Uu]ne\s+autre)\s+(?:[\w'’-]+\s+){0,2}?(?P<role>(?i:" + "|".join(map(re.escape, roles))
                      + r"))(?=\s*,\s*(?:who|qui|que|der|die)\b)")


@lru_cache(maxsize=512)
def named_role_patterns(role: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled once per role noun, not once per article that uses it: the role before the name ("the
    coach, Ann Lee", "el patrón mayor de la cofradía, Ana Gil") and in an appositive after it ("Ann Lee,
    former coach," / "Bernard du Fresnel, ancien maire de …", never "In the Echo, the Bishop said")."""
    word = r"(?i:\b" + re.escape(role) + r")\b"
    before = re.compile(word + r"(?P<mods>(?:\s+[a-zà-ÿ]+){0,2}?)(?:\s+(?:of|for|de|des|du|del)\s+[\w'’ ]{1,40}?)?"
                        r",?\s+(?:the\s+)?(?P<name>" + RUN.pattern + ")")
    after = re.compile(r"(?P<name>" + RUN.pattern + r"),\s+(?:(?:the|an?|le|la|el|der|die|ein|eine|un|une|una)\s+"
                       r"|l['’])?(?P<mods>(?:[a-zà-ÿ-]+\s+){0,2}?)" + word
                       + r"(?=\s*[,;.(]|\s+(?:of|for|at|de|du|des|del|von|der|in)\b)")
    return before, after


NEXT_NAME = re.compile(r",\s+(" + RUN.pattern + ")")


# Context patterns the name index reads around a capitalised run.
# an age or a relative clause marks a person: "Ann Lee, 34,", "Ana Gil, de 58 años", "Timo Rasch (29)"
# (not a dateline: "LIMA, 3 abr")
AGE_OR_CLAUSE = re.compile(r"['’]?s?,\s*(?:(?:de|di)\s+)?"
                           r"(?:\d{1,3}(?!\d)(?:\s+(?i:ans|años|anni|jahre|years?))?(?!\s*[^\W\d])"
                           r"|who\b|whose\b|aged\b)|\.?\s\(\d{1,3}\)")
LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zß-öø-ÿ][\w'’-]*")
WORD = re.compile(r"[\w'’-]+")
# "Meret Power, the national grid operator,": an appositive whose head is a body's noun
APPOSITIVE = re.compile(r",\s+(?:the|an?|der|die|das|le|la|l['’]|les|el|los|un|une|una|ein|eine)\s*"
                         r"((?:[\w'’-]+\s+){0,3}[\w'’-]+)\s*[,.;]")
NICKNAMED = re.compile(r"\b([A-ZÀ-Þ][a-zß-ÿ]+)\s+[‘'“\"«„»][^‘’'“”\"«»„\n]{1,30}[’'”\"»“«]\s+([A-ZÀ-Þ][a-zß-ÿ'’-]+)\b")
# an article and a role right before a name: "la procureure, ", "der Trainer "
ARTICLE_ROLE = re.compile(r"\b(le|la|el|der|die)\s+(?:[a-zà-ÿ-]+\s+)?([\w-]+),?\s+(?:(?:Dr|Prof|Me)\.?\s+)?$",
                           re.IGNORECASE)


def article_names_gender(match: re.Match[str], lex: Lexicon) -> bool:
    """'la bióloga Itziar', 'le boulanger Yves', 'die Forscherin Anna': in French and Spanish any noun
    right before a name agrees with the person (not one before a comma: "l'avocat de la laiterie, Me
    X"); in German, where "der" and "die" are also other cases and plurals, only a role or a feminine
    "-in" noun."""
    article, noun = match.group(1), match.group(2)
    if noun.lower() in lex.roles:
        return True
    if "," in match.group(0):
        return False
    if article.lower() in ("le", "la", "el"):
        return noun[:1].islower() and noun.isalpha() and noun not in lex.prepositions
    return article.lower() == "die" and noun[:1].isupper() and noun.endswith("in") and len(noun) > 5


def _after_preposition(doc: str, m: re.Match[str], lex: Lexicon) -> bool:
    """"On Friday, the cardinal …", "In Paris, a spokesman …": an opening phrase, not someone's name."""
    before = WORD.findall(doc, max(0, m.start() - 12), m.start())
    return (bool(before) and before[-1].lower() in lex.prepositions) or m.group(0).split()[0].lower() in \
        lex.prepositions | PLACE_PREPOSITIONS


def role_or_verb_near(doc: str, m: re.Match[str], lex: Lexicon) -> bool:
    """'the mayor, Jane Roe' / 'said Jane Roe' / 'Jane Roe told': a person, whatever the name."""
    before = WORD.findall(doc, max(0, m.start() - 40), m.start())
    # an appositive: "le directeur du musée de Nantes, Jean Roux" - the role may stand a few words back
    several = " " in m.group(0).strip()
    before = before[-6:] if several and doc[max(0, m.start() - 2):m.start()].strip() == "," \
        else before[-1:]
    after = WORD.findall(doc, m.end(), m.end() + 30)[:2]
    if after and after[0].lower() in lex.roles:
        # "the Harbour Band singer": the name only modifies a role; "Ana Gil, singer": an appositive
        return "," in doc[m.end():m.end() + 2]
    if len(after) == 2 and after[0].lower() in lex.determiners and "," in doc[m.end():m.end() + 2] \
            and is_agent(after[1], lex) and m.group(0).split()[-1].lower() not in lex.calendar \
            and not _after_preposition(doc, m, lex):
        return True  # "Yeray Bautista-Ndiaye, un extremo de 19 años", "Ann Roe, a biologist"
    if after and after[0].lower() not in ("has", "had", "also", "then", "hat", "a", "ha"):
        after = after[:1]
    if several and len(before) == 1:  # "el delantero colombiano Brayan Mosquera": a modifier between
        near = list(WORD.finditer(doc, max(0, m.start() - 40), m.start()))
        if len(near) >= 2 and near[-1].group(0).islower() and near[-1].group(0) not in lex.determiners \
                and near[-1].group(0) not in lex.prepositions and not any(
                    c in ",.;:!?" for c in doc[near[-2].end():m.start()]) \
                and is_agent(ELIDED.sub("", near[-2].group(0).lower()), lex):
            return True
    return any(is_agent(ELIDED.sub("", w.lower()), lex) or (several and w.lower() in lex.speech_verbs)
               for w in before) \
        or any(w.lower() in lex.speech_verbs for w in after)


NAMED_AFTER = re.compile(r"[^,.;:\n]{0,40},\s+(?:[A-ZÀ-Þ][\w'’-]+\s+){1,3}")  # "…, Lucía Serrano"
OWNED = re.compile(r"['’]s?\s")
