"""Every word list the summarizer uses, one `Lexicon` per language, in one place: this module and the first
names it reads from `firstnames.py` (neither imports anything else of ours).

The lists are general language knowledge (grammar words, common titles, speech verbs), never names or
phrases from any benchmark article. Attribution works for the languages in `QUOTE_LANGUAGES`; the others
still get summaries, and quotes only where the marks and verbs are shared with a supported language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from .firstnames import FEMALE_NAMES, MALE_NAMES
from .verbs import DE_SPEECH, EN_SPEECH, ES_SPEECH, FR_SPEECH


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Lowercase word sets for one language (multi-word entries joined by one space)."""

    speech_verbs: frozenset[str]
    according_to: tuple[str, ...]  # "according to X", "selon X": the speaker follows, up to a comma
    determiners: frozenset[str]
    prepositions: frozenset[str]  # cut a noun phrase: "Jane Fox at Capital Economics" → "Jane Fox"
    pronouns: dict[str, str]  # subject pronoun → "m" / "f"
    first_person: frozenset[str]
    roles: frozenset[str]  # person role nouns: a description or a prefix to strip from a name
    org_roles: frozenset[str]  # "the company", "the ministry": a body named elsewhere in the article
    titles: frozenset[str]  # "Mr", "Dr", "Herr": dropped from names; some give the gender
    male_titles: frozenset[str]
    female_titles: frozenset[str]
    capitalised_function_words: frozenset[str]  # capitalised at a sentence start, never a name
    object_pronouns: re.Pattern[str] | None = None  # he/his/him/she/her: teaches a name's gender
    male_pronouns: frozenset[str] = frozenset()
    subordinators: frozenset[str] = frozenset()  # "As X spoke, Y said": the opening clause is not the subject
    max_name_words: int = 3  # longer capitalised runs keep their last two names (German capitalises nouns)
    # right before a quoted phrase these make it a name or a term, not somebody's words: the so-called
    # "peace plan", known as "Shorty", the word "resilience"
    naming_cues: frozenset[str] = frozenset()
    calendar: frozenset[str] = frozenset()  # capitalised days and months: "said Tuesday" names no one
    listener_verbs: frozenset[str] = frozenset()  # "told BBC Sport": what follows is the listener, not the speaker
    pro_drop: bool = False  # the subject pronoun is usually left out: a verb alone is "he/she said"
    # after these a speech verb's form is an adjective or a noun: "the promised savings", "la tempête"
    noun_markers: frozenset[str] = frozenset()
    # words of a title of a work that stay lowercase: "Thin Pipes: Infrastructure and Austerity"
    title_small_words: frozenset[str] = frozenset()
    # verb forms of indirect speech (German Konjunktiv I): a sentence in them reports its speaker's words
    reported_speech: frozenset[str] = frozenset()
    capitalises_nouns: bool = False  # German: a capitalised word after an article is any noun, not a name
    incises: bool = False  # French: the attribution may stand inside the marks (« A, rappelle l'élu, B »)
    # endings of agent nouns, so a profession no list holds still marks a person: "biologist", "la bióloga",
    # "die Forscherin"; words that end so but name no one are left out
    agent_endings: tuple[str, ...] = ()
    not_agents: frozenset[str] = frozenset()



