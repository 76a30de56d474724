"""Settings: TOML in, typed and validated objects out.

A mistake in the file stops the program at start with the file, the key and what was expected, because a
bot that starts with a half-understood config fails later, in a channel, where nobody can fix it.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config_values import check_value, did_you_mean, from_env_text

TOKEN_ENV = "NEWSBOT_DISCORD_TOKEN"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the key and what is expected."""


def _range(lo: float | None = None, hi: float | None = None, choices: tuple[str, ...] = ()) -> Any:
    return {"lo": lo, "hi": hi, "choices": choices}


@dataclass(frozen=True, slots=True)
class BotSettings:
    database: str = field(
        default="newsbot.db",
        metadata={"doc": "SQLite file (created if missing; relative to this file's folder), or a postgresql:// URL"},
    )
    log_level: str = field(
        default="INFO",
        metadata={"doc": "DEBUG, INFO, WARNING or ERROR",
                  **_range(choices=("DEBUG", "INFO", "WARNING", "ERROR"))},
    )
    console_samples: bool = field(
        default=True, metadata={"doc": "console mode (no token) starts with the bundled sample articles"}
    )


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    api_base: str = field(default="https://discord.com/api/v10", metadata={"doc": "REST base URL"})
    gateway_url: str = field(default="wss://gateway.discord.gg", metadata={"doc": "gateway URL"})
    shards: int | None = field(default=None, metadata={"doc": "shard count; set to use AutoShardedBot",
                                                        **_range(1, 1024)})
    shard_ids: tuple[int, ...] | None = field(
        default=None, metadata={"doc": "this process's shards, e.g. [0, 1] (needs shards; default: all)",
                                **_range(0, 1023)})
    sync_commands: bool = field(
        default=True, metadata={"doc": "sync slash commands at start when the command tree changed"}
    )
    delivery_interval: float = field(
        default=1.0, metadata={"doc": "seconds between two posts to the same channel", **_range(0, 60)}
    )
    max_delivery_attempts: int = field(
        default=8,
        metadata={"doc": "tries before an unexplained delivery failure is given up (outages never count)",
                  **_range(1, 100)},
    )


@dataclass(frozen=True, slots=True)
class NetSettings:
    user_agent: str = field(
        default="newsbot/0.1 (+https://github.com/newsbot/newsbot; self-hosted Discord news bot)",
        metadata={"doc": "User-Agent sent with every request"},
    )
    connect_timeout: float = field(default=10.0, metadata={"doc": "seconds", **_range(0.1, 120)})
    read_timeout: float = field(default=30.0, metadata={"doc": "seconds for a whole response", **_range(0.1, 600)})
    max_body_bytes: int = field(
        default=5_000_000, metadata={"doc": "cap on any body, compressed and decompressed", **_range(1024, 1e9)}
    )
    max_redirects: int = field(default=5, metadata={"doc": "redirects followed", **_range(0, 20)})
    per_host_concurrency: int = field(default=2, metadata={"doc": "requests at once to one host", **_range(1, 100)})
    total_concurrency: int = field(default=32, metadata={"doc": "requests at once in all", **_range(1, 1000)})
    allow_private_addresses: bool = field(
        default=False, metadata={"doc": "let fetches reach loopback/private addresses (tests, local feeds)"}
    )


@dataclass(frozen=True, slots=True)
class FeedSettings:
    poll_interval: int = field(default=900, metadata={"doc": "seconds between polls of a feed", **_range(1)})
    min_poll_interval: int = field(default=120, metadata={"doc": "floor for any feed's interval", **_range(1)})
    jitter: float = field(default=0.1, metadata={"doc": "fraction of the interval added at random", **_range(0, 1)})
    backoff_max: int = field(default=86_400, metadata={"doc": "longest wait after failures, seconds", **_range(60)})
    disable_after_failures: int = field(
        default=12, metadata={"doc": "consecutive failures that disable a feed", **_range(1, 1000)}
    )
    first_poll_queue: int = field(
        default=3, metadata={"doc": "newest entries of a new feed posted on its first poll", **_range(0, 100)}
    )
    max_entries: int = field(default=500, metadata={"doc": "entries read from one feed body", **_range(1, 100_000)})
    min_article_chars: int = field(
        default=300, metadata={"doc": "page text shorter than this falls back to the feed's content", **_range(0)}
    )
    cluster_threshold: float = field(
        default=0.6, metadata={"doc": "MinHash similarity that groups two outlets' stories", **_range(0.1, 1)}
    )
    cluster_window_hours: int = field(
        default=72, metadata={"doc": "how far back stories are compared for grouping", **_range(1, 24 * 30)}
    )
    max_subscriptions_per_server: int = field(
        default=200, metadata={"doc": "feed subscriptions one Discord server may have", **_range(1, 100_000)}
    )


