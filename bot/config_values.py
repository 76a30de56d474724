"""Setting values checked against a settings dataclass: a TOML (or environment) value is coerced to the field's
type, then its range or choices are enforced, and a mistake becomes one message naming the key and the fix."""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from typing import Any


def expected(tp: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a finite number", bool: "true or false"}
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    return " or ".join("a list of integers" if typing.get_origin(a) is tuple else names.get(a, str(a))
                       for a in args)


def coerce(value: Any, tp: Any) -> tuple[bool, Any]:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            ok, v = coerce(value, arg)
            if ok:
                return True, v
        return False, None
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is float:  # TOML allows nan and inf, which slip past every range check
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return ok, float(value) if ok else None
    if tp is str:
        return isinstance(value, str), value
    if typing.get_origin(tp) is tuple:  # tuple[X, ...]: a TOML array of X
        if not isinstance(value, list):
            return False, None
        items = [coerce(v, typing.get_args(tp)[0]) for v in value]
        return all(ok for ok, _ in items), tuple(v for _, v in items)
    return False, None


def did_you_mean(name: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_value(cls: type, key: str, value: Any, label: str) -> tuple[str | None, Any]:
    """(error, coerced value) for one setting; `label` is how the message names it."""
    hints = typing.get_type_hints(cls)
    meta = next(f for f in dataclasses.fields(cls) if f.name == key).metadata
    ok, coerced = coerce(value, hints[key])
    if not ok:
        return f"{label} must be {expected(hints[key])}, got {value!r}", None
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices") or ()
    if choices and coerced not in choices:
        return f"{label} must be one of {', '.join(choices)}, got {value!r}", None
    for item in coerced if isinstance(coerced, tuple) else (coerced,):
        if item is not None and not isinstance(item, str | bool):
            if lo is not None and item < lo:
                return f"{label} must be at least {lo:g}, got {value!r}", None
            if hi is not None and item > hi:
                return f"{label} must be at most {hi:g}, got {value!r}", None
    return None, coerced


def from_env_text(text: str, tp: Any) -> Any:
    """An environment variable's text as the TOML value it stands for (so the same checks apply)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    lists = [a for a in args if typing.get_origin(a) is tuple]
    if lists:  # "0,2" for a list of integers
        item = typing.get_args(lists[0])[0]
        return [from_env_text(part, item) for part in text.split(",") if part.strip()]
    lowered = text.strip().lower()
    if bool in args:
        return {"true": True, "1": True, "yes": True, "on": True,
                "false": False, "0": False, "no": False, "off": False}.get(lowered, text)
    for kind in (int, float):
        if kind in args:
            try:
                return kind(text.strip())
            except ValueError:
                continue
    return text