_ROLES_EN = wordset(
    """spokesman spokeswoman spokesperson spokespeople source sources official officials secretary minister
    chairman chairwoman chair chief director bishop archbishop cardinal president manager coach boss leader
    head executive analyst economist lawyer attorney prosecutor judge officer inspector commissioner mayor
    governor senator ambassador actress actor singer star presenter host player striker captain winner
    campaigner expert professor chancellor premier founder editor author writer producer designer comedian
    musician rapper teacher doctor nurse scientist researcher resident residents witness neighbour neighbor
    commuter worker driver pilot owner customer student parent mother father wife husband son daughter sister
    brother friend colleague partner councillor mp representative adviser advisor strategist consultant
    historian surgeon paramedic firefighter detective sergeant constable veteran fan fans member members
    organiser organizer trader investor banker novelist artist composer activist volunteer victim survivor
    glaciologist physicist chemist biologist engineer architect planner pensioner shopkeeper farmer
    dad mum hero heroine widow widower tenant landlord journalist reporter pal mate director filmmaker
    manager midfielder defender goalkeeper forward referee coroner magistrate barrister solicitor sheriff
    chairperson treasurer principal headteacher dean registrar counsel defendant claimant plaintiff winger
    full-back centre-back fly-half scrum-half flanker
    grandmother grandfather gran granny grandad nan"""
)
_ORG_ROLES_EN = wordset(
    """company firm bank group ministry department government council committee club agency authority
    party union police army commission board court regulator airline retailer charity university
    school hospital league federation association newspaper embassy operator maker producer supplier provider
    carrier chain lender insurer manufacturer developer broadcaster publisher brand organisation organization
    body institution"""
)
_ROLES_DE = wordset(
    """sprecher sprecherin minister ministerin chef chefin präsident präsidentin vorsitzende vorsitzender
    direktor direktorin trainer trainerin anwalt anwältin experte expertin bürgermeister bürgermeisterin
    kanzler kanzlerin sekretär sekretärin vorstand leiter leiterin analyst analystin ökonom ökonomin
    professor professorin arzt ärztin polizist polizistin augenzeuge augenzeugin bewohner bewohnerin rat rätin
    stadtrat stadträtin abgeordnete abgeordneter held heldin mieter mieterin sänger sängerin spieler
    spielerin kapitän mutter vater landwirt landwirtin gründer gründerin fahrer fahrerin nachbar nachbarin
    schauspieler schauspielerin lehrer lehrerin journalist journalistin moderator moderatorin beamter
    beamtin künstler künstlerin freund freundin volkswirt volkswirtin inhaber inhaberin kunde kundin
    rentner rentnerin richter richterin staatsanwalt staatsanwältin verteidiger verteidigerin
    regisseur regisseurin autor autorin schriftsteller schriftstellerin geschäftsführer geschäftsführerin
    intendant intendantin torwart stürmer verteidiger oppositionsführer oppositionsführerin landrat
    landrätin bürger bürgerin anwohner anwohnerin zeuge zeugin angeklagte angeklagter mitarbeiter mitarbeiterin
    besitzer besitzerin"""
)
_ROLES_FR = wordset(
    """porte-parole ministre maire président présidente directeur directrice secrétaire avocat avocate
    expert experte analyste économiste professeur professeure médecin responsable dirigeant dirigeante
    entraîneur chef cheffe député députée sénateur sénatrice habitant habitante témoin syndicaliste
    commerçant commerçante chanteur chanteuse joueur joueuse capitaine adjoint adjointe fan technicien
    technicienne héros héroïne mère père locataire voisin voisine agriculteur agricultrice policier
    policière salarié salariée élu élue producteur productrice fondateur fondatrice patron patronne
    acteur actrice attaquant attaquante journaliste présentateur présentatrice fonctionnaire artiste ami
    amie infirmier infirmière retraité retraitée juge procureur procureure réalisateur
    réalisatrice cinéaste écrivain écrivaine romancier romancière édile préfet préfète gardien milieu
    défenseur arbitre prévenu prévenue accusé accusée témoin directeur-général inspecteur inspectrice
    commissaire conseiller conseillère élève étudiant étudiante militant militante quadragénaire
    quinquagénaire sexagénaire septuagénaire octogénaire nonagénaire trentenaire comédien comédienne
    ailier talonneur demi-de-mêlée"""
)
_ROLES_ES = wordset(
    """portavoz ministro ministra presidente presidenta alcalde alcaldesa director directora secretario
    secretaria abogado abogada experto experta analista economista profesor profesora médico médica
    responsable dirigente entrenador entrenadora jefe jefa diputado diputada senador senadora vecino
    vecina testigo productor productora jugador jugadora capitán capitana técnico técnica héroe heroína
    cantante actor actriz delantero portero aficionado aficionada padre madre agricultor agricultora
    inquilino inquilina atleta fundador fundadora consejero consejera gobernador gobernadora periodista
    presentador presentadora funcionario funcionaria artista amigo amiga mandatario mandataria jubilado
    jubilada enfermero enfermera fiscal juez jueza magistrado magistrada acusado acusada patrón patrona
    alcalde escritor escritora novelista director cineasta guardameta defensa árbitro concejal concejala
    delegado delegada comisario comisaria inspector inspectora agente militante estudiante alumno alumna
    vecino trabajador trabajadora empresario empresaria propietario propietaria dueño dueña cuarentón
    cuarentona cincuentón cincuentona sexagenario sexagenaria septuagenario septuagenaria octogenario
    octogenaria extremo mediocentro pivote"""
)

