import time

import pytest

import summaries
from summaries import ALGORITHMS, summarize

ARTICLE = ("The council approved a 4.5 million dollar library on Monday. The library will open in 2027. "
           '"It is a great day," said Mayor Ana Ruiz. Parking will be free. Work starts in May. '
           "Critics said the cost was too high.")


def test_algorithms_tuple_shape():
    assert ALGORITHMS[0] == "default" and {"lexrank", "textrank", "lsa", "luhn", "edmundson", "kl",
                                           "sumbasic", "reduction"} <= set(ALGORITHMS)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_returns_article_sentences_in_order(algorithm):
    s = summarize(ARTICLE, bullets=2, algorithm=algorithm)
    assert len(s.bullets) == 2 and all(b in ARTICLE for b in s.bullets)
    assert sorted(s.bullets, key=ARTICLE.index) == list(s.bullets)


def test_empty_tiny_and_huge_inputs():
    empty = summarize("")
    assert empty.bullets == () and empty.word_count == 0 and empty.reduction == 0.0
    tiny = summarize("Only one sentence here.")
    assert tiny.bullets == ("Only one sentence here.",) and tiny.reading_minutes == 1
    huge = ARTICLE * (500_000 // len(ARTICLE))
    t0 = time.perf_counter()
    s = summarize(huge)
    assert time.perf_counter() - t0 < 5 and len(s.bullets) == 3


def test_documented_errors():
    with pytest.raises(TypeError):
        summarize(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="english"):
        summarize(ARTICLE, language="klingon")
    with pytest.raises(ValueError):
        summarize(ARTICLE, bullets=-1)
    with pytest.raises(ValueError):
        summarize(ARTICLE, algorithm="magic")
    assert summarize(ARTICLE, language="fr").language == "french"
    assert "german" in summaries.SUPPORTED_LANGUAGES


def test_edmundson_reads_the_title():
    text = ("The harbour board met on Monday to discuss the annual budget. "
            "Members approved new lighting for the car park. "
            "The old lighthouse will be restored with a grant of 2 million pounds. "
            "The meeting ended early because of the weather. "
            "Fishing quotas were not discussed at the meeting.")
    without = summarize(text, bullets=1, algorithm="edmundson").bullets
    with_title = summarize(text, bullets=1, algorithm="edmundson", title="Old lighthouse to be restored").bullets
    assert with_title == ("The old lighthouse will be restored with a grant of 2 million pounds.",)
    assert without != with_title


def test_a_short_phrase_nobody_is_credited_with_is_not_a_quote_but_a_long_one_is():
    text = ("The contest asked robots to cross a mock collapsed building, find three \"survivors\" and report "
            "back without a driver. Organisers were pleased with the turnout this year.\n\n"
            "\"Nobody expected a school team to get anywhere near the final round this season.\"")
    quotes = summarize(text, bullets=1).quotes
    long = "Nobody expected a school team to get anywhere near the final round this season."
    assert [q.text for q in quotes] == [long]
    assert quotes[0].speaker is None
