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
    text = ("Deputy press secretary Karen Holt briefed reporters. Later the deputy press secretary said: "
            '"No decision has been made on the deployment yet."')
    (q,) = extract_quotes(text)
    assert q.speaker == "Karen Holt"


def test_unattributed_follow_on_quote_keeps_the_speaker():
    text = '"The plan failed," said Omar Haddad. "We will try again next spring with more money."'
    assert [q.speaker for q in extract_quotes(text)] == ["Omar Haddad", "Omar Haddad"]