_EN = Lexicon(
    speech_verbs=EN_SPEECH | {"pointed out", "went on"},
    listener_verbs=wordset("told tells telling"),
    calendar=wordset("""monday tuesday wednesday thursday friday saturday sunday january february march april
                     may june july august september october november december"""),
    naming_cues=frozenset(["so-called", "so called", "known as", "nicknamed", "codenamed", "code-named", "named",
                           "titled", "entitled", "the word", "the words", "the term", "the phrase", "the slogan",
                           "the hashtag", "the motto", "the label", "the name", "reading", "which read",
                           "emblazoned with", "the title", "headlined", "the headline", "book", "novel",
                           "film", "movie", "album", "song", "series", "documentary", "play", "campaign",
                           "petition", "operation", "programme", "exhibition", "podcast", "motto", "slogan",
                           "tagline", "catchphrase", "hashtag", "labelled", "labeled", "marked", "tagged"]),
    noun_markers=wordset("the a an its his her their our this"),
    title_small_words=wordset("of and the a an in on for to at by with or from"),
    according_to=("according to",),
    determiners=wordset("the a an this that its his her their our"),
    prepositions=wordset("of at for from with in to on by about against near"),
    pronouns={"he": "m", "she": "f"},
    object_pronouns=re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE),
    male_pronouns=wordset("he him his himself"),
    subordinators=wordset("as when while although though if because since after before once until whereas"),
    first_person=wordset("i we me us my our mine ours myself ourselves"),
    roles=_ROLES_EN,
    agent_endings=("ologist", "ician", "ographer", "ist", "eer", "ian"),
    not_agents=wordset("against persist assist christian"),
    org_roles=_ORG_ROLES_EN,
    titles=wordset(
        """mr mrs ms miss dr sir lord lady dame prof professor rev sen senator gov governor rep president
        judge justice cardinal bishop archbishop det insp supt sgt capt captain gen general col chancellor
        mayor councillor cllr father sister rt hon coach chief detective superintendent inspector constable
        secretary minister king queen prince princess"""
    ),
    male_titles=wordset("mr sir lord father king prince duke baron brother"),
    female_titles=wordset("mrs ms miss lady dame sister queen princess duchess baroness"),
    capitalised_function_words=wordset(
        """the a an however but and in on at this that these those there his her its their our after before
        when while if as so yet he she it they we i you meanwhile despite although speaking asked writing
        last next earlier later now today yesterday some many most other one two three under over with
        without for from by also even only still then because since not no yes why what where who how here
        such both each every all any several according responding one resident delighted"""
    ),
)
_DE = Lexicon(
    speech_verbs=DE_SPEECH,
    calendar=wordset("""montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz april mai
                     juni juli august september oktober november dezember"""),
    naming_cues=wordset("""sogenannte sogenannten sogenannter sogenanntes sogenanntem genannt genannte genannten
                        namens motto begriff wort titel stichwort schlagwort slogan aufschrift parole buch roman film
                        album lied serie stück kampagne operation programm ausstellung podcast""")
    | {"so genannte", "so genannten"},
    noun_markers=wordset("ein eine einen einem einer eines"),
    capitalises_nouns=True,  # not der/die: "die sagte" is a relative clause
    # no small words: German capitalises every noun, so "Experiment auf Kosten der Stammkundschaft" is prose
    reported_speech=wordset("sei seien habe haben hätte hätten werde würden könne müsse dürfe solle wolle"),
    according_to=("laut", "zufolge", "nach angaben von"),
    determiners=wordset("der die das den dem des ein eine einen einer einem eines sein seine seinen ihr ihre ihren"),
    prepositions=wordset("von vom bei beim aus für mit im in an am zu zum zur gegen"),
    pronouns={"er": "m", "sie": "f"},
    first_person=wordset("ich wir mich uns mein meine unser unsere"),
    roles=_ROLES_DE,
    agent_endings=("erin", "istin", "loge", "login", "iker", "ikerin", "ler", "lerin", "ist"),
    org_roles=wordset("""unternehmen konzern firma verein ministerium regierung partei polizei verband botschaft
                      behörde stadt gemeinde verwaltung club"""),
    titles=wordset("herr frau dr prof professor"),
    male_titles=wordset("herr"),
    female_titles=wordset("frau"),
    capitalised_function_words=wordset(
        """der die das den dem des ein eine einer einem eines er sie es wir ich man aber und oder in im am
        auf mit nach vor bei seit auch doch dann so wie was wer wo als wenn dass selbst"""
    ),
    max_name_words=2,
    subordinators=wordset("als wenn während nachdem obwohl weil bevor"),
)
_FR = Lexicon(
    speech_verbs=FR_SPEECH,
    naming_cues=wordset("""dit dite dits dites surnommé surnommée surnommés surnommées baptisé baptisée baptisés
                        baptisées nommé nommée intitulé intitulée mot terme expression formule slogan devise
                        titre roman livre film album chanson série pièce documentaire long-métrage opération
                        campagne programme exposition podcast"""),
    incises=True,
    noun_markers=wordset("un une son sa ses leur cette"),  # not le/la/les/l': also pronouns ("la qualifie")
    title_small_words=wordset("le la les l' de du des d' et à au aux en un une sur pour"),
    according_to=("selon", "d'après", "pour"),
    determiners=wordset("le la les l' un une son sa ses leur"),
    prepositions=wordset("de du des d' à au aux chez pour avec dans sur en"),
    pronouns={"il": "m", "elle": "f"},
    subordinators=wordset("quand lorsque alors si comme après avant bien parce"),
    first_person=wordset("je nous me mon ma mes notre nos j'"),
    roles=_ROLES_FR,
    agent_endings=("logue", "iste", "trice", "euse", "cheur"),
    org_roles=wordset("""entreprise société groupe ministère gouvernement parti police syndicat mairie ambassade
                      organisme établissement préfecture club"""),
    titles=wordset("m mme mlle dr pr me maître"),
    male_titles=wordset("m"),
    female_titles=wordset("mme mlle"),
    capitalised_function_words=wordset(
        """le la les l un une il elle ils elles nous je on mais et ou en dans pour avec selon depuis
        après avant quand si ce cette ces"""
    ),
)
_ES = Lexicon(
    speech_verbs=ES_SPEECH,
    naming_cues=wordset("""llamado llamada llamados llamadas denominado denominada denominados denominadas
                        apodado apodada bautizado bautizada titulado titulada palabra término expresión lema
                        eslogan rezaba novela libro película disco canción serie obra documental operación
                        campaña programa exposición pódcast""")
    | {"conocido como", "conocida como", "conocidos como", "conocidas como", "se leía", "se lee",
       "bautizado como", "bautizada como", "denominado como", "denominada como"},
    noun_markers=wordset("el un una su sus"),  # not la/los/las: also pronouns ("la define como")
    title_small_words=wordset("el la los las de del y en a al un una por para con"),
    according_to=("según", "de acuerdo con", "para"),
    determiners=wordset("el la los las un una su sus"),
    prepositions=wordset("de del a al en con para por desde"),
    pronouns={"él": "m", "ella": "f"},
    pro_drop=True,
    subordinators=wordset("cuando mientras si aunque porque tras como"),
    first_person=wordset("yo nosotros nosotras me mi mis nuestro nuestra"),
    roles=_ROLES_ES,
    agent_endings=("ólogo", "óloga", "ista", "dor", "dora", "ífico", "ífica"),
    not_agents=wordset("revista entrevista conquista ordenador comedor corredor mostrador"),
    org_roles=wordset("""empresa compañía grupo ministerio gobierno partido policía sindicato ayuntamiento embajada
                      entidad organismo club"""),
    titles=wordset("sr sra srta don doña dr dra"),
    male_titles=wordset("sr don"),
    female_titles=wordset("sra srta doña"),
    capitalised_function_words=wordset(
        """el la los las un una él ella ellos ellas nosotros yo pero y o en con para según desde tras
        después antes cuando si este esta estos estas su sus"""
    ),
)

