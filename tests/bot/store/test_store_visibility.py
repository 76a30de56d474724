"""Store lookups scoped to the channels a member can view (`channel_ids`), inside one guild."""

from __future__ import annotations

from bot.models import QuoteRecord
from bot.store import Store
from tests.bot.store.test_store import T0, make_article

GUILD, PUBLIC, STAFF = 1, 10, 11


async def test_lookups_see_only_feeds_posted_to_the_given_channels(store: Store) -> None:
    public = await store.add_feed("https://public/rss", title="Public", now=T0)
    staff = await store.add_feed("https://staff/rss", title="Staff", now=T0)
    await store.subscribe(GUILD, PUBLIC, public.id, now=T0)
    await store.subscribe(GUILD, STAFF, staff.id, now=T0)
    said = QuoteRecord("We said it", "Ana Silva")
    shown = await store.add_article(make_article(public.id, 1, title="Harbour opens", quotes=(said,)),
                                    story_id=None, now=T0)
    # The staff feed's copy of the same event joins the public story's cluster, and has a story of its own.
    await store.add_article(make_article(staff.id, 2, title="Harbour opens: staff notes", quotes=(said,)),
                            story_id=shown.story_id if shown else None, now=T0)
    hidden = await store.add_article(make_article(staff.id, 3, title="Harbour layoffs"), story_id=None, now=T0)
    assert shown is not None and hidden is not None

    for channels, expected in (({PUBLIC}, [shown.story_id]), ({PUBLIC, STAFF}, [hidden.story_id, shown.story_id]),
                               (set(), []), ({999}, [])):
        latest = await store.latest(GUILD, channel_ids=channels)
        assert [s.story_id for s in latest] == expected, channels
        found = await store.search(GUILD, "harbour", channel_ids=channels)
        assert sorted(s.story_id for s in found) == sorted(expected), channels
    # The visible story's view is built from visible feeds only: no staff title or source leaks in.
    (view,) = await store.latest(GUILD, channel_ids={PUBLIC})
    assert view.title == "Harbour opens" and view.source_count == 1 and view.other_sources == ()
    assert [h.story.story_id for h in await store.quotes_by(GUILD, "Silva", channel_ids={PUBLIC})] == [
        shown.story_id]
    assert await store.quotes_by(GUILD, "Silva", channel_ids=set()) == []
    # No channel_ids: the whole guild, as before (digests, internal callers).
    assert len(await store.latest(GUILD)) == 2
