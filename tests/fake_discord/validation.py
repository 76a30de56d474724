"""Request-body validation with Discord's limits and error shapes.

Real Discord rejects over-long content/embeds with 400 ``50035 Invalid Form
Body`` and a nested ``errors`` object, and empty messages with ``50006``.
The fake reproduces both so the bot's truncation logic is tested against
the same limits it will meet in production.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

JSON = dict[str, Any]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
_CONTENT_KEYS = ("title", "description", "fields", "image", "thumbnail", "author", "footer", "video")


class FormError(Exception):
    """Validation failure carrying the HTTP status and the Discord JSON body."""

    def __init__(self, status: int, body: JSON) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def _too_long(limit: int) -> JSON:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


def _required() -> JSON:
    return {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}


def _set(errors: JSON, path: list[str], leaf: JSON) -> None:
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.update(leaf)


def invalid_form(errors: JSON) -> FormError:
    return FormError(400, {"code": 50035, "message": "Invalid Form Body", "errors": errors})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_size(embed: JSON) -> int:
    """Characters counted towards the 6000 total (title, description, fields, footer, author)."""
    size = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    for fld in embed.get("fields") or []:
        size += len(_text(fld.get("name"))) + len(_text(fld.get("value")))
    size += len(_text((embed.get("footer") or {}).get("text")))
    size += len(_text((embed.get("author") or {}).get("name")))
    return size


_HOST_LABEL = re.compile(r"[a-z0-9_-]+\Z", re.IGNORECASE)
#: Where an embed holds URLs: (object key or None for the embed itself, URL key).
EMBED_URL_SLOTS = ((None, "url"), ("author", "url"), ("author", "icon_url"), ("footer", "icon_url"),
                   ("thumbnail", "url"), ("image", "url"))


def _bad_url() -> JSON:
    return {"_errors": [{"code": "URL_TYPE_INVALID_URL", "message": "Not a well formed URL."}]}


def well_formed_url(url: Any) -> bool:
    """Discord's "Not a well formed URL." check, as far as observed: an http(s) URL whose host parses
    (``https://[::1``, ``https://%`` and ``https://a..b`` are refused)."""
    if not isinstance(url, str) or not url or len(url) > 2048 or any(c.isspace() for c in url):
        return False
    if url.startswith("attachment://"):
        return True
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or "%" in parts.netloc:
        return False
    if parts.netloc.startswith("["):
        return True
    try:
        return all(label and _HOST_LABEL.match(label.encode("idna").decode()) for label in host.split("."))
    except UnicodeError:
        return False


def _check_embed_urls(embed: JSON, path: list[str], errors: JSON) -> None:
    for holder, key in EMBED_URL_SLOTS:
        obj = embed if holder is None else embed.get(holder)
        if isinstance(obj, dict) and obj.get(key) is not None and not well_formed_url(obj.get(key)):
            _set(errors, [*path, *([holder] if holder else []), key], _bad_url())


def _check_embed(embed: JSON, path: list[str], errors: JSON) -> None:
    _check_embed_urls(embed, path, errors)
    if not any(embed.get(key) for key in _CONTENT_KEYS):
        _set(errors, [*path, "description"], _required())  # Discord refuses an empty embed
    stamp = embed.get("timestamp")
    if stamp is not None:
        try:
            datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            _set(errors, [*path, "timestamp"], {"_errors": [
                {"code": "DATE_TIME_TYPE_PARSE", "message": "Could not parse timestamp."}]})
    colour = embed.get("color")
    if colour is not None and (not isinstance(colour, int) or isinstance(colour, bool)
                               or not 0 <= colour <= 0xFFFFFF):
        _set(errors, [*path, "color"], {"_errors": [
            {"code": "NUMBER_TYPE_MAX", "message": "int value should be less than or equal to 16777215."}]})
    for key, limit in EMBED_LIMITS.items():
        if len(_text(embed.get(key))) > limit:
            _set(errors, [*path, key], _too_long(limit))
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        _set(errors, [*path, "fields"], _too_long(MAX_FIELDS))
    for i, fld in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = fld.get(key)
            if not isinstance(value, str) or not value:
                _set(errors, [*path, "fields", str(i), key], _required())
            elif len(value) > limit:
                _set(errors, [*path, "fields", str(i), key], _too_long(limit))
    footer = embed.get("footer")
    if footer and len(_text(footer.get("text"))) > 2048:
        _set(errors, [*path, "footer", "text"], _too_long(2048))
    author = embed.get("author")
    if author and len(_text(author.get("name"))) > 256:
        _set(errors, [*path, "author", "name"], _too_long(256))


def validate_message(body: JSON, *, has_files: bool = False, require_content: bool = True) -> None:
    """Raise :class:`FormError` if ``body`` would be rejected by Discord's create-message."""
    errors: JSON = {}
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        _set(errors, ["content"], {"_errors": [{"code": "BASE_TYPE_STRING", "message": "Must be a string."}]})
    elif isinstance(content, str) and len(content) > MAX_CONTENT:
        _set(errors, ["content"], _too_long(MAX_CONTENT))
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        _set(errors, ["embeds"], _too_long(MAX_EMBEDS))
    total = 0
    for i, embed in enumerate(embeds):
        _check_embed(embed, ["embeds", str(i)], errors)
        total += embed_size(embed)
    if total > MAX_EMBED_TOTAL:
        _set(errors, ["embeds", "0"], {"_errors": [
            {"code": "MAX_EMBED_SIZE_EXCEEDED",
             "message": f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"},
        ]})
    if errors:
        raise invalid_form(errors)
    empty = not content and not embeds and not body.get("components") and not body.get("sticker_ids")
    if require_content and empty and not has_files and not body.get("poll"):
        raise FormError(400, {"code": 50006, "message": "Cannot send an empty message"})


def validate_commands(commands: list[JSON]) -> None:
    """Reject command payloads Discord would refuse on bulk overwrite."""
    errors: JSON = {}
    names: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        ctype = cmd.get("type", 1)
        name = cmd.get("name")
        if not isinstance(name, str) or not COMMAND_NAME.match(name) or (ctype == 1 and name != name.lower()):
            _set(errors, [str(i), "name"], {"_errors": [
                {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]})
        elif (ctype, name) in names:
            _set(errors, [str(i), "name"], {"_errors": [
                {"code": "APPLICATION_COMMANDS_DUPLICATE_NAME",
                 "message": "Application command names must be unique"}]})
        else:
            names.add((ctype, name))
        if ctype == 1:
            desc = cmd.get("description")
            if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
                _set(errors, [str(i), "description"], _too_long(100))
            _check_options(cmd.get("options") or [], [str(i), "options"], errors)
    if errors:
        raise invalid_form(errors)


def _check_options(options: list[JSON], path: list[str], errors: JSON) -> None:
    if len(options) > 25:
        _set(errors, path, _too_long(25))
    seen_optional = False
    for i, opt in enumerate(options):
        name = opt.get("name")
        if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
            _set(errors, [*path, str(i), "name"], {"_errors": [
                {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]})
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            _set(errors, [*path, str(i), "description"], _too_long(100))
        if len(opt.get("choices") or []) > 25:
            _set(errors, [*path, str(i), "choices"], _too_long(25))
        if opt.get("type") in (1, 2):
            _check_options(opt.get("options") or [], [*path, str(i), "options"], errors)
            continue
        if opt.get("required"):
            if seen_optional:
                _set(errors, [*path, str(i), "required"], {"_errors": [
                    {"code": "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                     "message": "Required options must be placed before non-required options"}]})
        else:
            seen_optional = True
