"""The `/feed list` settings line: what look, mode and ping changed, and nothing when nothing did."""

from __future__ import annotations

from bot.discord.listings import settings_line
from bot.models import PostSettings


def test_default_settings_add_no_line() -> None:
    assert settings_line(PostSettings()) is None


def test_every_changed_setting_is_named_once() -> None:
    line = settings_line(PostSettings(look="compact", bullets=2, quotes=False, colour=0x00AA11, webhook=True,
                                      thread_per_story=True, auto_publish=True, forum_tag_id=5, ping_role_id=9,
                                      ping_keywords="storm, flood"))
    assert line == ("🎨 look: compact · 2 bullets · no quotes · colour #00AA11 · via webhook · thread per story"
                    " · auto-publish · forum tag set · pings <@&9> on `storm, flood`")


def test_keywords_from_an_admin_cannot_break_out_of_their_code_span() -> None:
    line = settings_line(PostSettings(ping_role_id=1, ping_keywords="a` @everyone `b"))
    assert line is not None and line.count("`") == 2 and line.endswith("`")  # one span, closed by us
