"""bot.work.digests: schedule math across DST, input validation, and posting due digests exactly once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import DigestSchedule, Source, StoryView
from bot.work.delivery import ChannelGone, Delivered, Outcome, RetryLater
from bot.work.digests import (
    ScheduleError,
    next_due,
    parse_time_of_day,
    run_due_digests,
    validate_timezone,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_next_due_same_day_and_next_day() -> None:
    # Paris is UTC+1 in January: 07:30 local is 06:30 UTC.
    assert next_due("07:30", "Europe/Paris", utc(2024, 1, 10, 5, 0)) == utc(2024, 1, 10, 6, 30)
    assert next_due("07:30", "Europe/Paris", utc(2024, 1, 10, 6, 30)) == utc(2024, 1, 11, 6, 30)  # after
    assert next_due("07:30", "Europe/Paris", utc(2024, 1, 10, 7, 0)) == utc(2024, 1, 11, 6, 30)


def test_next_due_keeps_local_time_across_dst() -> None:
    # New York: EST (UTC-5) until 10 March 2024, then EDT (UTC-4).
    before = next_due("08:00", "America/New_York", utc(2024, 3, 9, 14, 0))
    after = next_due("08:00", "America/New_York", before)
    assert before == utc(2024, 3, 10, 12, 0)  # 08:00 EDT already (the jump is at 02:00)
    assert next_due("08:00", "America/New_York", utc(2024, 3, 8, 14, 0)) == utc(2024, 3, 9, 13, 0)  # EST
    assert after == utc(2024, 3, 11, 12, 0)


def test_spring_forward_gap_is_posted_after_the_jump_not_skipped() -> None:
    # Europe/Berlin 31 March 2024: 02:00 CET -> 03:00 CEST; 02:30 does not exist that day.
    due = next_due("02:30", "Europe/Berlin", utc(2024, 3, 30, 23, 0))
    assert due == utc(2024, 3, 31, 1, 30)  # = 03:30 CEST, one gap-length after the wall time
    assert next_due("02:30", "Europe/Berlin", due) == utc(2024, 4, 1, 0, 30)  # 02:30 CEST next day


def test_fall_back_fold_is_posted_once() -> None:
    # America/New_York 3 Nov 2024: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    first = next_due("01:30", "America/New_York", utc(2024, 11, 3, 0, 0))
    assert first == utc(2024, 11, 3, 5, 30)
    second = next_due("01:30", "America/New_York", first)
    assert second == utc(2024, 11, 4, 6, 30)  # next day, not an hour later


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)),
       st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC",
                        "America/Santiago", "Pacific/Chatham"]),
       st.integers(0, 23), st.integers(0, 59))
def test_next_due_is_after_within_a_day_and_daily(after: datetime, tz: str, h: int, m: int) -> None:
    t = f"{h:02d}:{m:02d}"
    due = next_due(t, tz, after)
    assert after < due <= after + timedelta(hours=26)
    following = next_due(t, tz, due)
    assert timedelta(hours=22) <= following - due <= timedelta(hours=26)


@pytest.mark.parametrize(("text", "expected"), [
    ("07:30", time(7, 30)), ("7:05", time(7, 5)), ("18:00", time(18)), ("7pm", time(19)),
    ("12am", time(0)), ("12:15 pm", time(12, 15)), ("7h30", time(7, 30)), ("9", time(9)),
])
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["25:00", "7:60", "noon", "", "13pm", "7:3"])
def test_parse_time_of_day_rejects_with_a_hint(text: str) -> None:
    with pytest.raises(ScheduleError, match=r"HH:MM|0–23|1 to 12|not a"):
        parse_time_of_day(text)


def test_validate_timezone_canonicalises_and_suggests() -> None:
    assert validate_timezone("europe/paris") == "Europe/Paris"
    assert validate_timezone("utc") == "UTC"
    with pytest.raises(ScheduleError, match="Did you mean Europe/Paris"):
        validate_timezone("Europe/Pariss")
    with pytest.raises(ScheduleError, match="Europe/Paris"):
        validate_timezone("Paris")
    with pytest.raises(ScheduleError, match="IANA"):
        validate_timezone("Nowhere/Atlantis-Beyond")


# ---------------------------------------------------------------- run_due_digests

STORY = StoryView(story_id=1, article_id=1, title="T", url="https://x.example/",
                  source=Source("S", "https://x/"), bullets=("b",), quotes=(), published_at=None,
                  image_url=None, reading_minutes=1, reduction=0.5)


LEASE = timedelta(minutes=1)
CLAIM: dict[str, Any] = {"owner": "test:1:x", "lease": LEASE}


class FakeStore:
    def __init__(self, schedules: list[DigestSchedule], stories: list[StoryView]) -> None:
        self.schedules = {s.channel_id: s for s in schedules}
        self.stories = stories
        self.asked: list[tuple[int, datetime, int]] = []
        self.meta: dict[str, str] = {}
        self.leases: dict[int, datetime] = {}

    async def claim_due_digests(self, owner: str, *, now: datetime, lease: timedelta, limit: int,
                                shard_count: int | None = None, shard_ids: object = None) -> list[DigestSchedule]:
        due = [s for s in self.schedules.values()
               if s.next_due_at <= now and self.leases.get(s.channel_id, now) <= now][:limit]
        for s in due:
            self.leases[s.channel_id] = now + lease
        return due

    async def digest_stories(self, channel_id: int, since: datetime, limit: int) -> list[StoryView]:
        self.asked.append((channel_id, since, limit))
        return self.stories[:limit]

    async def mark_digest_sent(self, channel_id: int, *, sent_at: datetime, next_due_at: datetime) -> None:
        s = self.schedules[channel_id]
        self.schedules[channel_id] = dataclasses.replace(s, last_sent_at=sent_at, next_due_at=next_due_at)
        self.leases.pop(channel_id, None)

    async def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    async def retry_digest_at(self, channel_id: int, retry_at: datetime) -> None:
        self.schedules[channel_id] = dataclasses.replace(self.schedules[channel_id], next_due_at=retry_at)
        self.leases.pop(channel_id, None)


class FakeSink:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.posted: list[tuple[int, int]] = []
        self.reports: list[tuple[int, str]] = []

    async def post_digest(self, schedule: DigestSchedule, stories: list[StoryView]) -> Outcome:
        self.posted.append((schedule.channel_id, len(stories)))
        return self.outcome

    async def report_given_up(self, guild_id: int, channel_id: int, what: str, reason: str) -> None:
        self.reports.append((channel_id, reason))


def schedule(due: datetime, last: datetime | None = None) -> DigestSchedule:
    return DigestSchedule(guild_id=1, channel_id=10, time_of_day="07:30", timezone="UTC", next_due_at=due,
                          last_sent_at=last)


async def test_missed_digests_are_posted_once_then_the_schedule_moves_to_the_future() -> None:
    # The bot was down for three days: three 07:30s were missed.
    store: Any = FakeStore([schedule(utc(2024, 5, 1, 7, 30), last=utc(2024, 4, 30, 7, 30))], [STORY] * 5)
    sink = FakeSink(Delivered(99))
    now = utc(2024, 5, 4, 9, 0)
    assert await run_due_digests(store, sink, now=now, max_stories=3, **CLAIM) == 1
    assert await run_due_digests(store, sink, now=now + timedelta(minutes=1), max_stories=3, **CLAIM) == 0
    assert sink.posted == [(10, 3)]
    assert store.asked == [(10, utc(2024, 4, 30, 7, 30), 3)]  # since the last one sent
    assert store.schedules[10].next_due_at == utc(2024, 5, 5, 7, 30)
    assert store.schedules[10].last_sent_at == now


async def test_first_digest_reaches_back_a_day_and_empty_ones_are_skipped_but_advance() -> None:
    store: Any = FakeStore([schedule(utc(2024, 5, 1, 7, 30))], [])
    sink = FakeSink(Delivered(1))
    now = utc(2024, 5, 1, 7, 30)
    assert await run_due_digests(store, sink, now=now, max_stories=10, **CLAIM) == 0
    assert sink.posted == []
    assert store.asked[0][1] == now - timedelta(hours=24)
    assert store.schedules[10].next_due_at == utc(2024, 5, 2, 7, 30)


async def test_transient_failure_backs_off_and_gone_channel_advances() -> None:
    store: Any = FakeStore([schedule(utc(2024, 5, 1, 7, 30))], [STORY])
    now = utc(2024, 5, 1, 7, 31)
    failing = FakeSink(RetryLater("500", 5))
    await run_due_digests(store, failing, now=now, max_stories=10, **CLAIM)
    assert store.schedules[10].next_due_at == now + timedelta(seconds=5)  # waits for its back-off
    await run_due_digests(store, failing, now=now + timedelta(seconds=1), max_stories=10, **CLAIM)
    assert failing.posted == [(10, 1)]  # not tried again on the next check
    await run_due_digests(store, failing, now=now + timedelta(seconds=5), max_stories=10, **CLAIM)
    assert store.schedules[10].next_due_at == now + timedelta(seconds=15)  # 10 s more: the back-off grew
    assert failing.reports == [] and store.schedules[10].last_sent_at is None
    gone = FakeSink(ChannelGone("deleted"))
    await run_due_digests(store, gone, now=now + timedelta(seconds=15), max_stories=10, **CLAIM)
    assert store.schedules[10].next_due_at == utc(2024, 5, 2, 7, 30)


def test_schedule_errors_echo_input_short_and_escaped() -> None:
    for call in (lambda: parse_time_of_day("**" + "9" * 6000), lambda: validate_timezone("Europe/" + "x" * 6000)):
        with pytest.raises(ScheduleError) as info:
            call()
        assert len(str(info.value)) < 400
    with pytest.raises(ScheduleError, match=r"\\\*\\\*late"):
        parse_time_of_day("**late**")


async def test_unexplained_failures_give_the_digest_up_after_max_attempts_and_report_it() -> None:
    store: Any = FakeStore([schedule(utc(2024, 5, 1, 7, 30))], [STORY])
    odd = FakeSink(RetryLater("HTTP 404 Unknown Message", 30.0, bounded=True))
    now = utc(2024, 5, 1, 7, 30)
    for _ in range(3):
        await run_due_digests(store, odd, now=now, max_stories=10, max_attempts=3, **CLAIM)
        now = store.schedules[10].next_due_at
    assert len(odd.posted) == 3
    assert odd.reports == [(10, "HTTP 404 Unknown Message")]
    assert store.schedules[10].next_due_at == utc(2024, 5, 2, 7, 30)  # moved on; stories kept for then
