"""Issue 9 item 6: an entry that fails every time is recorded, backed off, given up after a bound and
shown in /feed list; lone surrogates and NULs are stripped at parse time, so they no longer poison."""

from __future__ import annotations

import json
import logging

from bot.discord.listings import feed_list_embed
from bot.pipeline import build as build_module
from bot.pipeline.ingest import ENTRY_BACKOFF_MAX, MAX_ENTRY_ATTEMPTS, Ingestor
from tests.bot.pipeline.test_ingest import Clock, publish, story_text, subscribed_feed


async def test_lone_surrogate_and_nul_in_a_json_feed_are_stripped_and_stored(site, store, fetcher, settings):
    body = ('{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "s1", '
            '"title": "Bad \\ud800 title&#0; \\u0000end", "content_text": ' + json.dumps(story_text(1))
            + ', "date_published": "2026-11-24T10:00:00Z"}]}')
    url = site.set_raw("/surrogate.json", body.encode(), "application/feed+json")
    clock = Clock()
    feed = await subscribed_feed(store, url, now=clock())
    result = await Ingestor(settings, store, fetcher, clock=clock).poll_feed(feed)
    assert result.new_articles == 1
    [delivery] = await store.pending_deliveries(clock())
    assert delivery.story.title == "Bad title end"
    assert "\x00" not in delivery.story.title


async def test_poison_entry_is_recorded_backed_off_given_up_and_listed(site, store, fetcher, settings,
                                                                        monkeypatch, caplog):
    publish(site, 1)
    publish(site, 2)
    url = site.set_feed("/feed.xml", entries=["story-2", "story-1"])
    real = build_module.summarize_text

    def summarize(text, *, title, **kw):
        if title.endswith("Elmsworth2"):
            raise ValueError("summarizer choked")
        return real(text, title=title, **kw)

    monkeypatch.setattr(build_module, "summarize_text", summarize)
    clock = Clock()
    feed = await subscribed_feed(store, url, now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    caplog.set_level(logging.WARNING, logger="bot.pipeline.ingest")

    first = await ingestor.poll_feed(feed)
    assert first.ok and first.new_articles == 1  # the healthy entry is not held up
    listed = await store.get_feed(feed.id)
    assert listed is not None and listed.failing_entries == 1 and "summarizer choked" in (listed.entry_error or "")
    [(sub, shown)] = await store.guild_subscriptions(1)
    embed = feed_list_embed([(sub, shown)])
    assert "1 entry not stored" in str(embed.to_dict()) and "summarizer choked" in str(embed.to_dict())
    assert any("attempt 1 of" in r.getMessage() for r in caplog.records)

    # Polled again at once: the entry waits out its back-off, its page is not fetched again.
    hits = site.hits["/articles/story-2"]
    await ingestor.poll_feed(feed)
    assert site.hits["/articles/story-2"] == hits

    for attempt in range(2, MAX_ENTRY_ATTEMPTS + 1):
        clock.advance(ENTRY_BACKOFF_MAX)
        await ingestor.poll_feed(feed)
        [failure] = (await store.entry_failures(feed.id, [site.url("/") + "#story-2"])).values()
        assert failure.attempts == attempt
    assert failure.gave_up
    assert any("gave up entry" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)

    # Given up: never tried again, and still listed.
    hits = site.hits["/articles/story-2"]
    clock.advance(10 * ENTRY_BACKOFF_MAX)
    await ingestor.poll_feed(feed)
    assert site.hits["/articles/story-2"] == hits
    after = await store.get_feed(feed.id)
    assert after is not None and after.failing_entries == 1
    # It was never marked seen: its story was never stored.
    assert await store.unseen_guids(feed.id, [site.url("/") + "#story-2"]) == {site.url("/") + "#story-2"}


async def test_a_recovered_entry_clears_its_failure(site, store, fetcher, settings, monkeypatch):
    publish(site, 1)
    url = site.set_feed("/feed.xml", entries=["story-1"])
    real = build_module.summarize_text
    broken = {"on": True}

    def summarize(text, **kw):
        if broken["on"]:
            raise ValueError("transient")
        return real(text, **kw)

    monkeypatch.setattr(build_module, "summarize_text", summarize)
    clock = Clock()
    feed = await subscribed_feed(store, url, now=clock())
    ingestor = Ingestor(settings, store, fetcher, clock=clock)
    assert (await ingestor.poll_feed(feed)).new_articles == 0
    broken["on"] = False
    clock.advance(ENTRY_BACKOFF_MAX)
    assert (await ingestor.poll_feed(feed)).new_articles == 1
    after = await store.get_feed(feed.id)
    assert after is not None and after.failing_entries == 0 and after.entry_error is None
