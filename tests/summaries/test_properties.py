import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summaries import summarize
from summaries.cleaning import collapse

_MARKS = re.compile(r"[\"“”„«»‘’']")
PIECES = st.sampled_from(['"', "“", "”", "‘", "’", "'", ". ", "Mr. ", "said ", "he ", "She said: ", "\n\n",
                          "U.S. ", "3.5 ", "By Jane Doe\n", "WASHINGTON - ", "Read more\n", "Ann Lee ", "wow",
                          "The vote passed", ", ", "!", "...", " "])
TEXT = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=60).map("".join))


def _plain(s: str) -> str:
    return collapse(_MARKS.sub(" ", s))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.integers(min_value=0, max_value=5))
def test_summarize_never_raises_and_only_returns_input_text(text, n):
    s = summarize(text, bullets=n)
    flat = collapse(text)
    assert len(s.bullets) <= n
    for bullet in s.bullets:
        assert bullet in flat
    plain = _plain(text)
    for quote in s.quotes:
        assert _plain(quote.text) in plain
    assert 0.0 <= s.reduction <= 1.0
