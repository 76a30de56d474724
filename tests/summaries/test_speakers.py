from summaries import extract_quotes


def test_attribution_patterns():
    text = ('Jane Roe, head of research at Acme, said: "Prices will rise." '
            '"Demand is strong," said John Smith. "Supply is not," Mr Smith said.')
    got = [(q.text, q.speaker) for q in extract_quotes(text)]
    assert got == [("Prices will rise.", "Jane Roe"), ("Demand is strong,", "John Smith"),
                   ("Supply is not,", "John Smith")]


def test_pronoun_resolved_by_gender_between_two_candidates():
    text = ("Mrs Alice Brown met Peter Gray on Monday. Mr Gray spoke first. "
            '"We need a deal," she said. "I agree," he added.')
    assert [q.speaker for q in extract_quotes(text)] == ["Alice Brown", "Peter Gray"]


def test_title_mention_resolves_to_fullest_name():
    text = ("Port director Karen Holt briefed reporters. Later the port director said: "
            '"No decision has been made on the deployment yet."')
    (q,) = extract_quotes(text)
    assert q.speaker == "Karen Holt"


def test_unattributed_follow_on_quote_keeps_the_speaker():
    text = '"The plan failed," said Omar Haddad. "We will try again next spring with more money."'
    assert [q.speaker for q in extract_quotes(text)] == ["Omar Haddad", "Omar Haddad"]


def test_said_title_surname_gives_fullest_name():
    text = 'Dr Helen Brook runs the clinic in Leeds. "We are full every single night," said Dr Brook.'
    assert [q.speaker for q in extract_quotes(text)] == ["Helen Brook"]


def test_role_phrase_resolves_to_named_person():
    text = ("The Governor of Norland, Sir Peter Hall, praised the book. "
            'Later the Governor said: "It is a fine read for a winter evening."')
    assert [q.speaker for q in extract_quotes(text)] == ["Peter Hall"]


def test_organisation_speaker():
    text = '"Prices will rise again next year," the Northfield Trading Company said in a statement.'
    assert [q.speaker for q in extract_quotes(text)] == ["Northfield Trading Company"]


def test_multi_paragraph_quote_keeps_one_speaker():
    text = 'Ann Lee said: "The first part of the plan is done.\n\n"The second part starts in May," she added.'
    (q,) = extract_quotes(text)
    assert q.text == "The first part of the plan is done. The second part starts in May," and q.speaker == "Ann Lee"


def test_continuation_paragraph_keeps_previous_speaker():
    text = ('"We will win this," said Tom Reed.\n\n'
            '"The fans deserve it and we owe them a great deal this season."')
    assert [q.speaker for q in extract_quotes(text)] == ["Tom Reed", "Tom Reed"]


def test_a_lone_surname_right_after_the_speech_verb_is_the_speaker():
    from summaries import extract_quotes

    assert [q.speaker for q in extract_quotes('"We will win," said Smith.')] == ["Smith"]
    assert [q.speaker for q in extract_quotes('"We will win," said Mr Smith.')] == ["Smith"]
    assert [q.speaker for q in extract_quotes("„Wir schaffen das“, sagte Merkel im Jahr 2015.", "german")] == [
        "Merkel"]
    # a day is never a speaker
    assert [q.speaker for q in extract_quotes('"We will win," said Tuesday.')] == [None]


def test_the_listener_of_told_is_never_the_speaker():
    from summaries import extract_quotes

    text = 'Jane Roe, 24, won the 10,000m on Sunday. "I feel great," the 24-year-old told BBC Sport.'
    assert [q.speaker for q in extract_quotes(text)] == ["Jane Roe"]
    assert [q.speaker for q in extract_quotes('"I feel great," the winner told BBC Sport.')] != ["Sport"]
    assert [q.speaker for q in extract_quotes('"We will win," Jane Roe told reporters.')] == ["Jane Roe"]


def test_perfect_tense_and_reflexive_speech_verbs_in_french_and_spanish():
    from summaries import extract_quotes

    fr = "La maire, Anne Hidalgo, était ravie. « C’est une victoire », s’est félicitée la maire mardi soir."
    assert [(q.text, q.speaker) for q in extract_quotes(fr, "french")] == [("C’est une victoire", "Anne Hidalgo")]
    es = "«Es un día histórico», ha declarado la presidenta, Ana Gil, este martes."
    assert [(q.text, q.speaker) for q in extract_quotes(es, "spanish")] == [("Es un día histórico", "Ana Gil")]


def _pairs(text: str, language: str = "english") -> list[tuple[str, str | None]]:
    from summaries import extract_quotes

    return [(q.text, q.speaker) for q in extract_quotes(text, language)]


def test_according_to_credits_a_short_quote_and_names_its_speaker():
    assert _pairs("Laut Innenministerin Petra Wolf ist die Lage „unter Kontrolle“.", "german") == [
        ("unter Kontrolle", "Petra Wolf")]
    assert _pairs("Según la ministra, Carmen Vidal, la medida es «temporal».", "spanish") == [
        ("temporal", "Carmen Vidal")]
    assert _pairs("« Il faut agir vite », selon le maire de Lyon, Paul Ferrand.", "french") == [
        ("Il faut agir vite", "Paul Ferrand")]


def test_live_blog_timestamp_and_lowercase_listener_are_not_the_speaker():
    assert _pairs('LIVE: 10:15 Chancellor Rachel Hart: "Growth is back."') == [("Growth is back.", "Rachel Hart")]
    assert _pairs("«Estamos muy preocupados», reconoció a este diario una portavoz del hospital.", "spanish") == [
        ("Estamos muy preocupados", "portavoz del hospital")]
    assert _pairs('A spokesman for the council said: "Bins will be collected on Friday."') == [
        ("Bins will be collected on Friday.", "spokesman for the council")]
    assert _pairs("»Das ist ein Skandal«, schimpfte Verbandschef Uwe Kranz.", "german") == [
        ("Das ist ein Skandal", "Uwe Kranz")]
