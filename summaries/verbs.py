"""Speech verbs per language: the words that make a clause an attribution ("said", "sagte", "a déclaré",
"afirmó"), in the forms news copy uses. A leaf word list, like `firstnames.py`."""

from __future__ import annotations


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())

EN_SPEECH = wordset(
    """said says say saying tell added adds told tells telling asked asks explained explains insisted insists
    warned warns claimed claims described describes describing called calls calling branded brands labelled
    labeled dubbed stated states wrote writes argued argues noted notes declared admitted admits suggested
    replied continued urged announced revealed joked jokes acknowledged stressed commented predicted confirmed
    recalled promised vowed denied denies remarked conceded agreed accused criticised criticized tweeted posted
    responded
    shouted cried whispered boasted complained concluded contended cautioned maintained recounted
    reiterated emphasised emphasized observed laughed sighed quipped dismissed hailed praised condemned
    attacked fumed raged blasted slammed gushed sobbed beamed raved snapped protested pleaded explaining
    adding insisting warning arguing noting recalling admitting telling asking shrugged grinned smiled
    chuckled muttered mused reflected marvelled marveled conceding countered retorted added"""
)

DE_SPEECH = wordset(
    """sagte sagt sagten sagen gesagt erklärte erklärt erklärten betonte betont meinte meint fügte fügt
    ergänzte ergänzt kritisierte kritisiert warnte warnt teilte teilt schrieb schreibt sprach spricht
    berichtete berichtet räumte räumt versicherte versichert kündigte kündigt forderte fordert so
    antwortete antwortet erläuterte erläutert bekräftigte bekräftigt unterstrich unterstreicht
    zitiert zitierte mahnte mahnt nannte nennt bezeichnete bezeichnet schimpfte schimpft klagte klagt
    fragte fragt rief ruft versprach verspricht erzählte erzählt beklagte beklagt lobte lobt gestand
    gesteht resümierte resümiert gab gibt warf wirft gewarnt betont kritisiert gefordert ausgesagt versprochen hieß
    angekündigt heißt ergänzten betonten erklärt räumte gestanden bestätigte bestätigt widersprach
    widerspricht entgegnete entgegnet erwiderte erwidert meinten berichteten lachte lacht seufzte seufzt
    kommentierte kommentiert schilderte schildert verriet verrät urteilte urteilt bilanzierte bilanziert
    appellierte appelliert sprachen"""
)

FR_SPEECH = wordset(
    """dit déclaré déclare affirmé affirme expliqué explique ajouté ajoute réagi réagit estimé estime
    souligné souligne assuré assure indiqué indique confié confie reconnu reconnaît précisé précise
    annoncé annonce insisté insiste lancé lance martelé martèle prévenu prévient raconté raconte
    répondu répond confirmé confirme avertit averti déplore déploré regrette regretté écrit
    dénoncé dénonce jugé juge qualifié qualifie félicité félicitée félicite réjoui réjouie réjouit
    constate constaté salue salué poursuit résume résumé lâche lâché rappelle rappelé glisse glissé
    ironise ironisé promet promis décrit considère concède concédé expliquait disait racontait
    confiait affirmait assurait ajoutait estimait soulignait lançait répétait relève
    relevé nie nié tranche tranché soupire soupiré peste fulmine
    fulminé sourit souri
    détaille détaillé nuance nuancé tempère tempéré plaide plaidé témoigne témoigné admet admis avoue avoué
    rétorque rétorqué réplique répliqué observe observé note noté analyse analysé commente commenté
    conclut conclu reprend repris enchaîne enchaîné souffle soufflé murmure murmuré tonne tonné raille
    raillé confesse confessé argue argué objecte objecté s'exclame exclamé s'indigne indigné s'étonne
    étonné s'inquiète inquiété s'agace agacé s'emporte emporté s'amuse amusé évoque évoqué prévenait
    expliquera ajoutera insistait précisait reconnaissait"""
)

ES_SPEECH = wordset(
    """dijo dice afirmó afirma aseguró asegura explicó explica añadió añade señaló señala indicó indica
    declaró declara sostuvo sostiene advirtió advierte responde respondió comentó comenta reconoció
    reconoce apuntó apunta subrayó subraya insistió insiste manifestó manifiesta agregó agrega
    denunció denuncia admitió admite contó cuenta precisó precisa destacó destaca confesó confiesa
    relata relató dicho calificó califica tildó tilda declarado afirmado asegurado explicado señalado
    indicado añadido advertido reconocido subrayado insistido admitido lamenta lamentó lamentado
    recuerda recordó recordado resume resumió resumido denunciado confesado destacado apuntado comentado
    manifestado promete prometió negó niega habló habla avanzó avanza define definió considera consideró
    sentenció remarcó enfatizó zanjó aseveró asevera
    puntualizó puntualiza
    expresó expresa detalló detalla remató replicó replica opinó opina alertó alerta recalcó recalca aclaró
    aclara matizó matiza ironizó escribió escribe escrito defendió defiende defendido informó informa
    informado"""
)

# The imperfect, common in features ("résumait le capitaine", "explicaba la vecina"): regular forms derived
# from the present (French "-e" → "-ait") and the preterite (Spanish "-ó" → "-aba"), irregular ones listed.
FR_SPEECH = FR_SPEECH | {w[:-1] + "ait" for w in FR_SPEECH if w.endswith("e") and not w.endswith("ée")} | wordset(
    """rappelait annonçait dénonçait concédait relevait nuançait tempérait considérait poursuivait réagissait
    avertissait souriait répondait admettait concluait reprenait promettait écrivait décrivait""")
ES_SPEECH = ES_SPEECH | {w[:-1] + "aba" for w in ES_SPEECH if w.endswith("ó") and not w.endswith("ió")} | wordset(
    """decía sostenía advertía respondía insistía admitía reconocía añadía definía""")
