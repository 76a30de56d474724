"""The service files run what we test: the systemd unit verifies, and the container's commands (install,
health check, run) work on a wheel installed into a fresh virtual environment, as `pipx install .` does."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "newsbot.service"
INSTALLED = "/opt/newsbot/bin/newsbot"


def unit_commands() -> list[list[str]]:
    lines = UNIT.read_text().splitlines()
    return [shlex.split(line.split("=", 1)[1]) for line in lines if line.startswith(("ExecStart=", "ExecStartPost="))]


def test_unit_has_what_an_operator_expects():
    text = UNIT.read_text()
    for line in ("User=newsbot", "EnvironmentFile=/etc/newsbot/env", "WorkingDirectory=/var/lib/newsbot",
                 "Restart=on-failure", "RestartPreventExitStatus=2", "KillSignal=SIGTERM"):
        assert line in text.splitlines(), line
    start, ready = unit_commands()
    assert start[0] == ready[0] == INSTALLED
    assert build_parser().parse_args(start[1:]).command == "run"
    readiness = build_parser().parse_args(ready[1:])
    assert readiness.command == "status" and readiness.wait > 0


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path):
    newsbot = Path(sys.executable).with_name("newsbot")
    assert newsbot.exists()
    unit = tmp_path / "newsbot.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(newsbot)))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings: none allowed


def dockerfile() -> dict[str, list[str]]:
    """Each instruction's JSON-form command (HEALTHCHECK's after CMD), and the RUN lines as text."""
    found: dict[str, list[str]] = {"RUN": []}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "RUN":
            found["RUN"].append(rest)
        elif word in ("CMD", "HEALTHCHECK"):
            found[word] = json.loads(rest[rest.index("["):])
    return found


def compose_healthcheck() -> list[str]:
    match = re.search(r"healthcheck:\n\s+test: (\[.*\])", (ROOT / "compose.yaml").read_text())
    assert match
    return [part for part in json.loads(match.group(1)) if part != "CMD"]


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(venv, its site-packages): the wheel built from this checkout, installed into a new environment
    as `pip install .` (and so `pipx install .`) does; its dependencies are borrowed from this one."""
    tmp_path = tmp_path_factory.mktemp("install")
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    [wheel] = wheels.glob("newsbot-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "newsbot = bot.cli:main" in entry_points
    assert any(n.startswith("bot/store/sqlite/migrations/0001_") for n in names)
    assert any(n.startswith("bot/samples/") and n.endswith(".json") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                              "--no-deps", "--no-index", "-q", str(wheel)], capture_output=True, text=True,
                             timeout=300)
    assert install.returncode == 0, install.stderr
    site = Path(subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "_newsbot_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # no network
    return venv, site


@pytest.mark.slow
async def test_container_commands_on_a_fresh_install(tmp_path, fresh_install):
    venv, site = fresh_install
    docker = dockerfile()
    assert docker["HEALTHCHECK"] == compose_healthcheck() == ["newsbot", "status"]
    assert docker["CMD"] == ["newsbot", "run"]
    assert any(run.startswith("pip install --no-cache-dir . ") for run in docker["RUN"])

    data = tmp_path / "data"  # the container's /data volume
    data.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "NEWSBOT_BOT__DATABASE": str(data / "newsbot.db"), "PYTHONUNBUFFERED": "1"}

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, cwd=data, env=env, capture_output=True, text=True, timeout=120)

    assert run("newsbot", "--version").stdout.strip() == "newsbot 0.1.0"
    where = run(str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)").stdout
    assert where.startswith(str(site)), "the installed wheel is what runs, not the checkout"
    assert run(*docker["HEALTHCHECK"]).returncode == 1  # no bot running yet: unhealthy

    bot = await asyncio.create_subprocess_exec(*docker["CMD"], cwd=data, env=env,
                                               stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        healthy = await asyncio.to_thread(run, *docker["HEALTHCHECK"], "--wait", "60")
        assert healthy.returncode == 0, healthy.stdout
    finally:
        bot.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, err.decode()[-2000:]
    assert "## Harbour bridge to close" in out.decode()  # the bundled samples came with the wheel
    assert (data / "newsbot.db").exists()
    assert os.listdir(data) and not (ROOT / "newsbot.db").exists()

