from pathlib import Path

import pytest

from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings, parse_settings
from bot.config_example import render_example

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file():
    settings = load_settings(None, environ={})
    assert settings.bot.database == str(Path.cwd() / "newsbot.db")  # absolute, so logs say where it is
    assert settings.feeds == Settings().feeds
    assert settings.token is None
    assert settings.feeds.poll_interval == 900
    assert settings.net.allow_private_addresses is False


def test_example_file_is_the_rendered_defaults_and_loads_to_defaults():
    example = ROOT / "config.example.toml"
    assert example.read_text(encoding="utf-8") == render_example()
    settings = load_settings(example, environ={})
    assert settings.feeds == Settings().feeds
    assert settings.discord == Settings().discord
    assert settings.source == example


def test_values_are_typed_and_token_comes_from_environment(tmp_path):
    path = write(tmp_path, '[feeds]\npoll_interval = 300\njitter = 0\n[net]\nallow_private_addresses = true\n')
    settings = load_settings(path, environ={TOKEN_ENV: "abc"})
    assert settings.feeds.poll_interval == 300
    assert settings.feeds.jitter == 0.0 and isinstance(settings.feeds.jitter, float)
    assert settings.net.allow_private_addresses is True
    assert settings.token == "abc"
    assert "abc" not in repr(settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[feeds]\npoll_interval = 'soon'\n", "'feeds.poll_interval' must be an integer, got 'soon'"),
        ("[feeds]\npolling = 3\n", "unknown key 'feeds.polling'"),
        ("[feedz]\n", "unknown section [feedz]"),
        ("[feeds]\njitter = 2.5\n", "'feeds.jitter' must be at most 1"),
        ("[bot]\nlog_level = 'LOUD'\n", "'bot.log_level' must be one of DEBUG, INFO, WARNING, ERROR"),
        ("[net]\nallow_private_addresses = 1\n", "must be true or false"),
        ("[summary]\nalgorithm = 'magic'\n", "'summary.algorithm' must be one of default"),
        ("[discord]\napi_base = 'ftp://x'\n", "'discord.api_base' must be a http/https URL"),
        ("[discord]\ntoken = 'x'\n", f"only from ${TOKEN_ENV}"),
        ("feeds = 3\n", "[feeds] must be a table"),
        ("[feeds\n", "not valid TOML"),
        ("[feeds]\npoll_interval = 60\nmin_poll_interval = 120\n", "at least 'feeds.min_poll_interval'"),
    ],
)
def test_bad_files_name_the_file_the_key_and_the_expectation(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml", environ={})
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(binary, environ={})


def test_optional_int_accepts_value():
    settings = parse_settings({"discord": {"shards": 2}})
    assert settings.discord.shards == 2
    with pytest.raises(ConfigError, match="at least 1"):
        parse_settings({"discord": {"shards": 0}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("discord = 5\n", "[discord] must be a table"),
        ("[net]\nread_timeout = nan\n", "'net.read_timeout' must be a finite number, got nan"),
        ("[scheduler]\nretention_hours = inf\n", "'scheduler.retention_hours' must be a finite number"),
        ("[feeds]\njitter = -inf\n", "'feeds.jitter' must be a finite number"),
    ],
)
def test_non_table_sections_and_non_finite_numbers_are_config_errors(tmp_path, text, message):
    # nan compares false with every bound, and `"token" in 5` raised TypeError instead of ConfigError.
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert message in str(err.value)


def test_relative_database_is_from_the_config_files_folder(tmp_path, monkeypatch):
    folder = tmp_path / "srv"
    folder.mkdir()
    path = write(folder, '[bot]\ndatabase = "data/news.db"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings(path, environ={}).bot.database == str(folder / "data" / "news.db")
    url = write(folder, '[bot]\ndatabase = "postgresql://newsbot@db/newsbot"\n')
    assert load_settings(url, environ={}).bot.database == "postgresql://newsbot@db/newsbot"


def test_every_setting_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "[feeds]\npoll_interval = 300\n")
    env = {"NEWSBOT_FEEDS__POLL_INTERVAL": "600", "NEWSBOT_NET__ALLOW_PRIVATE_ADDRESSES": "true",
           "NEWSBOT_FEEDS__JITTER": "0.5", "NEWSBOT_BOT__DATABASE": "x.db", "NEWSBOT_DISCORD__SHARDS": "2",
           "NEWSBOT_METRICS__ENABLED": "1", "NEWSBOT_SUMMARY__LANGUAGE": "german"}
    settings = load_settings(path, environ=env)
    assert settings.feeds.poll_interval == 600  # the variable wins over the file
    assert settings.net.allow_private_addresses is True
    assert settings.feeds.jitter == 0.5
    assert settings.discord.shards == 2
    assert settings.metrics.enabled is True
    assert settings.summary.language == "german"
    assert settings.bot.database == str(tmp_path / "x.db")


def test_all_errors_at_once_with_did_you_mean(tmp_path):
    path = write(tmp_path, "[feeds]\npoll_intervall = 3\njitter = 7\n[sumary]\n")
    env = {"NEWSBOT_NET__READ_TIMEOUT": "soon", "NEWSBOT_NETT__X": "1"}
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ=env)
    lines = str(info.value).splitlines()
    assert len(lines) == 5, lines
    text = str(info.value)
    assert "unknown key 'feeds.poll_intervall'; did you mean 'poll_interval'?" in text
    assert "'feeds.jitter' must be at most 1, got 7" in text
    assert "unknown section [sumary]" in text and "did you mean 'summary'?" in text
    assert "$NEWSBOT_NET__READ_TIMEOUT must be a finite number, got 'soon'" in text
    assert "$NEWSBOT_NETT__X: unknown section [nett]; did you mean 'net'?" in text
def test_shard_ids_are_a_list_within_the_shard_count():
    settings = parse_settings({"discord": {"shards": 4, "shard_ids": [1, 3]}})
    assert settings.discord.shard_ids == (1, 3)
    with pytest.raises(ConfigError, match=r"needs 'discord\.shards'"):
        parse_settings({"discord": {"shard_ids": [0]}})
    with pytest.raises(ConfigError, match=r"below 'discord\.shards'"):
        parse_settings({"discord": {"shards": 2, "shard_ids": [2]}})
    with pytest.raises(ConfigError, match="a list of integers"):
        parse_settings({"discord": {"shards": 2, "shard_ids": "0"}})
