"""Placeholder: replaced by the summarizer implementation."""

ALGORITHMS = ("default", "lexrank", "textrank", "lsa", "luhn", "edmundson", "kl", "sumbasic", "reduction")
