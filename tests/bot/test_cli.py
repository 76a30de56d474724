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
