"""Fixtures shared by every test directory: the PostgreSQL server (tests/pg.py)."""

pytest_plugins = ("tests.pg",)
