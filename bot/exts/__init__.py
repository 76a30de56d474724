"""Cogs: one feature per module, loaded by `bot.client.EXTENSIONS`. `_shared` holds their common helpers."""
