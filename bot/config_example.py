"""The starter config `newsbot init` writes (and config.example.toml is): every setting, its default and its doc."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.config import SECTIONS, TOKEN_ENV


def render_example() -> str:
    """The starter config: every setting with its default and a one-line comment."""
    lines = ["# newsbot configuration. Every setting is shown with its default.",
             f"# The Discord token is read from the environment variable {TOKEN_ENV}, never from this file.", ""]
    for name, cls in SECTIONS.items():
        lines.append(f"[{name}]")
        for f in dataclasses.fields(cls):
            default = f.default
            doc = f.metadata.get("doc", "")
            if default is None:
                lines.append(f"# {f.name} = ...  # {doc} (unset by default)")
                continue
            lines.append(f"{f.name} = {_toml_value(default)}  # {doc}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
