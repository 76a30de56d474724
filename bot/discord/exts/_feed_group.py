"""Checks shared by the modules that add subcommands to `/feed`."""

from __future__ import annotations

from discord import app_commands

manage_guild = app_commands.checks.has_permissions(manage_guild=True)
