"""The one error handler for every slash command.

Every failure answers the person who ran the command, ephemerally, in words they can act on; only
unexpected errors are logged with a traceback (and the user is told the log has details).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.exts._shared import UserError, answer
from bot.discord.limits import Busy
from bot.discord.render import fit

log = logging.getLogger(__name__)


_PERMISSION_NAMES = {"manage_guild": "Manage Server"}


def message_for(error: app_commands.AppCommandError, command: str) -> str | None:
    """The text to show for `error`, or None when it is unexpected (logged, generic message)."""
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, UserError):
        return str(error.original)
    if isinstance(error, Busy):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        names = " and ".join(_PERMISSION_NAMES.get(p, p.replace("_", " ").title())
                             for p in error.missing_permissions)
        return f"You need the {names} permission to use `/{command}`. Ask a server admin."
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I'm missing the {names} permission here. Ask a server admin to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try `/{command}` again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        value = fit(str(error.value), 100)
        return f"“{value}” is not a valid value for that option; pick one from the list Discord offers."
    if isinstance(error, app_commands.CheckFailure):
        return f"You can't use `/{command}` here."
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return (f"`/{command}` has changed and Discord still shows its old form. Try again in a minute; if "
                "this keeps happening, ask the bot's operator to run `newsbot sync-commands`.")
    if isinstance(error, app_commands.CommandNotFound):
        return "That command no longer exists; Discord may take a minute to refresh the command list."
    return None


async def send_error(interaction: discord.Interaction, text: str) -> None:
    """Tell the user ephemerally, whether or not the interaction was already deferred or answered."""
    try:
        await answer(interaction, text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (interaction %s)", interaction.id, exc_info=True)


class ErrorHandler(commands.Cog):
    """Installs itself as the command tree's error handler while loaded."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        name = interaction.command.qualified_name if interaction.command else "command"
        text = message_for(error, name)
        if text is None:
            original = getattr(error, "original", error)
            log.error("/%s failed in guild %s", name, interaction.guild_id,
                      exc_info=(type(original), original, original.__traceback__))
            text = "Something went wrong; the bot's log has details. Try again in a minute."
        elif isinstance(error, app_commands.CommandSignatureMismatch):
            log.warning("/%s: Discord's copy of the command differs from the code; run `newsbot "
                        "sync-commands`", name)
        else:
            log.debug("/%s refused for user %s: %s", name, interaction.user.id, text)
        await send_error(interaction, text)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
