"""Channel, message and thread routes.

Create-message honours Discord's semantics that newsbot depends on:
validation limits, permissions (50001 without View Channel, 50013 without
the permission a route needs, embeds silently dropped without Embed Links,
history empty without Read Message History), nonce de-duplication per author
with ``enforce_nonce`` (a retried post after a crash returns the original
message; a nonce reused shortly after its message was deleted is 404), who a
message pings, forum posts, announcement crossposts and channel webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from aiohttp import web

from .constants import (
    ANNOUNCEMENT,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    FORUM,
    MANAGE_MESSAGES,
    MANAGE_WEBHOOKS,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
)
from .mentions import check_allowed_mentions, effective_mentions
from .rest import API_PREFIX, BODY_KEY, FILES_KEY, RestMixin, api_error, json_response
from .state import JSON, Channel, iso
from .validation import invalid_form, validate_message

log = logging.getLogger(__name__)

GUILD_MESSAGES_INTENT = 1 << 9
_MESSAGE_FIELDS = ("content", "embeds", "components", "flags", "attachments", "poll")
MAX_NONCE = 25
CROSSPOSTED = 1 << 0


class MessagesMixin(RestMixin):
    """Message storage plus the /channels routes."""

    # -- storage -----------------------------------------------------------------------

    def build_message(
        self, channel_id: int, body: JSON, *, files: list[JSON] | None = None, mtype: int = 0,
        extra: JSON | None = None,
    ) -> JSON:
        """A message object as Discord returns it, authored by the bot."""
        channel = self.channels.get(channel_id)
        mid = self.snowflake()
        msg: JSON = {
            "id": str(mid), "channel_id": str(channel_id), "author": self.bot_user_payload(),
            "content": body.get("content") or "", "timestamp": iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "mention_channels": [],
            "attachments": self._attachments(files or []), "embeds": _normalise_embeds(body.get("embeds")),
            "reactions": [], "pinned": False, "type": mtype, "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if channel is not None and channel.guild_id is not None:
            msg["guild_id"] = str(channel.guild_id)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
            msg["type"] = 19 if mtype == 0 else mtype
        msg.update(extra or {})
        self._set_mentions(msg, body.get("allowed_mentions"), channel)
        return msg

    def _set_mentions(self, msg: JSON, allowed: Any, channel: Channel | None) -> None:
        guild = self.guilds.get(channel.guild_id) if channel is not None and channel.guild_id else None
        may_everyone = bool(self.bot_permissions(channel) & MENTION_EVERYONE) if channel else False
        everyone, users, roles = effective_mentions(msg.get("content") or "", allowed,
                                                    roles={int(r["id"]): r for r in guild.roles} if guild else {},
                                                    may_mention_everyone=may_everyone)
        msg["mention_everyone"] = everyone
        msg["mentions"] = [self.user_payload(u) for u in users]
        msg["mention_roles"] = [str(r) for r in roles]

    def _attachments(self, files: list[JSON]) -> list[JSON]:
        return [{
            "id": str(self.snowflake()), "filename": f["filename"], "size": f["size"],
            "content_type": f.get("content_type"), "url": f"https://cdn.invalid/{f['filename']}",
            "proxy_url": f"https://cdn.invalid/{f['filename']}",
        } for f in files]

    def store_message(self, msg: JSON, *, allowed_mentions: Any = None) -> JSON:
        """Add a message to its channel (and the gateway) and index it by id."""
        channel_id = int(msg["channel_id"])
        self._messages.setdefault(channel_id, []).append(msg)
        self._message_index[int(msg["id"])] = msg
        self.allowed_mentions[int(msg["id"])] = allowed_mentions
        guild_id = int(msg["guild_id"]) if "guild_id" in msg else None
        self.dispatch("MESSAGE_CREATE", msg, guild_id=guild_id, intent=GUILD_MESSAGES_INTENT)
        self.notify()
        return msg

    def edit_message(self, msg: JSON, body: JSON, *, files: list[JSON] | None = None) -> JSON:
        """Apply a PATCH body to a stored message after validating the result."""
        merged = {k: body.get(k, msg.get(k)) for k in ("content", "embeds", "components")}
        validate_message(merged, has_files=bool(files or msg.get("attachments")))
        for key in _MESSAGE_FIELDS:
            if key in body and key != "attachments":
                msg[key] = _normalise_embeds(body[key]) if key == "embeds" else body[key]
        if key_attachments := body.get("attachments"):
            keep = {str(a.get("id")) for a in key_attachments}
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in keep]
        msg["attachments"] = msg["attachments"] + self._attachments(files or [])
        msg["content"] = msg.get("content") or ""
        msg["edited_timestamp"] = iso()
        msg["flags"] = int(msg.get("flags") or 0) & ~128  # an edit ends the "thinking" state
        if "allowed_mentions" in body:
            self.allowed_mentions[int(msg["id"])] = body["allowed_mentions"]
        guild_id = int(msg["guild_id"]) if "guild_id" in msg else None
        self.dispatch("MESSAGE_UPDATE", msg, guild_id=guild_id, intent=GUILD_MESSAGES_INTENT)
        self.notify()
        return msg

    def remove_message(self, msg: JSON) -> None:
        if msg.get("nonce") is not None:
            self._deleted_nonces[(int(msg["author"]["id"]), str(msg["nonce"]))] = self.now()
        channel_id = int(msg["channel_id"])
        msgs = self._messages.get(channel_id, [])
        if msg in msgs:
            msgs.remove(msg)
        self._message_index.pop(int(msg["id"]), None)
        guild_id = int(msg["guild_id"]) if "guild_id" in msg else None
        data: JSON = {"id": msg["id"], "channel_id": msg["channel_id"]}
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        self.dispatch("MESSAGE_DELETE", data, guild_id=guild_id, intent=GUILD_MESSAGES_INTENT)
        self.notify()

    # -- lookups ---------------------------------------------------------------------------

    def _channel_or_404(self, request: web.Request, needs: int = VIEW_CHANNEL) -> Channel:
        """The channel, if the bot may do what `needs` there: 50001 without View Channel, else 50013."""
        channel = self.live_channel(int(request.match_info["channel"]))
        if channel is None:
            raise api_error(404, 10003)
        self.require(channel, needs)
        return channel

    def require(self, channel: Channel, needs: int) -> None:
        perms = self.bot_permissions(channel)
        if not perms & VIEW_CHANNEL:
            raise api_error(403, 50001)
        if needs & ~perms:
            raise api_error(403, 50013)

    def _message_or_404(self, channel: Channel, message_id: str) -> JSON:
        msg = self._message_index.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or int(msg["channel_id"]) != channel.id:
            raise api_error(404, 10008)
        return msg

    # -- routes ------------------------------------------------------------------------------

    def _add_message_routes(self, app: web.Application) -> None:
        r = app.router
        c = API_PREFIX + "/channels/{channel}"
        r.add_get(c, self._get_channel)
        r.add_get(c + "/messages", self._list_messages)
        r.add_post(c + "/messages", self._create_message)
        r.add_get(c + "/messages/{message}", self._get_message)
        r.add_patch(c + "/messages/{message}", self._patch_message)
        r.add_delete(c + "/messages/{message}", self._delete_message)
        r.add_post(c + "/messages/{message}/threads", self._thread_from_message)
        r.add_post(c + "/threads", self._thread_without_message)
        r.add_post(c + "/messages/{message}/crosspost", self._crosspost)
        r.add_post(c + "/typing", self._typing)
        r.add_get(c + "/webhooks", self._list_webhooks)
        r.add_post(c + "/webhooks", self._create_webhook)

    async def _get_channel(self, request: web.Request) -> web.Response:
        return json_response(200, self.channel_payload(self._channel_or_404(request)))

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        if not self.bot_permissions(channel) & READ_MESSAGE_HISTORY:
            return json_response(200, [])  # Discord answers an empty page, not an error
        limit = min(int(request.query.get("limit", "50")), 100)
        newest_first = list(reversed(self._messages.get(channel.id, [])))
        return json_response(200, newest_first[:limit])

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        if channel.type == FORUM:
            raise api_error(400, 50008)
        self.require(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        body: JSON = request[BODY_KEY] or {}
        files: list[JSON] = request[FILES_KEY]
        body = self.checked_message(channel, body, files)
        nonce = body.get("nonce")
        key = (self.bot_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            deleted_at = self._deleted_nonces.get(key)
            if deleted_at is not None and self.now() - deleted_at <= self.nonce_window:
                raise api_error(404, 10008)  # the message this nonce made is gone
            hit = self._nonces.get(key)
            if hit is not None and self.now() - hit[1] <= self.nonce_window:
                original = self._message_index.get(hit[0])
                if original is not None:
                    log.info("fake discord: nonce %s reused in %s, returning original", nonce, channel.id)
                    return json_response(200, original)
        msg = self.store_message(self.build_message(channel.id, body, files=files),
                                 allowed_mentions=body.get("allowed_mentions"))
        if nonce is not None:
            self._nonces[key] = (int(msg["id"]), self.now())
        if self.message_response_delay:
            await asyncio.sleep(self.message_response_delay)
        return json_response(200, msg)

    async def _get_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        return json_response(200, self._message_or_404(channel, request.match_info["message"]))

    def checked_message(self, channel: Channel, body: JSON, files: list[JSON]) -> JSON:
        """Validate a message body; without Embed Links its embeds are dropped, as Discord does."""
        nonce = body.get("nonce")
        if nonce is not None and (not isinstance(nonce, int | str) or len(str(nonce)) > MAX_NONCE):
            raise invalid_form({"nonce": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {MAX_NONCE} or fewer in length."}]}})
        problem = check_allowed_mentions(body.get("allowed_mentions"))
        if problem:
            raise invalid_form({"allowed_mentions": {"_errors": [
                {"code": "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "message": problem}]}})
        validate_message(body, has_files=bool(files))
        if body.get("embeds") and not self.bot_permissions(channel) & EMBED_LINKS:
            body = {**body, "embeds": []}
            validate_message(body, has_files=bool(files))  # nothing left: "Cannot send an empty message"
        return body

    async def _patch_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        msg = self._message_or_404(channel, request.match_info["message"])
        return json_response(200, self.edit_message(msg, request[BODY_KEY] or {}, files=request[FILES_KEY]))

    async def _delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        self.remove_message(self._message_or_404(channel, request.match_info["message"]))
        return web.Response(status=204)

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel_or_404(request)
        return web.Response(status=204)

    # -- threads -----------------------------------------------------------------------------------

    def _new_thread(self, parent: Channel, thread_id: int, body: JSON, ttype: int) -> Channel:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise api_error(400, 50035, "Invalid Form Body")
        if parent.is_thread:
            raise api_error(400, 50024, "Cannot execute action on this channel type")
        if parent.type == FORUM:
            self.require(parent, SEND_MESSAGES)  # creating a forum post is sending its first message
        else:
            self.require(parent, CREATE_PRIVATE_THREADS if ttype == 12 else CREATE_PUBLIC_THREADS)
        thread = Channel(thread_id, parent.guild_id, name, type=ttype, parent_id=parent.id)
        self.channels[thread_id] = thread
        if parent.guild_id is not None:
            self.guilds[parent.guild_id].channel_ids.append(thread_id)
        payload = self.channel_payload(thread)
        self.dispatch("THREAD_CREATE", {**payload, "newly_created": True}, guild_id=parent.guild_id)
        self.notify()
        return thread

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        parent = self._channel_or_404(request, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        msg = self._message_or_404(parent, request.match_info["message"])
        if int(msg["id"]) in self.channels:
            raise api_error(400, 160004, "A thread has already been created for this message")
        ttype = 10 if parent.type == ANNOUNCEMENT else 11
        thread = self._new_thread(parent, int(msg["id"]), request[BODY_KEY] or {}, ttype)
        msg["thread"] = self.channel_payload(thread)
        return json_response(201, self.channel_payload(thread))

    async def _thread_without_message(self, request: web.Request) -> web.Response:
        parent = self._channel_or_404(request)
        body: JSON = request[BODY_KEY] or {}
        if parent.type == FORUM:
            return self._forum_post(parent, body, request[FILES_KEY])
        thread = self._new_thread(parent, self.snowflake(), body, int(body.get("type") or 12))
        return json_response(201, self.channel_payload(thread))

    def _forum_post(self, forum: Channel, body: JSON, files: list[JSON]) -> web.Response:
        """A forum post: a public thread whose first message (same id as the thread) is in the body."""
        first = body.get("message")
        if not isinstance(first, dict):
            raise invalid_form({"message": {"_errors": [
                {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}})
        tag_ids = [str(t) for t in body.get("applied_tags") or []]
        known = {t["id"] for t in forum.tags}
        if any(t not in known for t in tag_ids) or len(tag_ids) > 5:
            raise invalid_form({"applied_tags": {"_errors": [
                {"code": "BASE_TYPE_CHOICES", "message": "Value must be one of the channel's tags."}]}})
        self.require(forum, SEND_MESSAGES)
        first = self.checked_message(forum, first, files)
        thread_id = self.snowflake()
        thread = self._new_thread(forum, thread_id, body, 11)
        thread.applied_tags = tag_ids
        msg = self.build_message(thread_id, first, files=files)
        msg["id"] = str(thread_id)
        self.store_message(msg, allowed_mentions=first.get("allowed_mentions"))
        return json_response(201, {**self.channel_payload(thread), "message": msg})

    async def _crosspost(self, request: web.Request) -> web.Response:
        """Publish an announcement channel's message to the servers following it."""
        channel = self._channel_or_404(request, VIEW_CHANNEL | SEND_MESSAGES)
        msg = self._message_or_404(channel, request.match_info["message"])
        if channel.type != ANNOUNCEMENT:
            raise api_error(400, 50068)
        if int(msg["author"]["id"]) != self.bot_id:
            self.require(channel, MANAGE_MESSAGES)
        if int(msg.get("flags") or 0) & CROSSPOSTED:
            raise api_error(400, 40033)
        msg["flags"] = int(msg.get("flags") or 0) | CROSSPOSTED
        self.crossposted.append(int(msg["id"]))
        self.notify()
        return json_response(200, msg)

    # -- channel webhooks ----------------------------------------------------------------------

    def _webhook_payload(self, hook: JSON) -> JSON:
        return {"id": hook["id"], "type": 1, "channel_id": hook["channel_id"], "guild_id": hook.get("guild_id"),
                "name": hook["name"], "avatar": None, "token": hook["token"],
                "application_id": str(self.application_id), "user": self.bot_user_payload()}

    async def _list_webhooks(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request, VIEW_CHANNEL | MANAGE_WEBHOOKS)
        hooks = [self._webhook_payload(h) for h in self.webhooks.values() if int(h["channel_id"]) == channel.id]
        return json_response(200, hooks)

    async def _create_webhook(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request, VIEW_CHANNEL | MANAGE_WEBHOOKS)
        if channel.type not in (0, ANNOUNCEMENT, FORUM):
            raise api_error(400, 50024, "Cannot execute action on this channel type")
        name = (request[BODY_KEY] or {}).get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 80 or "discord" in name.lower():
            raise invalid_form({"name": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH",
                                                      "message": "Must be between 1 and 80 in length."}]}})
        hook_id = self.snowflake()
        hook = {"id": str(hook_id), "channel_id": str(channel.id), "name": name,
                "token": secrets.token_urlsafe(32), "guild_id": str(channel.guild_id)}
        self.webhooks[hook_id] = hook
        return json_response(200, self._webhook_payload(hook))

    async def execute_webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/{id}/{token} for a channel webhook: a message under the webhook's name."""
        hook = self.webhooks.get(int(request.match_info["app"])) if request.match_info["app"].isdigit() else None
        if hook is None or hook["token"] != request.match_info["token"]:
            raise api_error(404, 10015)
        channel = self.live_channel(int(hook["channel_id"]))
        if channel is None:
            raise api_error(404, 10015)
        body: JSON = request[BODY_KEY] or {}
        files: list[JSON] = request[FILES_KEY]
        validate_message(body, has_files=bool(files))  # webhooks embed whatever the channel allows
        problem = check_allowed_mentions(body.get("allowed_mentions"))
        if problem:
            raise invalid_form({"allowed_mentions": {"_errors": [{"code": "INVALID", "message": problem}]}})
        username = body.get("username") or hook["name"]
        if not isinstance(username, str) or len(username) > 80 or "discord" in username.lower():
            raise invalid_form({"username": {"_errors": [{"code": "USERNAME_INVALID", "message": "bad name"}]}})
        author = {**self.user_payload(int(hook["id"]), username), "bot": True, "avatar": None}
        msg = self.build_message(channel.id, body, files=files,
                                 extra={"webhook_id": hook["id"], "author": author,
                                        "avatar_url": body.get("avatar_url")})
        self.store_message(msg, allowed_mentions=body.get("allowed_mentions"))
        if request.query.get("wait") in ("true", "1", "True"):
            return json_response(200, msg)
        return web.Response(status=204)


def _normalise_embeds(embeds: Any) -> list[JSON]:
    return [{"type": "rich", **e} for e in (embeds or [])]
