"""Daily digests: when the next one is due, and posting the ones that are due now.

Times are kept as the wall-clock time a guild asked for ("07:30" in "Europe/Paris") and turned into UTC
one day at a time with zoneinfo, so a digest stays at 07:30 local across DST changes:

- spring forward: a time inside the skipped hour (02:30 when clocks jump 02:00 -> 03:00) is posted the
  same length of time after the jump (03:30), never skipped;
- fall back: a time inside the repeated hour (01:30 happens twice) is posted at its first occurrence
  only, never twice.

A digest missed while the bot was down is posted once on start (covering everything since the last one),
then the schedule moves to the next future time: missed days are not replayed one by one.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.discord.render import fit
from bot.models import DigestSchedule
from bot.store import Store
from bot.work.delivery import ChannelGone, Delivered, Refused, RetryLater, Sink
from bot.work.leases import new_owner
from bot.work.retry import plan_retry

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK = timedelta(hours=24)
"""How far back the first digest of a channel (or `/digest now` without one) reaches."""

DEFAULT_LEASE = timedelta(minutes=1)
PROCESS_OWNER = new_owner()
"""Who claims digests when the caller names no owner (`/digest now`, tests)."""

_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)


class ScheduleError(ValueError):
    """A time or zone that cannot be used; the message says what was expected."""


def _shown(text: str | None) -> str:
    """What the person typed, echoed back: escaped and short (an option may hold 6000 characters, and the
    answer has 2000)."""
    return fit(text, 60)


def parse_time_of_day(text: str) -> time:
    """"7:30", "07:30", "19:05", "7pm", "7:30 am", "7h30" -> time. Raises ScheduleError."""
    m = _TIME.match(text or "")
    if not m:
        raise ScheduleError(f"“{_shown(text)}” is not a time of day; use 24-hour HH:MM like 07:30 or 18:00.")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    meridiem = (m.group(3) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"“{_shown(text)}”: with am/pm the hour must be 1 to 12.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"“{_shown(text)}” is not a valid time; hours go 0–23 and minutes 0–59.")
    return time(hour, minute)


def format_time_of_day(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


@cache
def _zones() -> dict[str, str]:
    """Lower-cased zone name -> canonical name."""
    return {name.lower(): name for name in available_timezones()}


def validate_timezone(name: str) -> str:
    """The canonical IANA name for `name` (case-insensitive), or ScheduleError suggesting close matches."""
    cleaned = (name or "").strip().replace(" ", "_")
    zones = _zones()
    canonical = zones.get(cleaned.lower())
    if canonical is None and cleaned.upper() in ("UTC", "GMT", "Z"):
        canonical = "UTC"
    if canonical is not None:
        try:
            ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):
            canonical = None
        else:
            return canonical
    close = difflib.get_close_matches(cleaned.lower(), list(zones), n=3, cutoff=0.6)
    if not close:  # "Paris" -> "Europe/Paris": match on the city part too
        cities = {k.rsplit("/", 1)[-1]: k for k in zones if "/" in k}
        close = [cities[c] for c in difflib.get_close_matches(cleaned.lower(), list(cities), n=3, cutoff=0.7)]
    hint = f" Did you mean {', '.join(zones[c] for c in close)}?" if close else ""
    raise ScheduleError(
        f"“{_shown(name)}” is not a time zone I know.{hint} Use an IANA name like Europe/Paris, America/New_York "
        "or UTC."
    )


def next_due(time_of_day: str, tz: str, after: datetime) -> datetime:
    """The first moment strictly after `after` when the local clock in `tz` shows `time_of_day`, in UTC.

    Only fold=0 is used: in a repeated hour that is the first occurrence, so a digest posted then is not
    due again an hour later; in a skipped hour zoneinfo maps the wall time forward by the gap.
    """
    if after.tzinfo is None:
        raise ValueError("next_due needs an aware datetime")
    wall = parse_time_of_day(time_of_day)
    zone = ZoneInfo(tz)
    start = after.astimezone(zone).date()
    for offset in range(-1, 3):
        day = start + timedelta(days=offset)
        local = datetime.combine(day, wall, tzinfo=zone).replace(fold=0)
        candidate = local.astimezone(UTC)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: some day within three has the time after `after`")


def slot_of(time_of_day: str, tz: str, at: datetime) -> datetime:
    """The scheduled time a digest due at `at` belongs to: the last moment at or before `at` when the
    local clock in `tz` showed `time_of_day`. A digest put off by its back-off keeps its slot, so every
    retry posts under the same nonce (a post that timed out is not doubled)."""
    slot = next_due(time_of_day, tz, at - timedelta(days=2))
    while (following := next_due(time_of_day, tz, slot)) <= at:
        slot = following
    return slot


def _tries_key(channel_id: int) -> str:
    """Store metadata key counting the failed tries of a channel's due digest (for the back-off and the
    give-up bound), so a restart or another process carries on the count."""
    return f"digest.failed_tries.{channel_id}"


async def _failed_tries(store: Store, channel_id: int) -> int:
    value = await store.get_meta(_tries_key(channel_id))
    return int(value) if value and value.isdecimal() and len(value) < 10 else 0


async def _forget_failures(store: Store, channel_id: int) -> None:
    if await _failed_tries(store, channel_id):
        await store.set_meta(_tries_key(channel_id), "0")


async def run_due_digests(store: Store, sink: Sink, *, now: datetime, max_stories: int, owner: str | None = None,
                          lease: timedelta = DEFAULT_LEASE, max_attempts: int = 8, limit: int = 100,
                          shard_count: int | None = None, shard_ids: Sequence[int] | None = None) -> int:
    """Claim the digests due at `now` (each by one process only: a lease) and post them; returns how many
    were posted.

    An empty digest is skipped silently (a daily "nothing new" line is noise) but the schedule still
    advances. A failure is retried like a story (bot/work/retry.py): Discord being down is waited out
    with capped back-off, not on every check; a permanent refusal or too many unexplained failures give
    the digest up, and the guild's log channel is told. A gone channel advances the schedule (the sink
    has already told the guild's log channel). A given-up digest's stories are in the next one. A process
    that dies holding a digest's lease leaves it due: another claims it when the lease runs out.
    """
    posted = 0
    due = await store.claim_due_digests(owner or PROCESS_OWNER, now=now, lease=lease, limit=limit,
                                        shard_count=shard_count, shard_ids=shard_ids)
    for schedule in due:
        try:
            since = schedule.last_sent_at or (now - DEFAULT_LOOKBACK)
            stories = await store.digest_stories(schedule.channel_id, since=since, limit=max_stories)
            following = next_due(schedule.time_of_day, schedule.timezone, now)
            if not stories:
                log.info("digest for channel %s: nothing new since %s; skipped", schedule.channel_id, since)
                await store.mark_digest_sent(schedule.channel_id, sent_at=now, next_due_at=following)
                continue
            try:
                outcome = await sink.post_digest(schedule, stories)
            except Exception as exc:  # the sink should map its errors; an unmapped one is retried, bounded
                log.exception("digest for channel %s raised", schedule.channel_id)
                outcome = RetryLater(f"{type(exc).__name__}: {exc}"[:300], 30.0, bounded=True)
            match outcome:
                case Delivered():
                    posted += 1
                    await _forget_failures(store, schedule.channel_id)
                    await store.mark_digest_sent(schedule.channel_id, sent_at=now, next_due_at=following)
                case RetryLater() | Refused():
                    await _digest_failed(store, sink, schedule, outcome, now=now, since=since,
                                         following=following, max_attempts=max_attempts)
                case ChannelGone(reason=reason):
                    log.warning("digest for channel %s not posted: %s", schedule.channel_id, reason)
                    await _forget_failures(store, schedule.channel_id)
                    await store.mark_digest_sent(schedule.channel_id, sent_at=schedule.last_sent_at or since,
                                                 next_due_at=following)
        except Exception:
            log.exception("digest for channel %s failed", schedule.channel_id)
    return posted


async def _digest_failed(store: Store, sink: Sink, schedule: DigestSchedule, outcome: RetryLater | Refused, *,
                         now: datetime, since: datetime, following: datetime, max_attempts: int) -> None:
    """Back off, or give the digest up (schedule moved on, stories kept for the next one) and say so."""
    tries = await _failed_tries(store, schedule.channel_id) + 1
    plan = plan_retry(outcome, tries, max_attempts=max_attempts)
    if not plan.give_up:
        await store.set_meta(_tries_key(schedule.channel_id), str(tries))
        log.warning("digest for channel %s failed (%s); retrying in %.0f s", schedule.channel_id,
                    outcome.error, plan.delay)
        await store.retry_digest_at(schedule.channel_id, now + timedelta(seconds=plan.delay))
        return
    await _forget_failures(store, schedule.channel_id)
    log.warning("giving up the digest for channel %s after %s tries: %s", schedule.channel_id, tries,
                outcome.error)
    await store.mark_digest_sent(schedule.channel_id, sent_at=schedule.last_sent_at or since,
                                 next_due_at=following)
    try:
        await sink.report_given_up(schedule.guild_id, schedule.channel_id,
                                   "the daily digest (its stories will be in the next one)", outcome.error)
    except Exception:
        log.exception("could not report the given-up digest of channel %s", schedule.channel_id)