LEXICONS: dict[str, Lexicon] = {"english": _EN, "german": _DE, "french": _FR, "spanish": _ES}
QUOTE_LANGUAGES: tuple[str, ...] = tuple(LEXICONS)

# Quote marks: an opener and the closers it pairs with. Straight double quotes are decided by context.
OPENERS = "“„«»‘‚「『"
PAIRS = {"“": "”", "„": "“”", "«": "»", "»": "«", "‘": "’", "‚": "‘’", "「": "」", "『": "』"}
DASHES = "—–"

# Sentence splitter: words ending in a period that rarely end a sentence, in any language we read.
ABBREVIATIONS = wordset(
    """mr mrs ms dr sen gov rep st jan feb mar apr jun jul aug sep sept oct nov dec no nos vs v prof gen
    col lt sgt capt cmdr adm maj brig jr sr inc corp co ltd mt ft rev hon fig approx dept est vol pp
    messrs mme mlle gens reps sens supt insp det cpl pte pvt ave blvd rd op ed cf al e.g i.e u.s u.k u.n
    u.s.a d.c l.a n.y a.m p.m etc
    bzw ca evtl ggf inkl nr str vgl z.b u.a d.h usw bzw dipl
    mme av env cf art p ex
    sra srta dra ud uds pág núm aprox"""
)
# Abbreviations that do end a sentence when a typical sentence opener follows.
SENTENCE_FINAL_ABBREVIATIONS = wordset("a.m p.m inc co ltd corp jr sr etc usw u.s u.k u.n u.s.a d.c l.a n.y")
SENTENCE_STARTERS = wordset(
    """The A An He She It They We I But And In On At This That These Those There His Her Its Their Our After
    Before When While If As So Yet Der Die Das Er Sie Es Wir Le La Les Il Elle Nous El Los Las Ella"""
)

