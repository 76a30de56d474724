"""Attribution rules added in session 19, each from the structure of a sentence. Invented text with names
that appear in no dataset."""

from summaries import extract_quotes


def quotes(text: str, language: str = "english") -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in extract_quotes(text, language)]


def test_a_french_incise_closing_a_sentence_inside_the_marks_is_cut_out():
    text = ("Le conseil municipal a voté lundi. « Nous allons reconstruire, a déclaré Odile Frémiot. "
            "Cela prendra des années. »")
    assert quotes(text, "french") == [("Nous allons reconstruire. Cela prendra des années.", "Odile Frémiot")]


def test_a_french_inverted_incise_with_a_complement_and_a_full_stop():
    text = ("Odile Frémiot est arrivée tôt. « Nous allons reconstruire, a-t-elle déclaré à la presse. "
            "Cela prendra des années. »")
    assert quotes(text, "french") == [("Nous allons reconstruire. Cela prendra des années.", "Odile Frémiot")]


def test_the_apposition_after_a_french_incise_goes_with_it():
    text = ("Le maire a parlé. « Nous tiendrons, a déclaré Odile Frémiot, la présidente. "
            "Le reste suivra. »")
    assert quotes(text, "french") == [("Nous tiendrons. Le reste suivra.", "Odile Frémiot")]


def test_a_body_named_with_a_preposition_is_the_subject():
    text = ("La geóloga Irati Zubeldia habló primero. La Consejería de Medio Rural asegura en una nota que "
            "mantiene «un compromiso firme con los pastores» este año.")
    assert quotes(text, "spanish") == [("un compromiso firme con los pastores", "Consejería de Medio Rural")]
    text = 'Tom Reddle spoke first. The University of Wexmoor said it was "deeply concerned".'
    assert quotes(text) == [("deeply concerned", "University of Wexmoor")]


def test_a_person_named_with_a_preposition_is_still_cut_at_it():
    text = 'Economist Priya Vantongeren at Harlow Capital said: "Rates will fall."'
    assert quotes(text) == [("Rates will fall.", "Priya Vantongeren")]
    text = ('The Institute for Coastal Studies director, Osric Penhallow, told reporters: "The numbers do '
            'not add up."')
    assert quotes(text) == [("The numbers do not add up.", "Osric Penhallow")]


def test_a_profession_no_list_holds_still_marks_a_person_and_her_gender():
    text = ("Fermín Olazagoitia habla poco. La bióloga Itziar Urkiola acompaña al rebaño. «No es folclore, es "
            "ecología», advierte la investigadora.")
    assert quotes(text, "spanish") == [("No es folclore, es ecología", "Itziar Urkiola")]


def test_a_noun_before_a_comma_does_not_give_the_name_after_it_a_gender():
    text = ("La procureure, Maëlle Corbineau, a requis la relaxe. L'avocat de la laiterie, Me Fulbert "
            "Quentel, a annoncé un appel. « Ce jugement est injuste », a-t-il déclaré.")
    assert quotes(text, "french") == [("Ce jugement est injuste", "Fulbert Quentel")]


def test_the_name_after_a_french_incise_goes_with_it():
    text = ("Le village perd son épicerie. « J'ai 71 ans, mon dos ne suit plus, explique le propriétaire, "
            "Ovide Tremblay-Roux. Personne n'en veut. »")
    assert quotes(text, "french") == [("J'ai 71 ans, mon dos ne suit plus. Personne n'en veut.",
                                       "Ovide Tremblay-Roux")]


def test_someone_introduced_by_role_alone_is_who_a_pronoun_means():
    text = ('"The bus leaves at six," said Corliss Vandermeer, a farmer. Another parent, who asked not to be '
            'named because her husband works for the district, said she was angry. "I will not put a child '
            'on that bus," she said.')
    assert quotes(text)[-1] == ("I will not put a child on that bus,", "parent")


def test_a_relative_who_speaks_is_the_one_the_article_names():
    text = ('"He never left a player without cash," said Ansel Prokop, a clarinettist. He is survived by his '
            'daughter, Wilhelmina Stroud. His daughter said her father practised daily. "The fingers forget," '
            'she said.')
    assert quotes(text)[-1] == ("The fingers forget,", "Wilhelmina Stroud")


def test_german_bodies_are_compounds_and_keep_their_genitive_or_place():
    text = ("Die Ärztin Ilse Brunnhuber warnte. Das Gesundheitsamt des Kreises Talbach kündigte an, die Daten "
            "„sorgfältig zu prüfen“.")
    assert quotes(text, "german") == [("sorgfältig zu prüfen", "Gesundheitsamt des Kreises Talbach")]
    text = ("Bürgermeister Kilian Aufhauser war dagegen. Der Bund Naturschutz in Franken begrüßte den Vorstoß, "
            "mahnte aber, Schutzgebiete dürften „nicht zur Verhandlungsmasse werden“.")
    assert quotes(text, "german") == [("nicht zur Verhandlungsmasse werden", "Bund Naturschutz in Franken")]


def test_a_statement_of_the_union_named_before_is_the_unions():
    text = ("Auch die Industriegewerkschaft Feinwerk kündigte Widerstand an. In einer Erklärung der Gewerkschaft "
            "hieß es: „Wir werden um jeden Arbeitsplatz kämpfen.“")
    assert quotes(text, "german") == [("Wir werden um jeden Arbeitsplatz kämpfen.", "Industriegewerkschaft Feinwerk")]


def test_a_modifier_between_the_role_and_the_name_still_marks_a_person():
    text = ("El técnico argentino Genaro Villafañe no escondió su molestia. El delantero colombiano Yeison "
            "Murillo Asprilla dedicó el gol a su madre. “Ella estaba en la tribuna”, dijo el atacante.")
    assert quotes(text, "spanish") == [("Ella estaba en la tribuna", "Yeison Murillo Asprilla")]
