"""Coreference rules behind speaker attribution, each on a small invented example."""

from summaries import extract_quotes
from summaries.coref import Index


def _mention(index: Index, text: str):
    return next(m for m in index.mentions if m.text == text)


def test_bare_place_is_not_a_person_but_bare_surname_is():
    index = Index("Alcohol Focus Scotland warned of risks. Drinking in Scotland rose. "
                  "Zubin Okafor joined the board. Okafor said it was fine.")
    assert "Scotland" not in index.person_keys
    assert "Okafor" in index.person_keys


def test_acronym_place_does_not_win_a_pronoun():
    text = ("Overall UK exports rose. The UK gained, and the UK trade gap narrowed. "
            "Tom Hale, UK economist at Fenwick Bank, said the data was strong. "
            'However, he warned that risks remained. "The trend is still poor," he said.')
    assert [q.speaker for q in extract_quotes(text)] == ["Tom Hale"]


def test_names_inside_a_reopened_quotation_are_not_speakers():
    text = ('Ann Berry said: "It is a mess. "Nobody planned it," she warned. '
            "Outlining his plan, Mr Dan Kemp said commissioners would help. "
            '"The commissioner will have real powers," he told the radio.')
    assert [q.speaker for q in extract_quotes(text)][-1] == "Dan Kemp"


def test_subject_after_opening_phrase_and_not_after_according_to():
    index = Index("On Friday, Tom Reed will speak. He and the Archbishop of York agreed. "
                  "According to Ian Hope, Sam Cole left.")
    assert index._subject(_mention(index, "Tom Reed"))
    assert not index._subject(_mention(index, "the Archbishop of York"))
    assert not index._subject(_mention(index, "Sam Cole"))


def test_role_appositive_must_be_a_person():
    text = ("Cardinal Luis Ortega spoke on the radio. The cardinal used a Christmas message to call for peace. "
            'He added: "Peace is possible in our lifetime."')
    assert [q.speaker for q in extract_quotes(text)] == ["Luis Ortega"]


def test_participle_attribution_goes_to_the_clause_subject():
    text = ('Prime Minister Dan Hale has defended the Gambling Act, saying it protects a "vulnerable minority" '
            "of players.")
    assert [q.speaker for q in extract_quotes(text)] == ["Dan Hale"]


def test_capitalised_body_is_not_resolved_as_a_role():
    text = ("Critics attacked the remark made by Ian Dunn on Monday. But the Welsh Executive has insisted "
            'Mr Dunn meant adults and his comments were "a recognition that people make mistakes".')
    assert [q.speaker for q in extract_quotes(text)] == ["Welsh Executive"]


def test_lede_credited_to_a_group():
    text = 'Bus use showed a "sharp winter dip" in March, operators have said.\n\nFares rose by 3%.'
    assert [q.speaker for q in extract_quotes(text)] == ["operators"]


def test_lede_it_has_been_claimed_takes_the_next_paragraphs_speaker():
    text = ('New parks will be kept "quiet and green", it has been suggested.\n\n'
            "Planning Minister Rosa Lind said the rules would be strict. Councils welcomed the plan.")
    assert [q.speaker for q in extract_quotes(text)] == ["Rosa Lind"]
