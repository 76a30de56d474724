"""The store's one exception type, in its own module so every store module can raise it without cycles."""

from __future__ import annotations


class StoreError(Exception):
    """A store operation that cannot be done; the message is fit to show the person who asked."""
