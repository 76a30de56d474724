"""Slash-command interactions: INTERACTION_CREATE out, callbacks/followups back in.

Enforces the rules that bite bots in production: the initial response must
arrive within 3 s (else 404 10062), only once (else 400 40060), followups
and @original edits need an acknowledged interaction and a token younger
than 15 minutes.  After a deferred response (type 5) the first follow-up
edits the "thinking" message and keeps the deferral's visibility, whatever
flags it carries; autocomplete choices need 1-100 character names and
values; a command whose allowed contexts exclude DMs cannot be run in one.
Command options are typed from the *registered* schema, so a test cannot
invoke a command shape Discord would never send.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .constants import ADMINISTRATOR, MEMBER_PERMISSIONS
from .handle import EPHEMERAL, LOADING, InteractionHandle, Rejection
from .messages import MessagesMixin
from .rest import API_PREFIX, BODY_KEY, FILES_KEY, api_error, json_response
from .state import JSON, Channel
from .validation import FormError, validate_message

log = logging.getLogger(__name__)

_PY_TYPES: list[tuple[type, int]] = [(bool, 5), (int, 4), (float, 10), (str, 3)]
_SNOWFLAKE_TYPES = (6, 7, 8, 9)


class InteractionsMixin(MessagesMixin):
    """``invoke``/``autocomplete`` plus the interaction callback and webhook routes."""

    _interactions: dict[int, InteractionHandle]

    # -- invoking ----------------------------------------------------------------------

    async def invoke(
        self, name: str, options: Mapping[str, Any] | None = None, *, guild_id: int | None = None,
        channel_id: int | None = None, user_id: int = 1, permissions: int | None = None,
        dm: bool = False, focused: str | None = None, locale: str = "en-US", roles: tuple[int, ...] = (),
    ) -> InteractionHandle:
        """Send a slash command (``"feed add"`` for subcommands) over the gateway.

        ``permissions`` are the invoking member's (default: ordinary member);
        a command whose ``default_member_permissions`` they lack raises
        PermissionError, since Discord would not show it.  ``focused`` names
        the option being typed and turns this into an autocomplete (type 4).
        ``roles`` are the member's role ids (see ``add_role``).
        """
        parts = name.split()
        guild, channel = (None, None) if dm else self._target(guild_id, channel_id)
        cmd = self._find_command(parts[0], guild.id if guild else None)
        if dm and (cmd.get("dm_permission") is False or 1 not in (cmd.get("contexts") or [0, 1, 2])):
            raise PermissionError(f"/{parts[0]} is not offered in DMs (its contexts exclude BOT_DM)")
        perms = MEMBER_PERMISSIONS if permissions is None else int(getattr(permissions, "value", permissions))
        required = cmd.get("default_member_permissions")
        if guild and required is not None and not perms & ADMINISTRATOR and int(required) & ~perms:
            raise PermissionError(f"/{name} needs permissions {required}; member has {perms}")
        opts, resolved = self._build_options(cmd, parts[1:], dict(options or {}), focused, guild is not None)
        data: JSON = {"id": cmd["id"], "name": parts[0], "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        payload = self._interaction_payload(2 if focused is None else 4, data, guild, channel, user_id, perms,
                                            channel_id if dm else None, locale, roles)
        handle = InteractionHandle(self, int(payload["id"]), payload["token"], payload, self.now())
        self._interactions[handle.id] = handle
        if not self.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id if guild else None):
            raise RuntimeError("no gateway session would receive the interaction (is the bot connected?)")
        log.debug("fake discord: invoked /%s as interaction %s", name, handle.id)
        return handle

    async def autocomplete(
        self, name: str, options: Mapping[str, Any] | None = None, *, focused: str, **kwargs: Any,
    ) -> InteractionHandle:
        """Autocomplete request for option ``focused``; read ``handle.choices`` after ``response()``."""
        return await self.invoke(name, options, focused=focused, **kwargs)

    def _target(self, guild_id: int | None, channel_id: int | None) -> tuple[Any, Channel]:
        if channel_id is not None:
            channel = self.channels[channel_id]
            guild_id = channel.guild_id
        if guild_id is None:
            if not self.guilds:
                raise LookupError("no guild configured; add_channel() first or pass dm=True")
            guild_id = next(iter(self.guilds))
        guild = self.guilds[guild_id]
        if channel_id is None:
            live = [c for c in guild.channel_ids if not self.channels[c].deleted]
            if not live:
                raise LookupError(f"guild {guild_id} has no channel to invoke in")
            channel_id = live[0]
        return guild, self.channels[channel_id]

    def _find_command(self, name: str, guild_id: int | None) -> JSON:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for cmd in self._commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd
        raise LookupError(f"/{name} is not registered (did the bot sync its command tree?)")

    def _build_options(
        self, cmd: JSON, path: list[str], values: dict[str, Any], focused: str | None, in_guild: bool,
    ) -> tuple[list[JSON], JSON]:
        schema: list[JSON] = cmd.get("options") or []
        wrappers: list[JSON] = []
        for part in path:  # walk subcommand group / subcommand
            sub = next((o for o in schema if o["name"] == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise LookupError(f"/{cmd['name']} has no subcommand {part!r}")
            wrappers.append({"name": part, "type": sub["type"], "options": []})
            schema = sub.get("options") or []
        resolved: JSON = {}
        leaf: list[JSON] = []
        for key, value in values.items():
            spec = next((o for o in schema if o["name"] == key), None)
            if spec is None:
                raise LookupError(f"/{cmd['name']} {' '.join(path)} has no option {key!r}")
            opt = self._option_value(int(spec["type"]), key, value, resolved, in_guild)
            if key == focused:
                opt["focused"] = True
                opt["value"] = str(value) if int(spec["type"]) not in (4, 10) else value
            leaf.append(opt)
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
        if missing and focused is None:
            raise LookupError(f"required options missing: {missing}")
        for wrapper in reversed(wrappers):
            wrapper["options"] = leaf
            leaf = [wrapper]
        return leaf, resolved

    def _option_value(self, otype: int, key: str, value: Any, resolved: JSON, in_guild: bool) -> JSON:
        if otype not in _SNOWFLAKE_TYPES:
            return {"name": key, "type": otype, "value": value}
        sid = int(getattr(value, "id", value))
        if otype == 7:
            channel = self.channels.get(sid)
            data = self.channel_payload(channel) if channel else {"id": str(sid), "type": 0, "name": "?"}
            resolved.setdefault("channels", {})[str(sid)] = {**data, "permissions": str(MEMBER_PERMISSIONS)}
        elif otype == 8:
            known = next((r for g in self.guilds.values() for r in g.roles if int(r["id"]) == sid), None)
            resolved.setdefault("roles", {})[str(sid)] = known or {
                "id": str(sid), "name": f"role-{sid}", "permissions": "0", "position": 1, "color": 0,
                "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        else:
            resolved.setdefault("users", {})[str(sid)] = self.user_payload(sid)
            if in_guild:
                member = self.member_payload(self.user_payload(sid), permissions=MEMBER_PERMISSIONS)
                member.pop("user")
                resolved.setdefault("members", {})[str(sid)] = member
        return {"name": key, "type": otype, "value": str(sid)}

    def _interaction_payload(
        self, itype: int, data: JSON, guild: Any, channel: Channel | None, user_id: int, perms: int,
        dm_channel_id: int | None, locale: str, roles: tuple[int, ...] = (),
    ) -> JSON:
        user = self.user_payload(user_id)
        payload: JSON = {
            "id": str(self.snowflake()), "application_id": str(self.application_id), "type": itype,
            "token": "fake-" + secrets.token_urlsafe(24), "version": 1, "data": data, "locale": locale,
            "app_permissions": str(self.bot_permissions(channel)), "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None and channel is not None:
            payload.update(
                guild_id=str(guild.id), guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US", channel_id=str(channel.id),
                channel={**self.channel_payload(channel), "permissions": str(perms)},
                member=self.member_payload(user, permissions=perms, roles=roles),
                authorizing_integration_owners={"0": str(guild.id)}, context=0,
            )
        else:
            cid = str(dm_channel_id or self.snowflake())
            payload.update(
                channel_id=cid, user=user, context=1,
                channel={"id": cid, "type": 1, "recipients": [user], "last_message_id": None, "flags": 0},
                authorizing_integration_owners={"0": str(user_id)},
            )
        return payload

    # -- routes ------------------------------------------------------------------------------

    def _add_interaction_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post(API_PREFIX + "/interactions/{interaction}/{token}/callback", self._callback)
        hook = API_PREFIX + "/webhooks/{app}/{token}"
        r.add_post(hook, self._followup)
        r.add_get(hook + "/messages/{message}", self._get_webhook_message)
        r.add_patch(hook + "/messages/{message}", self._patch_webhook_message)
        r.add_delete(hook + "/messages/{message}", self._delete_webhook_message)

    def _reject(self, handle: InteractionHandle | None, request: web.Request, err: FormError) -> FormError:
        if handle is not None:
            handle.rejections.append(Rejection(request.method, request.path, err.status, err.body))
            log.info("fake discord: refused %s for interaction %s: %s", request.path, handle.id, err.body)
        return err

    async def _callback(self, request: web.Request) -> web.Response:
        handle = self._interactions.get(int(request.match_info["interaction"]))
        if handle is None or handle.token != request.match_info["token"]:
            raise api_error(404, 10062)
        if handle.acknowledged:
            raise self._reject(handle, request, api_error(400, 40060))
        if self.now() - handle.created_at > self.interaction_deadline:
            raise self._reject(handle, request, api_error(404, 10062))
        body: JSON = request[BODY_KEY] or {}
        ctype, data = int(body.get("type", 0)), body.get("data") or {}
        try:
            message = self._apply_callback(handle, ctype, data, request[FILES_KEY])
        except FormError as err:
            raise self._reject(handle, request, err) from None
        handle.callback, handle.callback_at = body, self.now()
        self.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        info: JSON = {"id": str(handle.id), "type": handle.payload["type"], "activity_instance_id": None}
        resource: JSON = {"type": ctype}
        if message is not None:
            flags = int(message.get("flags") or 0)
            info.update(response_message_id=message["id"], response_message_loading=bool(flags & LOADING),
                        response_message_ephemeral=bool(flags & EPHEMERAL))
            resource["message"] = message
        return json_response(200, {"interaction": info, "resource": resource})

    def _apply_callback(
        self, handle: InteractionHandle, ctype: int, data: JSON, files: list[JSON],
    ) -> JSON | None:
        """Validate the callback and create the @original message it implies."""
        is_autocomplete = handle.payload["type"] == 4
        if is_autocomplete != (ctype == 8):
            raise api_error(400, 50035, "Invalid Form Body")
        if ctype == 8:
            choices = data.get("choices") or []
            if len(choices) > 25 or not all(_choice_ok(c) for c in choices):
                raise api_error(400, 50035, "Invalid Form Body")
            return None
        if ctype == 9:
            if not data.get("custom_id") or not data.get("title") or not data.get("components"):
                raise api_error(400, 50035, "Invalid Form Body")
            return None
        if ctype in (6, 7):
            return None  # component updates: nothing to create for slash commands
        if ctype == 4:
            validate_message(data, has_files=bool(files))
            flags = int(data.get("flags") or 0)
        elif ctype == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            data, files = {}, []
        else:
            raise api_error(400, 50035, "Invalid Form Body")
        message = self._interaction_message(handle, {**data, "flags": flags}, files, mtype=20)
        handle.original = message
        return message

    def _interaction_message(
        self, handle: InteractionHandle, body: JSON, files: list[JSON], mtype: int,
    ) -> JSON:
        channel_id = int(handle.payload["channel_id"])
        user = handle.payload.get("member", {}).get("user") or handle.payload.get("user")
        extra = {
            "webhook_id": str(self.application_id), "application_id": str(self.application_id),
            "interaction_metadata": {"id": str(handle.id), "type": handle.payload["type"], "user": user,
                                     "authorizing_integration_owners": handle.payload.get(
                                         "authorizing_integration_owners", {})},
        }
        msg = self.build_message(channel_id, body, files=files, mtype=mtype, extra=extra)
        if int(msg["flags"]) & EPHEMERAL:
            self._message_index[int(msg["id"])] = msg  # ephemeral: only the invoker sees it
            self.allowed_mentions[int(msg["id"])] = body.get("allowed_mentions")
            return msg
        return self.store_message(msg, allowed_mentions=body.get("allowed_mentions"))

    def _webhook_handle(self, request: web.Request) -> InteractionHandle:
        """The interaction behind a webhook token, enforcing the 15-minute lifetime."""
        token = request.match_info["token"]
        handle = next((h for h in self._interactions.values() if h.token == token), None)
        if handle is None or request.match_info["app"] != str(self.application_id):
            raise api_error(404, 10015)
        if self.now() - handle.created_at > self.token_lifetime:
            raise self._reject(handle, request, api_error(401, 50027))
        if not handle.acknowledged:
            raise self._reject(handle, request, api_error(404, 10015))
        return handle

    def _webhook_message(self, handle: InteractionHandle, message_id: str) -> JSON:
        if message_id == "@original":
            if handle.original is None or handle.original_deleted:
                raise api_error(404, 10008)
            return handle.original
        msg = next((m for m in handle.followups if m["id"] == message_id), None)
        if msg is None:
            raise api_error(404, 10008)
        return msg

    async def _followup(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != str(self.application_id):
            return await self.execute_webhook(request)
        handle = self._webhook_handle(request)
        body: JSON = request[BODY_KEY] or {}
        try:
            validate_message(body, has_files=bool(request[FILES_KEY]))
        except FormError as err:
            raise self._reject(handle, request, err) from None
        original = handle.original
        if (handle.deferred and original is not None and not handle.original_deleted
                and int(original.get("flags") or 0) & LOADING):
            # Discord: the first follow-up after a deferral replaces "thinking…", with the defer's flags.
            edit = {k: v for k, v in body.items() if k != "flags"}
            msg = self.edit_message(original, edit, files=request[FILES_KEY])
            handle.first_followup_edited = True
            self.notify()
            if request.query.get("wait") in ("true", "1", "True"):
                return json_response(200, msg)
            return web.Response(status=204)
        msg = self._interaction_message(handle, body, request[FILES_KEY], mtype=0)
        handle.followups.append(msg)
        self.notify()
        if request.query.get("wait") in ("true", "1", "True"):
            return json_response(200, msg)
        return web.Response(status=204)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        handle = self._webhook_handle(request)
        return json_response(200, self._webhook_message(handle, request.match_info["message"]))

    async def _patch_webhook_message(self, request: web.Request) -> web.Response:
        handle = self._webhook_handle(request)
        msg = self._webhook_message(handle, request.match_info["message"])
        try:
            edited = self.edit_message(msg, request[BODY_KEY] or {}, files=request[FILES_KEY])
        except FormError as err:
            raise self._reject(handle, request, err) from None
        return json_response(200, edited)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        handle = self._webhook_handle(request)
        msg = self._webhook_message(handle, request.match_info["message"])
        if msg is handle.original:
            handle.original_deleted = True
        else:
            handle.followups.remove(msg)
        self.remove_message(msg)
        return web.Response(status=204)


def _choice_ok(choice: Any) -> bool:
    """Discord: an autocomplete choice's name is 1-100 characters, a string value too."""
    if not isinstance(choice, dict):
        return False
    name, value = choice.get("name"), choice.get("value")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return False
    return not isinstance(value, str) or 1 <= len(value) <= 100
