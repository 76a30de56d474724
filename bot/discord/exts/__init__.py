"""Cogs: one feature per module, loaded by `bot.discord.client.EXTENSIONS`. `_shared` holds their common helpers."""
