-- Search (issue 13): the full-text index also knows each article's id blocks, so a search cut to an id
-- range (the newest articles first) gets only that range's matches out of the index.
--
-- newsbot_id_blocks(id) names the blocks of 1,000, 10,000, ... 10,000,000 ids that hold the article, one
-- number per size: (id / size) * 8 + level. Any id range on 1,000-id boundaries is a short list of such
-- blocks (bot/store/postgres/search.py, `id_blocks`), and `newsbot_id_blocks(id) && that list` is then
-- exactly `lo <= id < hi`. In one GIN index over (search, newsbot_id_blocks(id)), a search's words and its
-- blocks are intersected inside the index, which skips through a common word's long entry to the range;
-- cutting the full index's bitmap with a primary-key range instead built a bitmap of every id in the
-- range, and a partial index over the newest articles (0007) only helped the first range.
CREATE FUNCTION newsbot_id_blocks(id bigint) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ARRAY[(id / 1000) * 8, (id / 10000) * 8 + 1, (id / 100000) * 8 + 2, (id / 1000000) * 8 + 3,
                   (id / 10000000) * 8 + 4] $$;

-- Each window row's tsvector is read (its rank; a phrase's positions): kept in the row itself, not out of
-- line in the TOAST table, whose index and chunks cost a third of that read. PostgreSQL moves it out of
-- line only when the row would not fit a page. Rows stored before this keep theirs out of line until the
-- table is rewritten (VACUUM FULL articles).
ALTER TABLE articles ALTER COLUMN search SET STORAGE MAIN;

CREATE INDEX articles_search_blocks_idx ON articles USING gin (search, newsbot_id_blocks(id));
DROP INDEX articles_search_idx;

-- The partial indexes of 0007 and their bookkeeping are no longer read.
DO $$
DECLARE stray record;
BEGIN
    FOR stray IN SELECT indexname FROM pg_indexes
                 WHERE tablename = 'articles' AND indexname LIKE 'articles\_search\_recent\_%' LOOP
        EXECUTE format('DROP INDEX %I', stray.indexname);
    END LOOP;
END $$;
DROP TABLE search_recent;
