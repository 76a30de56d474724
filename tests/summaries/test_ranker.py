from summaries.language import stemmer, stop_words
from summaries.ranker import rank

STEM, STOP = stemmer("english"), stop_words("english")


def test_prefers_lead_facts_over_quote_heavy_and_fragments():
    sents = [
        "The city council approved a 4.5 million dollar budget for the new Riverside library on Monday.",
        '"It is wonderful, just wonderful, truly wonderful," said one visitor.',
        "Wow.",
        "The Riverside library will open in 2027 and hold 120,000 books, the council said.",
        "Weather was mild.",
        "Some residents walked dogs nearby in the afternoon sun.",
    ]
    picked = rank([sents], 2, STEM, STOP)
    assert picked == [0, 3]


def test_near_duplicates_are_dropped():
    a = "The Riverside library will open in 2027 with 120,000 books, officials said."
    sents = [a, a.replace("officials said", "officials confirmed"),
             "The budget was approved by the council on Monday.",
             "Parking near the library will be free for the first month."]
    picked = rank([sents], 2, STEM, STOP)
    assert 0 in picked and 1 not in picked


def test_short_documents_return_everything_in_order():
    assert rank([["One.", "Two."]], 3, STEM, STOP) == [0, 1]


def test_overlong_glued_sentence_loses_to_a_concise_one():
    long_blob = ("The Riverside library mayor council budget opening crowd ribbon books shelves readers "
                 "children families volunteers staff architects builders neighbours visitors reporters "
                 "photographers officials guests musicians teachers students parents pupils librarians "
                 "donors critics the Riverside library opened on Monday with 120,000 books.")
    sents = [
        "The Riverside library opened on Monday with 120,000 books.",
        "The council approved its 4.5 million dollar budget last year.",
        long_blob,
        "Parking near the library will be free for the first month.",
    ]
    assert 2 not in rank([sents], 2, STEM, STOP)


def test_sentence_from_inside_a_quote_is_never_a_bullet_without_its_marks():
    para = ["The council will close ten libraries to save two million pounds, officials said on Monday.",
            '"We believe this is wrong and the libraries must stay open for the children of this town.',
            "We will fight the closures in court and we will win this fight for the libraries,\" said "
            "campaigner Ann Fry.",
            "The libraries served 40,000 people last year, council figures show."]
    for count in (1, 2, 3):
        picked = rank([para], count, STEM, STOP)
        assert 1 not in picked and 2 not in picked


def test_first_person_sentence_outside_quotes_is_not_chosen():
    sents = ["The river burst its banks on Sunday and flooded 200 homes in the town centre.",
             "We spoke to residents who had lost everything in the flood waters overnight.",
             "The Environment Agency said more rain was expected on Tuesday.",
             "Sandbags were handed out at the town hall."]
    assert 1 not in rank([sents], 2, STEM, STOP)


def test_default_is_a_sumy_summarizer_on_sumys_document_model():
    from sumy.summarizers._summarizer import AbstractSummarizer

    from summaries.ranker import NewsSummarizer, build_document

    summarizer = NewsSummarizer(STEM)
    summarizer.stop_words = STOP
    document = build_document([["A long first sentence about the new library budget.", "Short."],
                               ["The library opens in May with 120,000 books."]], "english")
    picked = summarizer(document, 2)
    assert isinstance(summarizer, AbstractSummarizer)
    assert [str(s) for s in picked] == ["A long first sentence about the new library budget.",
                                        "The library opens in May with 120,000 books."]



def test_sentence_opening_with_a_pronoun_comes_only_with_its_predecessor():
    from summaries.ranker import DEFAULT_WEIGHTS, Features, choose

    def row(i: int, centrality: float, dangling: bool = False) -> Features:
        return Features(position=i, centrality=centrality, title=0.0, info=0.0, quote_share=0.0, length=22,
                        lead=0.0, dangling=dangling, excluded=False, terms=frozenset({f"w{i}"}))

    # the pronoun sentence scores best after the lead, its antecedent sentence worst
    rows = [row(0, 0.9), row(1, 0.0), row(2, 0.9, dangling=True), row(3, 0.6), row(4, 0.6)]
    assert choose(rows, 2, DEFAULT_WEIGHTS) == [0, 3]
    assert choose(rows, 3, DEFAULT_WEIGHTS) in ([0, 1, 2], [0, 3, 4])


def test_late_sentences_do_not_compete_with_the_opening():
    sents = ["The Riverside council approved a 4.5 million pound budget for its new library on Monday.",
             "Talks resume on Friday.", "Nobody objected.", "Tea was served.", "Rain fell.", "Doors shut.",
             "The library will hold 120,000 books and open in 2027 beside the Riverside bus station."]
    assert 6 not in rank([sents], 3, STEM, STOP)
    # a longer summary widens the pool to twice the bullets asked for
    assert 6 in rank([sents], 4, STEM, STOP)


def _summarizer():
    from summaries.ranker import NewsSummarizer

    summarizer = NewsSummarizer(STEM)
    summarizer.stop_words = STOP
    return summarizer


def test_features_of_the_opening_equal_the_whole_documents_first_rows():
    from summaries.ranker import build_document

    paras = [["The council approved the library budget on Monday, officials said.",
              "Councillors voted 9 to 2 for the 4.5 million pound plan."],
             ['"It is a great day," said the mayor, Jane Roe.', "The library opens in May with 120,000 books."],
             ["Opponents said the money should go to roads.", "The budget runs until 2030."]]
    summarizer = _summarizer()
    full = summarizer.features(build_document(paras, "english"))
    assert summarizer.features(build_document(paras, "english"), upto=3) == full[:3]
    assert len(full) == 6


def test_per_document_stem_cache_gives_sumys_stems():
    summarizer = _summarizer()
    words = ["Running", "runs", "the", "Running", "2024", "councils", "Councils"]
    seen: dict[str, str | None] = {}
    expected = [summarizer.stem_word(w) for w in words if w.lower() not in STOP and not w.isdigit()]
    assert summarizer._terms(words, seen) == expected
    assert summarizer._terms(words, seen) == expected  # second pass served from the cache
    assert seen["the"] is None and seen["2024"] is None


def test_quote_heavy_opening_falls_back_to_the_whole_article():
    from summaries.ranker import DEFAULT_WEIGHTS, build_document, choose

    opening = [f'"We will rebuild the bridge number {i} this year and nobody will stop us now"' for i in range(6)]
    later = ["The bridge closed in March after engineers found cracks in two of its piers.",
             "Repairs are expected to cost 12 million pounds and take until next summer."]
    paras = [opening, later]
    picked = rank(paras, 2, STEM, STOP)
    summarizer = _summarizer()
    assert picked == choose(summarizer.features(build_document(paras, "english")), 2, DEFAULT_WEIGHTS)
    assert picked == [6, 7]
