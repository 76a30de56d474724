"""Discord's numbers the fake uses: permission bits, channel types, error codes and their messages."""

from __future__ import annotations

DISCORD_EPOCH_MS = 1420070400000

# Permission bits used by the fake (see discord.Permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MANAGE_MESSAGES = 1 << 13
MANAGE_WEBHOOKS = 1 << 29
MENTION_EVERYONE = 1 << 17
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5

#: What @everyone and an ordinary member get: read, write, use commands.
MEMBER_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
)
#: What the bot's own role grants on top of @everyone (its invite asks for Manage Webhooks).
BOT_ROLE_PERMISSIONS = MANAGE_WEBHOOKS

TEXT, ANNOUNCEMENT, FORUM = 0, 5, 15
THREAD_TYPES = (10, 11, 12)

#: Known JSON error codes and the messages Discord sends with them.
ERROR_MESSAGES: dict[int, str] = {
    0: "General error",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10008: "Unknown Message",
    10015: "Unknown Webhook",
    10011: "Unknown Role",
    10062: "Unknown interaction",
    10063: "Unknown Application Command",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50006: "Cannot send an empty message",
    50008: "Cannot send messages in a non-text channel",
    40033: "This message has already been crossposted.",
    50068: "Invalid message type",
    50013: "Missing Permissions",
    50027: "Invalid Webhook Token",
    50035: "Invalid Form Body",
}
