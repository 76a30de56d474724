from summaries.cleaning import clean, collapse


def test_bylines_datelines_boilerplate_and_headlines():
    text = """Bridge closes for repairs

By Jane Doe

WASHINGTON - The bridge closed on Monday. Traffic was heavy.

Read more

Advertisement

A crane lifts a girder (Photo: Example Images)

LONDON (Reuters) - Not a dateline here since the body started."""
    blocks = clean(text, title="Bridge closes for repairs")
    assert [b.text for b in blocks] == [
        "The bridge closed on Monday. Traffic was heavy.",
        "LONDON (Reuters) - Not a dateline here since the body started.",
    ]


def test_daily_mail_byline_and_agency_tag_are_stripped():
    dm = ("By . Daily Mail Reporter . PUBLISHED: . 10:28 EST, 22 December 2013 . | . "
          "UPDATED: . 10:59 EST, 22 December 2013 . A dog was found.")
    assert clean(dm)[0].text == "A dog was found."
    assert clean("(CNN)They may not be aliens.")[0].text == "They may not be aliens."


def test_standfirst_and_caption_lines_are_headings():
    blocks = clean("Council rejects plan\nA short standfirst without a full stop\nThe vote was 9-5.")
    assert [b.heading for b in blocks] == [True, True, False]
    assert collapse("a \n b\t c") == "a b c"
