-- Search (issue 13): where the newest articles' own GIN index starts. A common word's entry in the whole
-- index lists every story that ever held it, and the search's newest window read it whole (its cost grew
-- with the store); a partial index over the newest articles (id >= boundary) keeps that read bounded.
-- `tidy_search_index` builds the index (CREATE INDEX CONCURRENTLY) and moves it forward as articles
-- arrive (bot/store/postgres/recent_index.py); this one row says which index and from where.
CREATE TABLE search_recent (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    boundary   bigint NOT NULL,
    index_name text NOT NULL
);
