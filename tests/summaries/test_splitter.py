from summaries.splitter import Tokenizer, split_sentences, words


def test_abbreviations_initials_decimals_and_numbers_do_not_split():
    text = ("Mr. Smith met Dr. J. R. Jones and Sen. Ortiz at 3.5 p.m. on Jan. 4 near St. Paul's. "
            "About 1,000 people came. Gov. Lee left.")
    assert split_sentences(text) == [
        "Mr. Smith met Dr. J. R. Jones and Sen. Ortiz at 3.5 p.m. on Jan. 4 near St. Paul's.",
        "About 1,000 people came.",
        "Gov. Lee left.",
    ]


def test_country_abbreviations_split_only_before_a_sentence_starter():
    assert split_sentences("He moved to the U.S. Army base. It was cold.") == [
        "He moved to the U.S. Army base.", "It was cold."]
    assert split_sentences("She flew to the U.K. The trip was long.") == [
        "She flew to the U.K.", "The trip was long."]


def test_quotes_closing_after_the_period_and_ellipses():
    text = '"It works." Then we left... and more came. ‘Fine,’ said Ann. No. 10 agreed!'
    assert split_sentences(text) == ['"It works."', "Then we left... and more came.",
                                     "‘Fine,’ said Ann.", "No. 10 agreed!"]


def test_line_breaks_are_paragraph_breaks():
    assert split_sentences("Headline here\n\nBody starts. Ends") == ["Headline here", "Body starts.", "Ends"]


def test_words_and_sumy_tokenizer_interface():
    got = words("Don't sell 3.5 well-known U.S. shares.")
    assert got == ["Don't", "sell", "3.5", "well-known", "U.S", "shares"]
    tok = Tokenizer("english")
    assert tok.to_sentences("A b. C d.") == ("A b.", "C d.")
    assert tok.to_words("A b.") == ("A", "b")


def test_spaced_german_abbreviations_and_french_guillemets():
    assert split_sentences("Es gibt z. B. neue Busse. Die Stadt zahlt.") == [
        "Es gibt z. B. neue Busse.", "Die Stadt zahlt."]
    assert split_sentences("Le maire a parlé. « Nous allons construire », a-t-il dit.") == [
        "Le maire a parlé.", "« Nous allons construire », a-t-il dit."]
    assert split_sentences("„Wir sind fertig.“ Dann ging er.") == ["„Wir sind fertig.“", "Dann ging er."]


def test_abbreviations_of_other_languages():
    assert split_sentences("La Sra. Gil llegó tarde. Nadie habló.") == ["La Sra. Gil llegó tarde.", "Nadie habló."]
    assert split_sentences("Sie kam bzw. ging um 10 Uhr. Er blieb.") == ["Sie kam bzw. ging um 10 Uhr.", "Er blieb."]