# First names by usual gender: common given names across Europe (general knowledge, for pronoun agreement).
_GENERIC = LEXICONS["english"]


@cache
def lexicon(language: str) -> Lexicon:
    """The lexicon for a normalised language name; languages without one share English's grammar words."""
    return LEXICONS.get(language, _GENERIC)


def first_name_gender(word: str) -> str | None:
    w = word.lower()
    if w not in MALE_NAMES and w not in FEMALE_NAMES and not w.isascii():  # "Hélène" as "helene"
        w = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
    return "m" if w in MALE_NAMES else "f" if w in FEMALE_NAMES else None

# Words that make a capitalised run an organisation, event or work rather than a person (any language).
ORG_WORDS = wordset(
    """Act Agency Airlines Airport Alliance Association Authority Awards Bank Bill Board Books Bureau Capital
    Championship Church Club College Commission Committee Company Conference Congress Corporation Council
    Court Cup Department Economics Energy Exchange Executive Federation Festival Foundation Fund Games
    Government Group Holdings Hospital House Inc Institute League Ltd Markets Ministry Museum Network News
    Office Organisation Organization Parliament Partners Partnership Party Police Press Radio Railways
    Reserve Research School Securities Service Services Shipping Society Street Team Times Trust Union
    United University Bund Verband Ministerium Partei Verein Zeitung Gewerkschaft Regierung Bundesregierung
    Ministère Syndicat Gouvernement Assemblée Ministerio Gobierno Asociación Sindicato Consejo Ayuntamiento
    Reuters AFP AP EFE BBC CNN dpa Autoridad Banco Caja Agencia Instituto Universidad Fundación Tribunal
    Audiencia Comisión Consejería Junta Diputación Federación Confederación Banque Agence Institut Université
    Fondation Cour Commission Conseil Fédération Confédération Préfecture Mairie Caisse Société Sparkasse
    Agentur Institut Universität Stiftung Gericht Landgericht Amtsgericht Kommission Behörde Landesamt
    Bundesamt Feuerwehr GmbH AG FC CF SC SV TSV VfB VfL SpVgg TuS
    TSG SSV FSV MSV VfR SG CD UD SD AS Eintracht Borussia Fortuna Deportivo
    Atlético Sporting Olympique Racing Real Unión Athletic Rovers Wanderers Albion Hotspur Dynamo Juventus Rail Railway
    Air Airways Water Gas Power Electric Telecom Foods Motors Pharma Logistics Media Systems Technologies
    Solutions Labs Insurance Estates Properties Homes Developments Brewery Bakery Farms Coordinación Dirección
    Secretaría Fiscalía Procuraduría Defensoría Concejo Alcaldía Gobernación Generalitat Xunta Cabildo
    Delegación Subdelegación Consorcio Mancomunidad Confederación Plataforma Direction Parquet Rectorat Chambre
    Collectif Bahn Stadtwerke Landratsamt Staatsanwaltschaft Rathaus Inspectorate Directorate Tribunal"""
)
# Public bodies: "the company said" never means one of these.
PUBLIC_BODY_WORDS = wordset(
    """Council Ministry Government Parliament Court Police Commission Committee University School Hospital Party
    Church Assembly Senate Congress Army Navy Ministerium Regierung Gericht Polizei Parlament Ministère
    Gouvernement Assemblée Tribunal Ministerio Gobierno Congreso Senado Ayuntamiento Policía Audiencia"""
)
# Grammar words the attribution rules share, all languages together.
# the verbs after which a sentence's opening noun phrase is its subject: "The veteran skipper was blunt."
DESCRIPTION_VERBS = wordset("was is had has shrugged war ist hat était est a estaba está era es ha")
# the definite articles and the gender they give the noun after them ("la sexagénaire", "der Torschütze")
ARTICLE_GENDER: dict[str, str | None] = {"the": None, "le": "m", "la": "f", "der": "m", "die": "f", "el": "m"}
# words that open a clause after a quotation without being its verb
CLAUSE_OPENERS = wordset("""and but or because as while when which who that so then y pero porque que cuando et mais
    car quand qui und aber weil denn als wenn dass sagt""")
