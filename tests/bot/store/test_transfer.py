"""`newsbot migrate-db`: a SQLite deployment copied into PostgreSQL reads back the same, through the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.models import QuoteRecord
from bot.store import Store, open_store
from tests.bot.store.test_store import T0, make_article

ROOT = Path(__file__).resolve().parents[3]


async def _fill(store: Store) -> dict[str, int]:
    a = await store.add_feed("https://a/rss", title="Alpha", now=T0)
    b = await store.add_feed("https://b/rss", title="Beta", now=T0)
    await store.subscribe(1, 10, a.id, now=T0, include="élections, vote")
    await store.subscribe(2, 20, b.id, now=T0)
    await store.record_poll_failure(b.id, now=T0, next_poll_at=T0, error="503", disable=False)
    await store.mark_seen(a.id, ["old-1", "old-2"], now=T0)
    fr = await store.add_article(make_article(a.id, 1, title="Les élections régionales", language="fr",
                                              quotes=(QuoteRecord("Nous gagnerons.", "José Ramos-Horta"),),
                                              fingerprint=b"\x01\x02"), story_id=None, now=T0)
    en = await store.add_article(make_article(b.id, 2, title="Volcanoes erupt", language="en"), story_id=None,
                                 now=T0 + timedelta(minutes=1))
    assert fr and en
    await store.add_article(make_article(b.id, 3, title="Eruption seen from space"), story_id=en.story_id,
                            now=T0 + timedelta(minutes=2))
    await store.mark_delivered(fr.deliveries[0], 555, now=T0)
    await store.set_digest(2, 20, time_of_day="08:00", timezone="Europe/Paris", next_due_at=T0)
    await store.set_log_channel(1, 99)
    await store.set_meta("samples_shown", "1")
    return {"fr": fr.story_id, "en": en.story_id}


async def _snapshot(store: Store, stories: dict[str, int]) -> dict[str, object]:
    return {
        "feeds": await store.list_feeds(),
        "subs": [await store.guild_subscriptions(g) for g in (1, 2)],
        "stories": [await store.get_story(s) for s in stories.values()],
        "pending": await store.pending_deliveries(T0 + timedelta(days=1)),
        "digest": await store.get_digest(20),
        "log": await store.get_log_channel(1),
        "meta": await store.get_meta("samples_shown"),
        "quotes": await store.quotes_by(1, "ramos horta"),
        "fingerprints": await store.recent_fingerprints(T0),
        "unseen": await store.unseen_guids(1, ["old-1", "new"]),
        "latest": [await store.latest(g) for g in (1, 2)],
    }


def _migrate(source: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())",
                           "migrate-db", "--from", str(source), "--to", target],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


async def test_migrate_db_copies_everything_verified_by_counts(tmp_path: Path, pg_empty_url: str) -> None:
    source = tmp_path / "newsbot.db"
    lite = await open_store(source)
    stories = await _fill(lite)
    before = await _snapshot(lite, stories)
    await lite.close()

    done = await asyncio.to_thread(_migrate, source, pg_empty_url)
    assert done.returncode == 0, done.stderr
    assert "articles                  3 rows" in done.stdout and "deliveries                2 rows" in done.stdout
    assert "every table's row count matches" in done.stdout

    pg = await open_store(pg_empty_url)
    try:
        assert await _snapshot(pg, stories) == before
        # search works in each story's language after the copy (the French stemmer finds the plural)
        assert [v.story_id for v in await pg.search(1, "élection")] == [stories["fr"]]
        assert [v.story_id for v in await pg.search(2, "volcano")] == [stories["en"]]
        # the identity sequences continue after the copied ids
        new = await pg.add_feed("https://c/rss", now=T0)
        assert new.id == max(f.id for f in before["feeds"]) + 1  # type: ignore[attr-defined]
    finally:
        await pg.close()

    again = await asyncio.to_thread(_migrate, source, pg_empty_url)
    assert again.returncode == 1 and "only fills an empty one" in again.stderr
    assert "Traceback" not in again.stderr and again.stderr.strip().splitlines()[-1].startswith("newsbot: ")


async def test_migrate_db_refuses_a_missing_source_or_a_file_target(tmp_path: Path, pg_empty_url: str) -> None:
    missing = await asyncio.to_thread(_migrate, tmp_path / "nope.db", pg_empty_url)
    assert missing.returncode == 1 and "no SQLite database" in missing.stderr
    not_pg = await asyncio.to_thread(_migrate, tmp_path / "nope.db", str(tmp_path / "other.db"))
    assert not_pg.returncode == 1 and "postgresql://" in not_pg.stderr
