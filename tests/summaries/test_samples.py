import summaries

EXPECTED = {  # (start of quote, speaker) pairs we wrote into the bundled samples
    "harbour-bridge-closure": [
        ("We found hairline cracks", "Marguerite Okonkwo-Hale"),
        ("If the weather is kind", "Marguerite Okonkwo-Hale"),  # "she added"
        ("Six weeks is a long time", "Desmond Achterberg"),  # "Mr Achterberg said"
        ("What they will not put up with", "Tomasz Wielgosz"),  # second paragraph of a quote
    ],
    "river-valley-vaccine-trial": [
        ("We ran out of the first delivery on day nine, and had to borrow", "Ingrid Solberg-Maas"),
        ("Nobody is arguing", "Benedikt Rourke"),
        ("My sister had shingles", "Agnes Penhaligon"),
    ],
    "pier-festival-budget": [
        ("I love this festival", "Roisin Delacroix"),
        ("We offered to cut the budget", "Gideon Fairweather-Lowe"),
        ("I will be ringing people", "Priya Venkataraman"),
        ("We have not given up, but we are not", "Gideon Fairweather-Lowe"),
    ],
    "robotics-league-final": [
        ("On Tuesday it kept driving", "Elodie Marchbanks"),
        ("Half the teams we met", "Samuel Ekwueme"),
        ("Most robots found the survivors", "Annika Thorsdottir"),
        ("We want to come back", "Elodie Marchbanks"),
    ],
}


def test_samples_are_well_formed(samples):
    assert set(samples) == set(EXPECTED)
    for sample in samples.values():
        assert sample["url"].startswith("https://example.com/")
        assert sample["published"].endswith("Z")
        assert 350 <= len(sample["text"].split()) <= 700


def test_sample_quotes_and_speakers(samples):
    for name, expected in EXPECTED.items():
        quotes = summaries.summarize(samples[name]["text"], title=samples[name]["title"]).quotes
        for start, speaker in expected:
            match = [q for q in quotes if start in q.text]
            assert match, (name, start)
            assert match[0].speaker == speaker, (name, start, match[0].speaker)


def test_sample_bullets_skip_headline_and_byline(samples):
    s = summaries.summarize(samples["harbour-bridge-closure"]["text"])
    assert s.bullets[0].startswith("The Kestrel Harbour bridge will close")
    assert all("Read more" not in b and not b.startswith("By ") for b in s.bullets)
    assert 0.5 < s.reduction < 1 and s.reading_minutes == 2
