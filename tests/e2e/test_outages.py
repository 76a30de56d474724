"""Discord failing: outages are waited out, only permanent answers give up, and every give-up is reported.

Real discord.py client against the fake Discord, real SQLite; the outbox runs on the world's injected
clock, so a 30-minute outage takes a few seconds.
"""

from __future__ import annotations

from datetime import timedelta
from datetime import timedelta as _timedelta

from bot.discord.sink import DiscordSink
from bot.work.digests import run_due_digests
from bot.work.lanes import DeliveryLanes, DrainReport
from tests.e2e.conftest import GUILD, LOG, NEWS, World

MAX_ATTEMPTS = 8  # the configured default: on main, a story was given up after ~10.6 min of 5xx


async def _feed_with_stories(world: World, count: int) -> list[int]:
    feed = await world.store.add_feed("https://outage.example/rss", title="Outage", now=world.clock())
    await world.store.subscribe(GUILD, NEWS, feed.id, now=world.clock())
    return [await world.add_story(feed.id, f"Outage story {i}") for i in range(count)]


def _stories_in(world: World, channel: int) -> list[str]:
    return [e.get("title", "") for m in world.fake.messages(channel) for e in m.get("embeds") or []]


def Outbox(store, sink, *, clock, max_attempts: int) -> DeliveryLanes:
    """One process's delivery lanes (these tests were written for the outbox the lanes replaced)."""
    return DeliveryLanes(store, sink, owner="test:1:a", clock=clock, max_attempts=max_attempts, interval=0.0,
                         concurrency=8, lease=_timedelta(minutes=5))


async def _drain_for(world: World, outbox: DeliveryLanes, minutes: int) -> list[DrainReport]:
    reports = []
    for _ in range(minutes):
        reports.append(await outbox.drain())
        world.clock.advance(minutes=1)
    return reports


async def test_a_30_minute_outage_loses_nothing(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    await _feed_with_stories(world, 3)
    sink = DiscordSink(world.bot, interval=0, send_timeout=0.5)
    outbox = Outbox(world.store, sink, clock=world.clock, max_attempts=MAX_ATTEMPTS)
    # Two answers that discord.py retries itself (500) run into the send timeout; then 503s for good.
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 500, times=2)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 503, times=100_000)

    reports = await _drain_for(world, outbox, 30)

    assert sum(r.given_up for r in reports) == 0 and sum(r.channels_paused for r in reports) == 0
    assert sum(r.delivered for r in reports) == 0
    waiting = await world.store.pending_deliveries(world.clock() + timedelta(days=1))
    assert len(waiting) == 3
    assert waiting[0].attempts > MAX_ATTEMPTS  # tried on through the outage, with back-off ...
    assert waiting[0].attempts < 30  # ... not on every drain
    subs = await world.store.guild_subscriptions(GUILD)
    assert all(not s.paused for s, _ in subs)

    world.fake._fail_rules.clear()  # Discord is back
    reports = await _drain_for(world, outbox, 6)
    assert sum(r.delivered for r in reports) == 3
    assert _stories_in(world, NEWS) == ["Outage story 0", "Outage story 1", "Outage story 2"]
    assert world.fake.messages(LOG) == []  # nothing was given up, so nothing to report


async def test_a_refused_story_is_given_up_at_once_and_reported_the_rest_posted(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    await _feed_with_stories(world, 2)
    outbox = Outbox(world.store, DiscordSink(world.bot, interval=0), clock=world.clock,
                    max_attempts=MAX_ATTEMPTS)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 400, code=50035)
    report = await outbox.drain()
    assert report.given_up == 1 and report.delivered == 1
    assert _stories_in(world, NEWS) == ["Outage story 1"]
    note = await world.fake.wait_for_message(LOG)
    assert "gave up" in note["content"] and "Outage story 0" in note["content"]
    assert f"<#{NEWS}>" in note["content"] and "50035" in note["content"]
    assert await world.store.pending_deliveries(world.clock() + timedelta(days=1)) == []


async def test_a_404_that_is_not_unknown_channel_does_not_pause_the_channel(world: World) -> None:
    """Discord answers 404 Unknown Message (10008) when a nonce is reused shortly after its message was
    deleted; on main any 404 paused every subscription of the channel."""
    await world.store.set_log_channel(GUILD, LOG)
    await _feed_with_stories(world, 2)
    outbox = Outbox(world.store, DiscordSink(world.bot, interval=0), clock=world.clock,
                    max_attempts=MAX_ATTEMPTS)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 404, code=10008)
    first = await outbox.drain()
    assert first.channels_paused == 0 and first.retried == 1 and first.delivered == 0
    subs = await world.store.guild_subscriptions(GUILD)
    assert all(not s.paused for s, _ in subs)
    world.clock.advance(minutes=1)
    assert (await outbox.drain()).delivered == 2
    assert _stories_in(world, NEWS) == ["Outage story 0", "Outage story 1"]
    assert world.fake.messages(LOG) == []