@dataclass(frozen=True, slots=True)
class SummarySettings:
    bullets: int = field(default=3, metadata={"doc": "bullets per summary", **_range(1, 10)})
    algorithm: str = field(default="default", metadata={"doc": "default, lexrank, textrank, lsa, luhn, ..."})
    language: str = field(default="english", metadata={"doc": "language when the page does not say"})


@dataclass(frozen=True, slots=True)
class StorageSettings:
    retention_days: int = field(
        default=30, metadata={"doc": "article text older than this is dropped (summaries kept); 0 keeps all",
                              **_range(0)}
    )


@dataclass(frozen=True, slots=True)
class DigestSettings:
    max_stories: int = field(default=10, metadata={"doc": "stories in one digest", **_range(1, 50)})


@dataclass(frozen=True, slots=True)
class LimitsSettings:
    feeds_per_server: int = field(default=50, metadata={"doc": "feeds one server may follow", **_range(1, 10_000)})
    user_cooldown: float = field(
        default=10.0, metadata={"doc": "seconds between two /summarize, /search or /quotes of one member",
                                **_range(0, 3600)})
    server_cooldown: float = field(
        default=2.0, metadata={"doc": "seconds between two /summarize, /search or /quotes in one server",
                               **_range(0, 3600)})
    summarize_jobs: int = field(
        default=4, metadata={"doc": "on-demand /summarize jobs in flight at once (extra ones are refused)",
                             **_range(1, 64)})
    missed_stories: int = field(
        default=10, metadata={"doc": "stories posted at most by /feed resume missed:post", **_range(1, 100)})


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    poll_check_seconds: float = field(
        default=30.0, metadata={"doc": "how often due feeds are looked for", **_range(0.05, 3600)}
    )
    deliver_seconds: float = field(
        default=5.0, metadata={"doc": "how often pending deliveries are sent", **_range(0.05, 3600)}
    )
    digest_check_seconds: float = field(
        default=30.0, metadata={"doc": "how often due digests are looked for", **_range(0.05, 3600)}
    )
    retention_hours: float = field(
        default=6.0, metadata={"doc": "how often old text is purged and the search index tidied", **_range(0.01)}
    )
    feed_concurrency: int = field(default=8, metadata={"doc": "feeds polled at once", **_range(1, 256)})
    ingest_workers: int | None = field(
        default=None, metadata={"doc": "processes that parse, extract, summarize and fingerprint (default: one "
                                       "per core; 0: threads of the main process)", **_range(0, 256)})
    feed_deadline: float = field(
        default=300.0, metadata={"doc": "seconds one feed's whole poll (pages included) may take", **_range(1, 3600)}
    )
    lane_concurrency: int = field(
        default=16, metadata={"doc": "channels delivered to at once", **_range(1, 1024)}
    )
    lease_seconds: float = field(
        default=60.0, metadata={"doc": "how long claimed work stays ours without renewal; a dead process's "
                                       "work is taken over after this", **_range(0.5, 3600)}
    )


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    enabled: bool = field(default=False, metadata={"doc": "serve Prometheus metrics over HTTP"})
    host: str = field(default="127.0.0.1", metadata={"doc": "address to listen on; keep it on loopback"})
    port: int = field(default=9464, metadata={"doc": "port for /metrics", **_range(1, 65535)})


