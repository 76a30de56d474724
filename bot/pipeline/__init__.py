"""The ingest pipeline: entries to summarized, grouped, filtered stories in the store."""
