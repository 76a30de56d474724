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


# ---- issue 9 item 7 and issue 13: the index forgets by the window, permutations are computed once


async def test_index_forgets_by_the_window_in_process_exactly_as_after_a_restart(tmp_path, settings) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.models import NewArticle
    from bot.pipeline.ingest import Ingestor
    from bot.store import open_store

    def templated(n: int) -> NewArticle:
        title = "Daily market report"
        text = WIRE  # a template: the same text every day
        return NewArticle(feed_id=feed_id, guid=f"g{n}", url=f"https://m.example/{n}",
                          canonical_url=f"https://m.example/{n}", title=title, text=text, text_source="feed",
                          bullets=(), quotes=(), word_count=300, reading_minutes=2, reduction=0.5,
                          fingerprint=fingerprint(title, text))

    store = await open_store(tmp_path / "c.db")
    try:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        feed = await store.add_feed("https://m.example/rss", now=now)
        feed_id = feed.id
        await store.subscribe(1, 10, feed_id, now=now)
        clock = {"now": now}
        ingestor = Ingestor(settings, store, fetcher=None, clock=lambda: clock["now"])  # type: ignore[arg-type]
        first = await ingestor.store_article(feed, templated(1))
        same_day = await ingestor.store_article(feed, templated(2))
        assert first is not None and same_day is not None and same_day.story_id == first.story_id
        window = timedelta(hours=settings.feeds.cluster_window_hours)

        clock["now"] = now + timedelta(days=30)
        later = await ingestor.store_article(feed, templated(3))
        assert later is not None and later.story_id != first.story_id, "30 days apart: a new story"
        assert len(ingestor.clusterer) == 1, "the old story left the index: memory is bounded by the window"

        # A restart at the same moment loads exactly the same index and decides the same way.
        restarted = Ingestor(settings, store, fetcher=None, clock=lambda: clock["now"])  # type: ignore[arg-type]
        assert await restarted.load_clusters() == 1
        assert set(restarted.clusterer._hashes) == set(ingestor.clusterer._hashes)
        clock["now"] += window - timedelta(seconds=1)
        in_process = ingestor.clusterer.match(fingerprint("Daily market report", WIRE))
        ingestor.clusterer.expire(clock["now"] - window)
        assert in_process == later.story_id
        clock["now"] += timedelta(seconds=2)
        ingestor.clusterer.expire(clock["now"] - window)
        fresh = Ingestor(settings, store, fetcher=None, clock=lambda: clock["now"])  # type: ignore[arg-type]
        await fresh.load_clusters()
        assert len(ingestor.clusterer) == len(fresh.clusterer) == 0
    finally:
        await store.close()


def test_permutations_are_computed_once(monkeypatch) -> None:
    import numpy as np

    from bot.pipeline import cluster

    fingerprint("warm", "up the shared permutations")
    drawn: list[int] = []
    real = np.random.RandomState
    monkeypatch.setattr(np.random, "RandomState", lambda seed: drawn.append(seed) or real(seed))
    index = StoryClusterer(0.5)
    for n in range(20):
        index.add(n, fingerprint(f"story {n}", WIRE + f" variant {n}"))
    assert index.match(fingerprint("story 1", WIRE)) is not None
    assert drawn == [], "no fingerprint drew its own permutations"
    assert cluster._permutations(64) is cluster._permutations(64)


# ---- issue 13: fingerprints without importing datasketch (and scipy), value for value the same


@pytest.mark.parametrize("title, text", [
    ("Porthaven approves flood barrier", WIRE),
    ("", "two words"),
    ("", ""),
    ("Ünïcode ＴＩＴＬＥ", "Straße, façade and naïve café — NFKC folds ﬁ ligatures. " * 40),
])
def test_fingerprints_are_datasketchs_minhash_value_for_value(title: str, text: str) -> None:
    from datasketch import MinHash

    from bot.pipeline.cluster import SCHEME, SEED, _shingles

    reference = MinHash(num_perm=64, seed=SEED, scheme=SCHEME)
    reference.update_batch([s.encode() for s in _shingles(title, text)])
    assert fingerprint(title, text) == reference.hashvalues.astype("<u8").tobytes()


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.6, 0.75, 0.9])
def test_lsh_bands_are_the_ones_datasketch_would_choose(threshold: float) -> None:
    from datasketch.lsh import _optimal_param

    from bot.pipeline.cluster import lsh_bands

    assert lsh_bands(threshold, 64) == _optimal_param(threshold, 64, 0.5, 0.5)


def test_grouping_stories_does_not_import_scipy() -> None:
    import subprocess
    import sys

    code = ("import sys; from bot.pipeline.cluster import StoryClusterer, fingerprint; "
            "c = StoryClusterer(0.6); c.add(1, fingerprint('t', 'some text here')); "
            "print(c.match(fingerprint('t', 'some text here')), 'scipy' in sys.modules, 'datasketch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False", "False"]
