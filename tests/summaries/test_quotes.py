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
