"""A real PostgreSQL server for the tests (and benchmarks): the one in $NEWSBOT_TEST_POSTGRES, or a
throwaway cluster started from the machine's PostgreSQL binaries and removed at the end.

PostgreSQL refuses to run as root, so under root (CI containers) the cluster runs as `nobody` in a
temporary directory it owns, listening only on a Unix socket there. Each test gets a database of its
own, created from a migrated template (fast: a file copy, no migrations per test).
When there is no server and no binaries at all, the PostgreSQL tests are skipped with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

ENV = "NEWSBOT_TEST_POSTGRES"
REQUIRE_ENV = "NEWSBOT_REQUIRE_POSTGRES"  # set by .ci/run: there, a missing PostgreSQL is a failure, not a skip
NO_SERVER = (f"no PostgreSQL on this machine (install the Debian package `postgresql`, or set "
             f"{ENV}=postgresql://user@host/db)")
SKIP_REASON = f"PostgreSQL tests skipped: {NO_SERVER}"
_PG_FIXTURES = frozenset({"pg_server", "pg_url", "pg_empty_url"})
_SKIPPED = pytest.StashKey[int]()
_TEMPLATE = f"newsbot_template_{os.getpid()}"


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout first, then PATH)."""
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in Path(path).parent.name.split(".") if p.isdigit())

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class Cluster:
    """A throwaway PostgreSQL cluster: initdb + pg_ctl in a temporary directory, Unix socket only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
        self.user: dict[str, Any] = {}
        if os.geteuid() == 0:  # PostgreSQL will not run as root: become an unprivileged user
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self.user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        self.data = self.root / "data"
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "LC_ALL": "C",
                    "HOME": str(self.root)}

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(self.bindir / args[0]), *args[1:]], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=120, check=False, **self.user)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")

    def start(self) -> str:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")
        options = (f"-k {self.root} -c listen_addresses='' -F -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB")
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", options)
        return f"postgresql://postgres@/postgres?host={quote(str(self.root))}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """The admin URL of a server to use: $NEWSBOT_TEST_POSTGRES, else a throwaway cluster (stopped on
    exit), else None when this machine has no PostgreSQL at all."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    bindir = find_bindir()
    if bindir is None:
        yield None
        return
    cluster = Cluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass
class PgServer:
    admin_url: str
    _names: Iterator[int] = field(default_factory=itertools.count)
    _template_ready: bool = False

    def url(self, database: str) -> str:
        return with_database(self.admin_url, database)

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create(self, *, migrated: bool = True) -> str:
        """A new database: migrated (a copy of the template) or empty; returns its name."""
        if migrated and not self._template_ready:
            from bot.store.postgres.store import PostgresStore

            await self._admin(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
            await self._admin(f"CREATE DATABASE {_TEMPLATE} TEMPLATE template0")
            await (await PostgresStore.open(self.url(_TEMPLATE), pool_size=1)).close()
            self._template_ready = True
        name = f"newsbot_test_{os.getpid()}_{next(self._names)}"
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE if migrated else 'template0'}")
        return name

    async def drop(self, name: str) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def drop_template(self) -> None:
        if self._template_ready:
            with contextlib.suppress(Exception):
                asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"))


def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return bool(_PG_FIXTURES & set(getattr(item, "fixturenames", ()))) or (
        callspec is not None and callspec.params.get("database") == "postgres") or (
        item.get_closest_marker("postgres_store") is not None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without any PostgreSQL, its tests are left out and reported in ONE line (not one per test)."""
    if os.environ.get(ENV) or os.environ.get(REQUIRE_ENV) or find_bindir() is not None:
        return
    skipped = [item for item in items if _needs_postgres(item)]
    if skipped:
        items[:] = [item for item in items if not _needs_postgres(item)]
        config.hook.pytest_deselected(items=skipped)
        config.stash[_SKIPPED] = len(skipped)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_SKIPPED, 0):
        terminalreporter.write_line(f"{config.stash[_SKIPPED]} PostgreSQL tests skipped: {NO_SERVER}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with postgres_server() as admin_url:
        if admin_url is None:
            if os.environ.get(REQUIRE_ENV):
                pytest.fail(f"{REQUIRE_ENV} is set but there is {NO_SERVER}")
            pytest.skip(SKIP_REASON)
        server = PgServer(admin_url)
        try:
            yield server
        finally:
            server.drop_template()


@pytest.fixture
async def pg_url(pg_server: PgServer) -> AsyncIterator[str]:
    """The URL of a fresh, migrated database of this test's own."""
    name = await pg_server.create()
    try:
        yield pg_server.url(name)
    finally:
        await pg_server.drop(name)


@pytest.fixture
async def pg_empty_url(pg_server: PgServer) -> AsyncIterator[str]:
    """The URL of a fresh database with no schema at all."""
    name = await pg_server.create(migrated=False)
    try:
        yield pg_server.url(name)
    finally:
        await pg_server.drop(name)