# the conjunctions that join two verbs of one subject ("… kündigte an, …, und betonte:")
COORDINATORS = frozenset(["and", "und", "et", "y"])
# auxiliaries and adverbs that may stand between a subject or a quotation and the speech verb
AUXILIARIES = frozenset(["a", "ha", "has", "had", "have", "hat", "hatte", "habe", "then", "also", "later"])
# the small words inside a body's name: "portavoz del Puerto de Almar"
NAME_PARTICLES = frozenset(["of", "de", "del", "des", "du", "von", "la"])
TEAM_NOUNS = wordset("team équipe equipo mannschaft formation escuadra")  # "l'équipe Cycles Armorique"
# words before a capitalised run that make it a place
PLACE_ONLY_WORDS = wordset("in across near into around outside inside throughout aus nach dans desde")

# Before a capitalised run these make it a place or an object, not someone who speaks.
PLACE_PREPOSITIONS = wordset(
    "in from at near to into across around outside inside aus nach en à dans vers desde hacia")
# "told the Courier", "sagt zu RADIO NORD", "a los micrófonos de X": after "the singer said" a listener, not a
# modifier of the role.
LISTENER_PREPOSITIONS = wordset("to zu gegenüber à au aux a al")
# Roles that stand for an unnamed speaker: never resolved to a named person.
ANONYMOUS_ROLES = wordset(
    "spokesman spokeswoman spokesperson source sources official officials sprecher sprecherin porte-parole portavoz")
# "the company said": the organisation the article named, not the word.
COMPANY_NOUNS = wordset(
    """company firm group bank club airline retailer charity unternehmen konzern firma entreprise société groupe
    empresa compañía grupo entidad organismo organisme établissement behörde organisation organization
    institution""")
