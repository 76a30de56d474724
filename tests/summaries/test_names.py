import re

from hypothesis import given
from hypothesis import strategies as st

from summaries.names import sentence_initial

# the pattern sentence_initial replaced (a regex search per capitalised word cost more than the rest)
_INITIAL = re.compile(r"(?:[.!?:][\"'”’“»«]?|\n|^)\s*[\"'“‘„«»]?$")


def test_sentence_initial_words():
    text = 'Ann left. Bob stayed.\nCal: "Dan went." «Eve» and Fay'
    initial = {w for w in ("Ann", "Bob", "Cal", "Dan", "Eve", "Fay") if sentence_initial(text, text.index(w))}
    assert initial == {"Ann", "Bob", "Cal", "Dan"}


@given(st.text(alphabet=".!?: \n\"'”’“‘„«»aA\t", max_size=8), st.integers(min_value=0, max_value=8))
def test_sentence_initial_agrees_with_the_pattern_it_replaced(text, start):
    start = min(start, len(text))
    expected = start == 0 or _INITIAL.search(text, max(0, start - 3), start) is not None
    assert sentence_initial(text, start) == expected
