"""Which PostgreSQL server a benchmark uses."""

from __future__ import annotations

import argparse
import contextlib
import os


def postgres_admin(args: argparse.Namespace, stack: contextlib.ExitStack) -> str | None:
    """--postgres, else $NEWSBOT_BENCH_POSTGRES or $NEWSBOT_TEST_POSTGRES, else a throwaway cluster (None: no
    PostgreSQL on this machine)."""
    admin: str | None = (args.postgres or os.environ.get("NEWSBOT_BENCH_POSTGRES")
                         or os.environ.get("NEWSBOT_TEST_POSTGRES"))
    if not admin:
        from tests.pg import postgres_server

        admin = stack.enter_context(postgres_server())
        if admin is None:
            print("[postgres] skipped: no PostgreSQL on this machine (set --postgres URL)")
    return admin
