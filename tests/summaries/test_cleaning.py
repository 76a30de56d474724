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
    assert [b.text for b in blocks if b.text] == [  # empty blocks mark dropped lines
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


def test_video_marker_and_glued_captions_are_dropped():
    from summaries.cleaning import strip_caption

    blob = ("Scroll down for video The mayor cuts a ribbon at the new bridge on Monday "
            "The bridge cost 3 million pounds and took two years to build.")
    assert strip_caption(blob) == "The bridge cost 3 million pounds and took two years to build."
    # a marker followed by caption text only (no full stop) leaves nothing
    assert strip_caption("Scroll down for video A crowd gathers outside the court") == ""


def test_label_captions_are_stripped_but_speech_tags_kept():
    from summaries.cleaning import strip_caption

    assert strip_caption("Pictured: The new library opened its doors to readers.") == (
        "The new library opened its doors to readers.")
    glued = "Grand opening: Readers queue outside the library A new library opened in the town on Monday."
    assert strip_caption(glued) == "A new library opened in the town on Monday."
    # a speech tag is not a caption label, and "told The Times" is a name, not a caption boundary
    assert strip_caption("Mr Jones said: The plan is sound.") == "Mr Jones said: The plan is sound."
    assert strip_caption("Pictured: The mayor told The Times he was proud.") == "The mayor told The Times he was proud."
    assert strip_caption("An ordinary sentence with no caption.") == "An ordinary sentence with no caption."


def test_title_case_agency_dateline_is_stripped():
    assert clean("Springfield (CNN)Guilty on all counts.")[0].text == "Guilty on all counts."
    assert clean("New Town, Texas (AP) -- The dam held.")[0].text == "The dam held."
