"""Channel, message and thread routes.

Create-message honours Discord's semantics that newsbot depends on:
validation limits, 403/404 for unwritable/unknown channels, and nonce
de-duplication with ``enforce_nonce`` (a retried post after a crash returns
the original message instead of creating a second one).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from .rest import API_PREFIX, BODY_KEY, FILES_KEY, RestMixin, api_error, json_response
from .state import JSON, Channel, iso
from .validation import validate_message

log = logging.getLogger(__name__)

GUILD_MESSAGES_INTENT = 1 << 9
_MESSAGE_FIELDS = ("content", "embeds", "components", "flags", "attachments", "poll")


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
        return msg

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

    def _channel_or_404(self, request: web.Request) -> Channel:
        channel = self.live_channel(int(request.match_info["channel"]))
        if channel is None:
            raise api_error(404, 10003)
        return channel

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
        r.add_post(c + "/typing", self._typing)

    async def _get_channel(self, request: web.Request) -> web.Response:
        return json_response(200, self.channel_payload(self._channel_or_404(request)))

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        limit = min(int(request.query.get("limit", "50")), 100)
        newest_first = list(reversed(self._messages.get(channel.id, [])))
        return json_response(200, newest_first[:limit])

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        if not channel.can_send:
            raise api_error(403, 50013)
        body: JSON = request[BODY_KEY] or {}
        files: list[JSON] = request[FILES_KEY]
        validate_message(body, has_files=bool(files))
        nonce = body.get("nonce")
        key = (channel.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
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
        if not parent.can_send:
            raise api_error(403, 50013)
        thread = Channel(thread_id, parent.guild_id, name, type=ttype, parent_id=parent.id)
        self.channels[thread_id] = thread
        if parent.guild_id is not None:
            self.guilds[parent.guild_id].channel_ids.append(thread_id)
        payload = self.channel_payload(thread)
        self.dispatch("THREAD_CREATE", {**payload, "newly_created": True}, guild_id=parent.guild_id)
        self.notify()
        return thread

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        parent = self._channel_or_404(request)
        msg = self._message_or_404(parent, request.match_info["message"])
        if int(msg["id"]) in self.channels:
            raise api_error(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(parent, int(msg["id"]), request[BODY_KEY] or {}, 11)
        msg["thread"] = self.channel_payload(thread)
        return json_response(201, self.channel_payload(thread))

    async def _thread_without_message(self, request: web.Request) -> web.Response:
        parent = self._channel_or_404(request)
        body: JSON = request[BODY_KEY] or {}
        thread = self._new_thread(parent, self.snowflake(), body, int(body.get("type") or 12))
        return json_response(201, self.channel_payload(thread))


def _normalise_embeds(embeds: Any) -> list[JSON]:
    return [{"type": "rich", **e} for e in (embeds or [])]
