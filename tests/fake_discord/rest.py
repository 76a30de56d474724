"""REST plumbing: request recording, failure injection, auth, and the small routes.

The middleware records every call under ``/api/v10`` before anything else
happens, so tests can assert exactly what the bot sent (including calls that
were failed on purpose or hit no route at all).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from aiohttp import web

from .constants import ERROR_MESSAGES
from .ratelimits import RateLimiter, too_many
from .state import JSON, FakeState, RecordedRequest
from .validation import FormError, validate_commands

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# Routes a bot token is not needed for (interaction tokens authenticate these).
_TOKENLESS = ("/interactions/", "/webhooks/", "/gateway")
#: Parsed request body (JSON or multipart ``payload_json``) and uploaded files.
BODY_KEY: web.RequestKey[Any] = web.RequestKey("fake_discord_body")
FILES_KEY: web.RequestKey[list[JSON]] = web.RequestKey("fake_discord_files")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with Content-Type exactly ``application/json`` (discord.py compares it literally)."""
    return web.Response(status=status, body=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


def api_error(status: int, code: int, message: str | None = None) -> FormError:
    """An error to raise from a handler; the middleware turns it into the JSON response."""
    return FormError(status, {"code": code, "message": message or ERROR_MESSAGES.get(code, "Error")})


@dataclass
class FailRule:
    method: str
    pattern: str
    status: int
    times: int
    retry_after: float | None
    code: int | None
    is_global: bool


class RestMixin(FakeState):
    """Middleware, failure injection and the application/user/gateway/command routes."""

    valid_tokens: set[str] | None
    _fail_rules: list[FailRule]
    ratelimits: RateLimiter

    @property
    def rate_limited(self) -> list[tuple[str, str, str]]:
        """Every 429 the fake answered on its own (not injected ones): (method, path, scope)."""
        return self.ratelimits.limited

    @property
    def invalid_requests(self) -> int:
        """Requests Discord counts toward its invalid-request ban (401, 403, 429)."""
        return self.ratelimits.invalid_requests

    # -- failure injection -------------------------------------------------------

    def fail_next(
        self, method: str, path_pattern: str, status: int, *, times: int = 1,
        retry_after: float | None = None, code: int | None = None, is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        ``path_pattern`` is an fnmatch glob on the path below ``/api/v10``
        (``*`` also matches ``/``), e.g. ``"/channels/*/messages"``; method
        ``"*"`` matches any.  429s carry ``retry_after`` (default 0.05 s) in
        the body and headers, plus ``Via`` so discord.py retries instead of
        assuming a Cloudflare ban.
        """
        rule = FailRule(method.upper(), path_pattern, status, times, retry_after, code, is_global)
        self._fail_rules.append(rule)

    def _take_failure(self, method: str, path: str) -> FailRule | None:
        for rule in self._fail_rules:
            if rule.method in ("*", method) and fnmatchcase(path, rule.pattern):
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
                return rule
        return None

    @staticmethod
    def _failure_response(rule: FailRule) -> web.Response:
        if rule.status == 429:
            after = 0.05 if rule.retry_after is None else rule.retry_after
            body = {"message": "You are being rate limited.", "retry_after": after, "global": rule.is_global,
                    "code": rule.code or 0}
            headers = {
                "Retry-After": str(max(1, math.ceil(after))), "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{time.time() + after:.3f}",
                "X-RateLimit-Reset-After": f"{after:.3f}", "X-RateLimit-Bucket": "fakebucket",
                "X-RateLimit-Scope": "global" if rule.is_global else "user", "Via": "1.1 google",
            }
            if rule.is_global:
                headers["X-RateLimit-Global"] = "true"
            return json_response(429, body, headers)
        code = rule.code if rule.code is not None else 0
        message = ERROR_MESSAGES.get(code) if rule.code is not None else None
        text = message or f"{rule.status}: Fake failure"
        return json_response(rule.status, {"code": code, "message": text})

    # -- middleware ------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            resp: web.StreamResponse = await handler(request)
            return resp
        rel = request.path[len(API_PREFIX):]
        body, files = await _read_body(request)
        request[BODY_KEY], request[FILES_KEY] = body, files
        auth = request.headers.get("Authorization")
        token = auth.removeprefix("Bot ").strip() if auth else None
        if token:
            self.tokens_seen.add(token)
        rec = RecordedRequest(request.method, rel, dict(request.query), body, time.time(), token)
        self.requests.append(rec)
        unmatched = request.match_info.http_exception is not None
        rec.route = None if unmatched else request.match_info.route.resource.canonical  # type: ignore[union-attr]
        resp = await self._respond(request, handler, rel, token, unmatched)
        rec.status = resp.status
        self.ratelimits.record(request.method, rel, resp.status, resp.headers.get("X-RateLimit-Scope"))
        if unmatched:
            self.unexpected_requests.append(rec)
            log.warning("fake discord: unexpected %s %s -> %s", request.method, rel, resp.status)
        self.notify()
        return resp

    async def _respond(
        self, request: web.Request, handler: Any, rel: str, token: str | None, unmatched: bool,
    ) -> web.StreamResponse:
        rule = self._take_failure(request.method, rel)
        if rule is not None:
            log.debug("fake discord: injected %s for %s %s", rule.status, request.method, rel)
            return self._failure_response(rule)
        if unmatched:
            exc = request.match_info.http_exception
            status = exc.status if exc is not None else 404
            reason = exc.reason if exc is not None else "Not Found"
            return json_response(status, {"message": f"{status}: {reason}", "code": 0})
        if not rel.startswith(_TOKENLESS) and (
            token is None or (self.valid_tokens is not None and token not in self.valid_tokens)
        ):
            return json_response(401, {"message": "401: Unauthorized", "code": 0})
        template = request.match_info.route.resource.canonical.removeprefix(API_PREFIX)  # type: ignore[union-attr]
        # Interaction callbacks and webhook-token routes (follow-ups) do not count toward the global limit.
        verdict = self.ratelimits.check(request.method, template, dict(request.match_info),
                                        counts_global=token is not None and not rel.startswith(_TOKENLESS))
        if verdict.retry_after is not None:
            log.info("fake discord: 429 (%s) for %s %s", verdict.scope, request.method, rel)
            return json_response(429, too_many(verdict), verdict.headers)
        try:
            resp: web.StreamResponse = await handler(request)
        except FormError as err:
            resp = json_response(err.status, err.body)
        resp.headers.update(verdict.headers)
        return resp

    # -- routes ------------------------------------------------------------------------

    def _add_rest_routes(self, app: web.Application) -> None:
        r = app.router
        p = API_PREFIX
        r.add_get(p + "/users/@me", self._get_me)
        r.add_get(p + "/users/{user_id}", self._get_user)
        r.add_get(p + "/gateway", self._get_gateway)
        r.add_get(p + "/gateway/bot", self._get_gateway_bot)
        r.add_get(p + "/oauth2/applications/@me", self._get_application)
        r.add_get(p + "/applications/@me", self._get_application)
        for base in (p + "/applications/{app}/commands", p + "/applications/{app}/guilds/{guild}/commands"):
            r.add_get(base, self._list_commands)
            r.add_put(base, self._put_commands)
            r.add_post(base, self._post_command)
            r.add_delete(base + "/{command}", self._delete_command)

    @property
    def gateway_url(self) -> str:
        raise NotImplementedError

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(200, self.bot_user_payload())

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        if user_id == self.bot_id:
            return json_response(200, self.bot_user_payload())
        return json_response(200, self.user_payload(user_id))

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(200, {
            "url": self.gateway_url, "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 1000 - self.identify_count,
                                    "reset_after": 14_400_000, "max_concurrency": 1},
        })

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(200, {
            "id": str(self.application_id), "name": self.bot_name, "icon": None, "description": "",
            "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False,
            "owner": self.user_payload(1, "owner"), "team": None, "verify_key": "0" * 64, "flags": 0,
            "summary": "", "interactions_endpoint_url": None, "bot": self.bot_user_payload(),
            "tags": [], "redirect_uris": [], "approximate_guild_count": len(self.guilds),
        })

    # -- application commands ---------------------------------------------------------

    def _command_scope(self, request: web.Request) -> int | None:
        if request.match_info["app"] != str(self.application_id):
            raise api_error(403, 50001)
        guild = request.match_info.get("guild")
        if guild is None:
            return None
        if int(guild) not in self.guilds:
            raise api_error(403, 50001)  # bot not in guild / no applications.commands scope
        return int(guild)

    def _store_command(self, scope: int | None, payload: JSON, existing: list[JSON]) -> JSON:
        """Keep the id of a same-named command, like Discord's bulk overwrite does."""
        ctype = payload.get("type", 1)
        old = next((c for c in existing if c["name"] == payload["name"] and c["type"] == ctype), None)
        cmd: JSON = {
            "id": old["id"] if old else str(self.snowflake()), "application_id": str(self.application_id),
            "version": str(self.snowflake()), "type": ctype, "description": "", "options": [],
            "default_member_permissions": None, "dm_permission": True, "nsfw": False,
            "contexts": None, "integration_types": [0],
        }
        cmd.update(payload)
        if cmd["default_member_permissions"] is not None:  # Discord returns it as a string
            cmd["default_member_permissions"] = str(cmd["default_member_permissions"])
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _list_commands(self, request: web.Request) -> web.Response:
        return json_response(200, self._commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = request[BODY_KEY]
        if not isinstance(body, list):
            raise api_error(400, 50035, "Invalid Form Body")
        validate_commands(body)
        existing = self._commands.get(scope, [])
        self._commands[scope] = [self._store_command(scope, c, existing) for c in body]
        log.debug("fake discord: %d commands registered for scope %s", len(body), scope)
        return json_response(200, self._commands[scope])

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        validate_commands([request[BODY_KEY]])
        existing = self._commands.setdefault(scope, [])
        cmd = self._store_command(scope, request[BODY_KEY], existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        return json_response(201, cmd)

    async def _delete_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        existing = self._commands.get(scope, [])
        kept = [c for c in existing if c["id"] != request.match_info["command"]]
        if len(kept) == len(existing):
            raise api_error(404, 10063)
        self._commands[scope] = kept
        return web.Response(status=204)


async def _read_body(request: web.Request) -> tuple[Any, list[JSON]]:
    """JSON body, or ``payload_json`` + file descriptions for multipart uploads."""
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        return (json.loads(raw) if raw else None), []
    if ctype.startswith("multipart/"):
        form = await request.post()
        body: Any = None
        files: list[JSON] = []
        for key, value in form.items():
            if key == "payload_json":
                if isinstance(value, web.FileField):
                    value = value.file.read()
                body = json.loads(value)
            elif isinstance(value, web.FileField):
                data = value.file.read()
                files.append({"field": key, "filename": value.filename, "size": len(data),
                              "content_type": value.content_type, "data": data})
        return body, files
    return None, []
