from summaries import extract_quotes
from summaries.quotes import find_spans, is_quotation, quote_text


def test_multi_paragraph_quote_is_one_quote():
    paras = ['Ann Lee said: "First part.', '"Second part," she added.']
    spans = find_spans(paras)
    assert len(spans) == 1 and quote_text(spans[0]) == "First part. Second part,"


def test_flattened_paragraphs_with_reopened_marks():
    text = 'He said: "We lost. "We will be back next year," he said.'
    assert [q.text for q in extract_quotes(text)] == ["We lost. We will be back next year,"]


def test_scare_quotes_and_titles_are_not_quotes():
    assert not is_quotation("megaband", 'They formed a successful "megaband" with friends.')
    assert not is_quotation("The Night Harbour", 'She starred in "The Night Harbour" for years.')
    assert is_quotation("badly drawn", 'The architect described the plan as "badly drawn".')


def test_curly_single_quotes_and_apostrophes():
    text = "‘I’d be delighted to win it,’ said Ross Imrie, Dunmore’s manager."
    (q,) = extract_quotes(text)
    assert q.text == "I’d be delighted to win it," and q.speaker == "Ross Imrie"


def test_quote_split_by_attribution_is_joined():
    text = 'Maria Diaz runs the lab. "We ran out on day nine," she added, "and had to borrow stock."'
    (q,) = extract_quotes(text)
    assert q.text == "We ran out on day nine, and had to borrow stock." and q.speaker == "Maria Diaz"


def _texts(text: str, language: str = "english") -> list[str]:
    return [q.text for q in extract_quotes(text, language)]


def test_scare_quotes_stay_narration_even_when_the_sentence_has_a_speech_verb():
    # the verb credits the clause it closes, not a word quoted inside a noun phrase
    assert _texts('He arrived in his "lucky" boots, his manager said.') == []
    assert _texts('The "experts" got it wrong again, Jane Roe said in a speech.') == []
    assert _texts('The council\'s "temporary" car park has been open for nine years, residents said.') == []
    assert _texts('The "Yes" campaign said it was confident.') == []
    assert _texts('Rescuers reached the so-called “survivors” on Tuesday, officials said.') == []
    assert _texts('The so called "experts" were wrong, Jane Roe said.') == []


def test_names_and_terms_after_a_naming_cue_are_not_quotes():
    assert _texts('Police said the man, known as "Shorty", was arrested at his home.') == []
    assert _texts('The word "resilience" appears 40 times in the report, she said.') == []
    assert _texts("Der sogenannte »Wumms« kam zu spät, sagte Anna Roth.", "german") == []
    assert _texts("Unter dem Motto „Mehr Bus“ demonstrierten Tausende, sagte die Polizei.", "german") == []
    assert _texts("Le plan dit « de la dernière chance » a été rejeté.", "french") == []
    assert _texts("Le projet baptisé « Horizon » a été abandonné, a dit Paul Roux.", "french") == []
    assert _texts("La llamada « ley mordaza » fue derogada, dijo Ana Gil.", "spanish") == []
    assert _texts("El plan, conocido como « Plan Sur », fue aprobado, dijo Ana Gil.", "spanish") == []


def test_short_quotes_credited_by_the_sentence_are_quotes():
    assert [(q.text, q.speaker) for q in extract_quotes('Jane Roe said the plan was "reckless".')] == [
        ("reckless", "Jane Roe")]
    assert [(q.text, q.speaker) for q in extract_quotes('It was a "disaster", Jane Roe said.')] == [
        ("disaster", "Jane Roe")]
    assert _texts('"Our work is done," Jane Roe said.') == ["Our work is done,"]
    # a lede reported as a whole: its quoted words are the source's
    assert [(q.text, q.speaker) for q in extract_quotes(
        'Rail fares will rise by a "shocking" 5% next year, campaigners have warned.')] == [
        ("shocking", "campaigners")]


def test_describing_verbs_credit_short_quotes_in_every_language():
    assert [(q.text, q.speaker) for q in extract_quotes(
        "Anna Roth nannte den Plan „unverantwortlich“.", "german")] == [("unverantwortlich", "Anna Roth")]
    assert [(q.text, q.speaker) for q in extract_quotes(
        "Le ministre Paul Roux a jugé la situation « préoccupante ».", "french")] == [("préoccupante", "Paul Roux")]
    assert [(q.text, q.speaker) for q in extract_quotes(
        "Ana Gil calificó la situación de « grave ».", "spanish")] == [("grave", "Ana Gil")]


def test_a_colon_or_a_whole_sentence_in_the_marks_makes_a_short_quote():
    assert [(q.text, q.speaker) for q in extract_quotes('Jane Roe: "We will appeal."')] == [
        ("We will appeal.", "Jane Roe")]
    assert [(q.text, q.speaker) for q in extract_quotes("Jean Roux : « On ne lâchera rien. »", "french")] == [
        ("On ne lâchera rien.", "Jean Roux")]
    assert _texts('The sign on the door read "Closed".') == []


def test_a_quotation_does_not_run_across_a_headline_line_inside_the_body():
    from summaries import summarize

    text = ('Jane Roe said: "We will rebuild the bridge, and we will do it properly.\nMore on this story\n'
            'We will open it again by May next year."')
    flat = " ".join(text.split())
    for quotes in (summarize(text).quotes, extract_quotes(text)):
        assert [q.text for q in quotes] == ["We will rebuild the bridge, and we will do it properly."]
        assert all(q.text in flat for q in quotes)
    # the case hypothesis found: a quote whose parts straddled a dropped line
    assert all(q.text in ("0 0 a ’", "1") for q in summarize('"0 0 a ’\n0\n1"', bullets=0).quotes)