@dataclass(frozen=True, slots=True)
class Settings:
    bot: BotSettings = field(default_factory=BotSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    net: NetSettings = field(default_factory=NetSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    token: str | None = field(default=None, repr=False)
    source: Path | None = None  # the file these settings came from, for messages


SECTIONS: dict[str, type] = {
    f.name: f.default_factory  # type: ignore[misc]
    for f in dataclasses.fields(Settings)
    if f.default_factory is not dataclasses.MISSING
}


ENV_PREFIX = "NEWSBOT_"


def _env_overrides(env: typing.Mapping[str, str], errors: list[str]) -> dict[str, dict[str, Any]]:
    """`NEWSBOT_SECTION__KEY=value` for every setting, as a TOML-shaped dict."""
    out: dict[str, dict[str, Any]] = {}
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        if section not in SECTIONS:
            errors.append(f"${name}: unknown section [{section}]{did_you_mean(section, SECTIONS)}")
            continue
        cls = SECTIONS[section]
        known = [f.name for f in dataclasses.fields(cls)]
        if key not in known:
            hint = did_you_mean(key, known) or f" (known keys in [{section}]: {', '.join(known)})"
            errors.append(f"${name}: unknown key '{section}.{key}'{hint}")
            continue
        out.setdefault(section, {})[key] = (name, from_env_text(text[:10_000], typing.get_type_hints(cls)[key]))
    return out


def parse_settings(data: dict[str, Any], *, path: str = "<config>", token: str | None = None,
                   environ: typing.Mapping[str, str] | None = None) -> Settings:
    """Validate everything and report every problem at once: fixing a file one error per start is slow."""
    errors: list[str] = []
    env_values = _env_overrides(environ or {}, errors)
    sections: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in SECTIONS:
            errors.append(f"{path}: unknown section [{name}] (known: {', '.join(SECTIONS)})"
                          f"{did_you_mean(name, SECTIONS)}")
        elif not isinstance(raw, dict):
            errors.append(f"{path}: [{name}] must be a table of settings")
    for name, cls in SECTIONS.items():
        raw = data.get(name, {})
        raw = raw if isinstance(raw, dict) else {}
        known = [f.name for f in dataclasses.fields(cls)]
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                hint = did_you_mean(key, known) or f" (known keys in [{name}]: {', '.join(sorted(known))})"
                errors.append(f"{path}: unknown key '{name}.{key}'{hint}")
                continue
            error, values[key] = check_value(cls, key, value, f"'{name}.{key}'")
            if error:
                errors.append(f"{path}: {error}")
        for key, (var, value) in env_values.get(name, {}).items():
            error, values[key] = check_value(cls, key, value, f"${var}")
            if error:
                errors.append(error)
        sections[name] = values
    if errors:
        raise ConfigError("\n".join(errors))
    settings = Settings(**{name: SECTIONS[name](**values) for name, values in sections.items()}, token=token)
    errors = _cross_field_errors(settings, path)
    if errors:
        raise ConfigError("\n".join(errors))
    return settings


def _cross_field_errors(settings: Settings, path: str) -> list[str]:
    errors = []
    # Importing the summarizer costs seconds (NLTK, SciPy): only a non-default name needs it, which keeps
    # `newsbot status` fast enough for a health check.
    if settings.summary.algorithm != "default" and settings.summary.algorithm not in _algorithms():
        errors.append(f"{path}: 'summary.algorithm' must be one of {', '.join(_algorithms())}, "
                      f"got {settings.summary.algorithm!r}")
    if settings.feeds.poll_interval < settings.feeds.min_poll_interval:
        errors.append(f"{path}: 'feeds.poll_interval' must be at least 'feeds.min_poll_interval'")
    shard_ids = settings.discord.shard_ids
    if shard_ids is not None:
        if not settings.discord.shards:
            errors.append(f"{path}: 'discord.shard_ids' needs 'discord.shards' (the total shard count)")
        elif not shard_ids or any(s >= settings.discord.shards for s in shard_ids):
            errors.append(f"{path}: 'discord.shard_ids' must list shards below 'discord.shards' "
                          f"({settings.discord.shards}), got {list(shard_ids)}")
    for key in ("api_base", "gateway_url"):
        value = getattr(settings.discord, key)
        scheme = value.split("://", 1)[0]
        allowed = ("http", "https") if key == "api_base" else ("ws", "wss")
        if scheme not in allowed or "://" not in value:
            errors.append(f"{path}: 'discord.{key}' must be a {'/'.join(allowed)} URL, got {value!r}")
    return errors


def _algorithms() -> tuple[str, ...]:
    from summaries import ALGORITHMS

    return tuple(ALGORITHMS)


def resolve_database(database: str, folder: Path) -> str:
    """A relative SQLite path is taken from the config file's folder, not from wherever the command runs."""
    if database == ":memory:" or "://" in database:
        return database  # in-memory, or a server URL (postgresql://...)
    path = Path(database).expanduser()
    return str(path if path.is_absolute() else (folder / path).resolve())


def load_settings(path: Path | None, *, environ: typing.Mapping[str, str] | None = None) -> Settings:
    """Load `path` (or defaults when None), then `NEWSBOT_SECTION__KEY` variables; the token comes only from
    the environment."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV) or None
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(path)
        discord = data.get("discord")
        if "token" in data or (isinstance(discord, dict) and "token" in discord):
            raise ConfigError(f"{path}: the Discord token is read only from ${TOKEN_ENV}, never from the file")
    settings = parse_settings(data, path=str(path or "<defaults>"), token=token, environ=env)
    # The file's own relative path is from its folder; one given by variable or default is from here.
    from_file = isinstance(data.get("bot"), dict) and "database" in data["bot"] and \
        f"{ENV_PREFIX}BOT__DATABASE" not in env
    folder = path.parent if (path is not None and from_file) else Path.cwd()
    bot = dataclasses.replace(settings.bot, database=resolve_database(settings.bot.database, folder))
    return dataclasses.replace(settings, bot=bot, source=path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (create one with `newsbot init`)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    if len(raw) > 1_000_000:
        raise ConfigError(f"{path}: the config file is over 1 MB; is this the right file?")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
