"""Fetching: the guarded HTTP client, URL rules, feed parsing and article extraction."""
