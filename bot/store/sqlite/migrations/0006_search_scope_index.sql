-- Search (issue 13): a search walks its matches newest first and checks each against the asker's scope
-- (feed, time) by article id. These few columns of every article, in id order, are a small, dense index:
-- the newest matches' entries share pages, where the articles table holds about one article per page.
-- (Numbered 0007 in the session plan; hop added no SQLite migration, so it is 0006.)
CREATE INDEX articles_search_scope_idx ON articles (id, feed_id, story_id, created_at);
