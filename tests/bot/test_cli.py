"""The `newsbot` command line, run as a real subprocess where exit codes and streams matter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def newsbot(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_DISCORD_TOKEN"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120, env={**full_env, "PYTHONPATH": str(ROOT)})


def test_version_and_help(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "newsbot 0.1.0" in capsys.readouterr().out
    for args in (["--help"], ["feeds", "--help"], ["summarize", "--help"], ["run", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 0
        assert "usage: newsbot" in capsys.readouterr().out


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_init_writes_a_loadable_config_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "config.toml"
    assert main(["init", str(target)]) == 0
    assert "[feeds]" in target.read_text()
    assert main(["check-config", "--config", str(target)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["init", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_bad_config_is_one_clear_line_and_exit_2(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("[feeds]\npoll_interval = 'often'\n")
    result = newsbot("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "config.toml: 'feeds.poll_interval' must be an integer, got 'often'" in result.stderr


def test_missing_input_file_is_a_failure_not_a_traceback(tmp_path):
    result = newsbot("summarize", "no-such-file.txt", cwd=tmp_path)
    assert result.returncode == 1
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr


ARTICLE = (
    "LONDON (Reuters) - The city's tram network will add 14 new stops by 2028 under a plan approved on "
    "Wednesday, transport officials said.\n\n"
    "The extension, costing 210 million pounds, links the eastern estates to the hospital and the "
    "university for the first time.\n\n"
    "\"People in the east have waited long enough for a fast way into the centre,\" said transport "
    "commissioner Priya Natarajan.\n\n"
    "Work on the first section begins in the spring. Opponents said the money would be better spent on "
    "buses, which carry three times as many passengers."
)


def test_summarize_a_file_as_markdown_and_stdin_as_json(tmp_path):
    source = tmp_path / "article.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    result = newsbot("summarize", str(source), "--bullets", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bullets = [line[2:] for line in result.stdout.splitlines() if line.startswith("- ")]
    assert len(bullets) == 2 and all(b in ARTICLE for b in bullets)
    assert "Priya Natarajan" in result.stdout

    result = newsbot("summarize", "-", "--json", "--algorithm", "lexrank", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 0, result.stderr
    import json

    payload = json.loads(result.stdout)
    assert len(payload["bullets"]) == 3
    assert {"text": "People in the east have waited long enough for a fast way into the centre,",
            "speaker": "Priya Natarajan"} in payload["quotes"]
    assert payload["word_count"] > 50 and 0 < payload["reduction"] < 1


def test_summarize_rejects_bad_options_with_exit_2(tmp_path):
    result = newsbot("summarize", "-", "--bullets", "0", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 2 and "--bullets" in result.stderr
    result = newsbot("summarize", "-", "--algorithm", "magic", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 2 and "--algorithm must be one of" in result.stderr
    result = newsbot("summarize", "-", "--language", "klingon", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 2 and "klingon" in result.stderr.lower()


async def test_summarize_a_url_over_loopback_and_refuse_private_addresses(tmp_path):
    import asyncio

    from tests.newsite import NewsSite

    async with NewsSite() as site:
        url = site.add_article("tram", "Tram network to grow", ARTICLE)
        allow = tmp_path / "allow.toml"
        allow.write_text("[net]\nallow_private_addresses = true\n")

        async def run(*args: str) -> tuple[int, str, str]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, cwd=tmp_path,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            return proc.returncode or 0, out.decode(), err.decode()

        code, out, err = await run("summarize", url, "--config", str(allow))
        assert code == 0, err
        assert out.startswith("# Tram network to grow") and "Priya Natarajan" in out
        code, out, err = await run("summarize", url)  # default settings: loopback is off limits
        assert code == 1 and "Traceback" not in err
        assert "address" in err.lower()


def test_run_with_a_token_but_no_discord_reachable_is_one_clear_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase = "{tmp_path / "n.db"}"\n'
                      '[discord]\napi_base = "http://127.0.0.1:9/api/v10"\ngateway_url = "ws://127.0.0.1:9/"\n')
    result = newsbot("run", "--config", str(config), cwd=tmp_path, env={"NEWSBOT_DISCORD_TOKEN": "x"})
    assert result.returncode == 1
    assert "cannot reach Discord at http://127.0.0.1:9/api/v10" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_option_before_the_subcommand_is_honoured(tmp_path, capsys):
    # The subparsers' own -c default (None) used to overwrite the value parsed before the subcommand.
    config = tmp_path / "mine.toml"
    config.write_text("[feeds]\npoll_interval = 'often'\n")
    assert main(["-c", str(config), "check-config"]) == 2
    assert "mine.toml: 'feeds.poll_interval'" in capsys.readouterr().err
    config.write_text("")
    assert main(["--config", str(config), "check-config"]) == 0
    assert f"{config}: OK" in capsys.readouterr().out


def test_unwritable_paths_are_one_line_failures(tmp_path, capsys):
    assert main(["init", str(tmp_path / "missing" / "config.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsbot: ") and "No such file or directory" in err and err.count("\n") == 1
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the database directory should be")
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase = "{blocker / "sub" / "n.db"}"\n')
    result = newsbot("feeds", "list", "-c", str(config), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("newsbot: ") and result.stderr.count("\n") == 1
    config.write_text(f'[bot]\ndatabase = "{blocker}"\n')  # exists, but is not a database
    result = newsbot("feeds", "list", "-c", str(config), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("newsbot: cannot use the database ") and result.stderr.count("\n") == 1
    assert "file is not a database" in result.stderr