async def test_unknown_channel_still_pauses_the_channel(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    await _feed_with_stories(world, 1)
    outbox = Outbox(world.store, DiscordSink(world.bot, interval=0), clock=world.clock,
                    max_attempts=MAX_ATTEMPTS)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 404, code=10003)
    assert (await outbox.drain()).channels_paused == 1
    subs = await world.store.guild_subscriptions(GUILD)
    assert all(s.paused for s, _ in subs)
    note = await world.fake.wait_for_message(LOG)
    assert "gone" in note["content"]


async def _scheduled_digest(world: World) -> None:
    feed = await world.store.add_feed("https://digest.example/rss", title="D", now=world.clock())
    await world.store.subscribe(GUILD, NEWS, feed.id, now=world.clock())
    await world.add_story(feed.id, "Digest story")
    await world.answer("digest schedule", {"time": "07:30", "timezone": "UTC"})
    world.clock.advance(minutes=31)  # 07:31: due


def _digest_posts(world: World) -> int:
    return len(world.fake.requests_to("POST", f"/channels/{NEWS}/messages"))


async def test_a_digest_backs_off_through_an_outage_instead_of_retrying_every_check(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    await _scheduled_digest(world)
    sink = DiscordSink(world.bot, interval=0, send_timeout=0.5)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 503, times=100_000)
    for _ in range(30):  # checked every 10 s of the injected clock, for 5 minutes
        assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 0
        world.clock.advance(seconds=10)
    tries = _digest_posts(world)
    assert 3 <= tries <= 8, tries  # back-off 5, 10, 20, 40, 80 ... s: not 30 tries
    world.fake._fail_rules.clear()
    world.clock.advance(minutes=5)
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 1
    schedule = await world.store.get_digest(NEWS)
    assert schedule is not None and schedule.next_due_at.day == 2
    assert world.fake.messages(LOG) == []


async def test_a_refused_digest_is_given_up_reported_and_its_stories_kept(world: World) -> None:
    await world.store.set_log_channel(GUILD, LOG)
    await _scheduled_digest(world)
    sink = DiscordSink(world.bot, interval=0)
    world.fake.fail_next("POST", f"/channels/{NEWS}/messages", 400, code=50035)
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 0
    note = await world.fake.wait_for_message(LOG)
    assert "gave up posting the daily digest" in note["content"]
    schedule = await world.store.get_digest(NEWS)
    assert schedule is not None and schedule.next_due_at.day == 2
    world.clock.advance(days=1)
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 1
    digest = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(digest) == 1 and "Digest story" in str(digest[0]["embeds"])


async def test_a_post_whose_answer_timed_out_is_not_doubled_by_a_retry_after_the_nonce_window(
        world: World) -> None:
    """The send timed out but Discord had stored the message; the retry comes after the back-off, when
    Discord no longer honours the nonce: the sink reads the channel again and finds its post."""
    await _feed_with_stories(world, 1)
    outbox = Outbox(world.store, DiscordSink(world.bot, interval=0, send_timeout=0.3), clock=world.clock,
                    max_attempts=MAX_ATTEMPTS)
    world.fake.message_response_delay = 1.0
    assert (await outbox.drain()).retried == 1
    await world.fake.wait_for_message(NEWS)  # it was posted, though the bot never heard
    world.fake.message_response_delay = 0
    world.fake.nonce_window = 0
    world.clock.advance(minutes=10)
    assert (await outbox.drain()).delivered == 1
    assert _stories_in(world, NEWS) == ["Outage story 0"]


async def test_a_digest_whose_answer_timed_out_is_not_doubled_by_its_retry(world: World) -> None:
    await _scheduled_digest(world)
    sink = DiscordSink(world.bot, interval=0, send_timeout=0.3)
    world.fake.message_response_delay = 1.0
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 0
    await world.fake.wait_for_message(NEWS, lambda m: "Daily digest" in (m.get("content") or ""))
    world.fake.message_response_delay = 0
    world.clock.advance(minutes=1)  # past the back-off, within Discord's nonce window
    assert await run_due_digests(world.store, sink, now=world.clock(), max_stories=10) == 1
    digests = [m for m in world.fake.messages(NEWS) if "Daily digest" in (m.get("content") or "")]
    assert len(digests) == 1
