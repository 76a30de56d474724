from tests.bot.pipeline.test_ingest import settings, site, store  # noqa: F401  (shared fixtures)
