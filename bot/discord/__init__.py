"""The Discord side: the bot client, the delivery sink, rendering and the command cogs."""
