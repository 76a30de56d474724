"""Near-duplicate grouping: one wire story across outlets matches, different stories on one topic don't."""

from __future__ import annotations

import pytest

from bot.pipeline.cluster import StoryClusterer, fingerprint, similarity

WIRE = (
    "BRUSSELS (Reuters) - European Union finance ministers agreed on Tuesday to overhaul the bloc's "
    'fiscal rules, giving governments more time to cut debt and deficits while protecting investment'
    ' in green energy and defence. The deal, reached after two years of negotiations, replaces rules'
    ' suspended during the COVID-19 pandemic. Germany had pushed for minimum annual debt reduction '
    'targets, while France and Italy sought flexibility for investment. Under the compromise, '
    'countries with debt above 90% of GDP must cut it by one percentage point a year on average. '
    'Those with debt between 60% and 90% must reduce it by half a point. The European Commission '
    'will negotiate four-year adjustment plans with each government, extendable to seven years in '
    'exchange for reforms. Economists said the new framework was more realistic but warned that '
    'enforcement would remain the main challenge. "This is a good day for Europe," Spanish economy '
    'minister Nadia Calvino told reporters after the meeting, adding that the rules struck a balance'
    ' between stability and growth. Dutch finance minister Steven van Weeren said the agreement '
    'showed that member states could find common ground on difficult questions. The European '
    'Parliament must still approve the rules before they can take effect next year, and lawmakers '
    'have signalled they want changes to the treatment of defence spending. Several southern '
    'countries have warned that tight targets could choke off a fragile recovery, while northern '
    'states argue that high debt leaves the bloc exposed to the next crisis. Financial markets '
    'reacted calmly, with Italian bond yields little changed after the news.'
)
A = "Our correspondent reports from the Belgian capital on a long-awaited result. " + WIRE + (
    " Read more on our Europe page."
)
B = (
    "In a late-night session, ministers finally struck a deal that had eluded them for months. "
    + WIRE.replace("(Reuters)", "(AP)")
    + " Subscribe to our newsletter for daily updates. Follow us on social media."
)
SAME_TOPIC = (
    "BRUSSELS - European Union finance ministers failed on Tuesday to agree on new fiscal rules as Germany "
    "and France clashed over debt reduction targets. The talks will resume next month. Germany insisted on "
    "strict annual targets while France argued investment in defence and the green transition should be "
    "exempt. Diplomats said a compromise was still possible before the end of the year, but the positions "
    "remained far apart. Italy backed France. The old rules, suspended during the pandemic, will return in "
    "January if no deal is reached, which economists warn could force sharp spending cuts across the bloc."
)


def test_same_wire_story_from_two_outlets_matches() -> None:
    fa = fingerprint("EU agrees overhaul of fiscal rules", A)
    fb = fingerprint("EU finance ministers strike deal on budget rules", B)
    assert similarity(fa, fb) >= 0.6
    clusterer = StoryClusterer(threshold=0.6)
    clusterer.add(1, fa)
    assert clusterer.match(fb) == 1


def test_different_story_on_same_topic_does_not_match() -> None:
    fa = fingerprint("EU agrees overhaul of fiscal rules", A)
    fo = fingerprint("EU ministers fail to agree on fiscal rules", SAME_TOPIC)
    assert similarity(fa, fo) < 0.2
    clusterer = StoryClusterer(threshold=0.6)
    clusterer.add(1, fa)
    assert clusterer.match(fo) is None


def test_best_match_wins_and_remove_forgets() -> None:
    clusterer = StoryClusterer(threshold=0.5)
    clusterer.add(10, fingerprint("Other", SAME_TOPIC))
    clusterer.add(11, fingerprint("EU agrees overhaul of fiscal rules", A))
    clusterer.add(12, fingerprint("EU agrees overhaul of fiscal rules", WIRE[:900]))
    assert len(clusterer) == 3 and 11 in clusterer
    probe = fingerprint("EU agrees overhaul of fiscal rules", A + " Updated at 10:00.")
    assert clusterer.match(probe) == 11
    clusterer.remove(11)
    clusterer.remove(999)  # unknown ids are ignored
    assert len(clusterer) == 2 and clusterer.match(probe) != 11


def test_readding_an_id_replaces_its_fingerprint() -> None:
    clusterer = StoryClusterer(threshold=0.6)
    clusterer.add(1, fingerprint("x", SAME_TOPIC))
    clusterer.add(1, fingerprint("y", A))
    assert len(clusterer) == 1
    assert clusterer.match(fingerprint("y", A)) == 1 and clusterer.match(fingerprint("x", SAME_TOPIC)) is None


def test_fingerprint_is_stable_normalized_and_sized() -> None:
    fp = fingerprint("Title", "Some TEXT here, with punctuation!")
    assert len(fp) == 64 * 8
    assert fp == fingerprint("title", "some text here with punctuation")  # case and punctuation ignored
    assert len(fingerprint("t", "x", num_perm=128)) == 128 * 8


def test_empty_text_never_matches_or_indexes() -> None:
    clusterer = StoryClusterer(threshold=0.6)
    clusterer.add(1, fingerprint("", ""))
    assert len(clusterer) == 0 and clusterer.match(fingerprint("", "")) is None


def test_wrong_size_fingerprint_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected 64"):
        StoryClusterer(threshold=0.6).add(1, fingerprint("t", A, num_perm=32))
