-- add_articles in ONE round trip: the batch (jsonb) goes to newsbot_add_articles, which runs what the store
-- used to send a statement at a time (bot/store/sqlite/adding.py is the same unit of work on SQLite).

-- How a source is named under a story (bot.store.common.source_name): the feed's title, else the page's
-- site name, else the URL's host without "www.".
CREATE FUNCTION newsbot_url_host(url text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT regexp_replace(coalesce(nullif(lower(
               CASE WHEN n LIKE '[%' THEN substring(n FROM '^\[([^\]]*)\]') ELSE regexp_replace(n, ':.*$', '') END
           ), ''), url), '^www\.', '')
    FROM (SELECT regexp_replace(substring(url FROM '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)'), '^.*@', '') AS n) AS x
    $$;

CREATE FUNCTION newsbot_source_name(feed_title text, site_name text, url text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(nullif(regexp_replace(coalesce(feed_title, ''), '^\s+|\s+$', '', 'g'), ''),
                    nullif(regexp_replace(coalesce(site_name, ''), '^\s+|\s+$', '', 'g'), ''),
                    newsbot_url_host(url))
    $$;

-- Queue a story for the feed's unpaused subscriptions whose filters passed. `decided` maps subscription id
-- to [include, exclude, passed] as decided before the transaction (bot.store.filtering.should_queue): a
-- subscription whose filters changed since is queued only when it now has none. Returns the new ids.
CREATE FUNCTION newsbot_enqueue(feed bigint, story bigint, now timestamptz, decided jsonb) RETURNS jsonb
    LANGUAGE sql
    AS $$
    WITH queued AS (
        INSERT INTO deliveries (guild_id, channel_id, subscription_id, story_id, next_attempt_at, created_at)
        SELECT s.guild_id, s.channel_id, s.id, story, now, now FROM subscriptions AS s
        WHERE s.feed_id = feed AND NOT s.paused AND CASE
            WHEN decided -> s.id::text IS NOT NULL
                 AND (decided -> s.id::text ->> 0) IS NOT DISTINCT FROM s.include
                 AND (decided -> s.id::text ->> 1) IS NOT DISTINCT FROM s.exclude
            THEN (decided -> s.id::text ->> 2)::boolean
            ELSE coalesce(s.include, '') = '' AND coalesce(s.exclude, '') = '' END
        ORDER BY s.id
        ON CONFLICT (channel_id, story_id) DO NOTHING
        RETURNING id
    )
    SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM queued
    $$;

-- One article and everything that follows from it; the rules are SQLiteStore.add_article's. Returns
-- {"article", "story", "new", "deliveries"}, or JSON null when nothing was stored.
CREATE FUNCTION newsbot_add_article(item jsonb, story bigint, now timestamptz, decided jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    feed constant bigint := (item ->> 'feed_id')::bigint;
    key text := item ->> 'canonical_url';
    own_key constant text := item ->> 'feed_key';
    found_row record;
    new_story boolean;
    article bigint;
BEGIN
    PERFORM 1 FROM feeds WHERE id = feed FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN 'null'::jsonb;
    END IF;
    INSERT INTO seen_entries (feed_id, guid, seen_at) VALUES (feed, item ->> 'guid', now) ON CONFLICT DO NOTHING;
    -- this feed's own copy first: a duplicate queues the story for the feed's channels that lack it
    SELECT a.story_id INTO found_row FROM articles AS a
    WHERE a.canonical_url IN (key, own_key) AND a.feed_id = feed LIMIT 1;
    IF FOUND THEN
        PERFORM newsbot_enqueue(feed, found_row.story_id, now, decided);
        RETURN 'null'::jsonb;
    END IF;
    -- another feed holds the URL: this feed's copy is kept under feed_key and joins that story
    SELECT a.story_id INTO found_row FROM articles AS a WHERE a.canonical_url = key;
    IF FOUND THEN
        key := own_key;
        story := found_row.story_id;
        UPDATE articles SET canonical_url = canonical_url || '#orphan=' || id
        WHERE canonical_url = own_key AND feed_id IS NULL;
    END IF;
    new_story := story IS NULL OR NOT EXISTS (SELECT 1 FROM stories WHERE id = story);
    IF new_story THEN
        INSERT INTO stories (created_at) VALUES (now) RETURNING id INTO story;
    END IF;
    IF (item ->> 'new_config')::boolean THEN
        INSERT INTO search_configs (cfg) VALUES ((item ->> 'ts_config')::regconfig) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO articles (story_id, feed_id, guid, url, canonical_url, title, text, text_source, bullets, quotes,
                          word_count, reading_minutes, reduction, author, published_at, site_name, image_url,
                          language, fingerprint, created_at, ts_config)
    VALUES (story, feed, item ->> 'guid', item ->> 'url', key, item ->> 'title', item ->> 'text',
            item ->> 'text_source', item -> 'bullets', item -> 'quotes', (item ->> 'word_count')::integer,
            (item ->> 'reading_minutes')::integer, (item ->> 'reduction')::double precision, item ->> 'author',
            (item ->> 'published_at')::timestamptz, item ->> 'site_name', item ->> 'image_url',
            item ->> 'language', decode(item ->> 'fingerprint', 'hex'), now, (item ->> 'ts_config')::regconfig)
    ON CONFLICT (canonical_url) DO NOTHING
    RETURNING id INTO article;
    IF article IS NULL THEN  -- another process stored this key since we looked
        IF new_story THEN
            DELETE FROM stories WHERE id = story;
        END IF;
        SELECT a.story_id, a.feed_id INTO found_row FROM articles AS a WHERE a.canonical_url = key;
        IF FOUND AND found_row.feed_id = feed THEN
            PERFORM newsbot_enqueue(feed, found_row.story_id, now, decided);
        END IF;
        RETURN 'null'::jsonb;
    END IF;
    INSERT INTO quotes (article_id, position, text, speaker, speaker_norm, speaker_last)
    SELECT article, q.ord - 1, q.value ->> 0, q.value ->> 1, q.value ->> 2, q.value ->> 3
    FROM jsonb_array_elements(item -> 'quote_rows') WITH ORDINALITY AS q (value, ord);
    IF NOT new_story THEN
        UPDATE stories SET source_count = (
            SELECT count(DISTINCT newsbot_source_name(f.title, a.site_name, a.url))
            FROM articles AS a LEFT JOIN feeds AS f ON f.id = a.feed_id WHERE a.story_id = story)
        WHERE id = story;
    END IF;
    RETURN jsonb_build_object('article', article, 'story', story, 'new', new_story,
                              'deliveries', newsbot_enqueue(feed, story, now, decided));
END
$$;

-- The batch, item by item in order, in the caller's one statement (so one transaction). An item's "join"
-- names an earlier item whose story it joins (a new story when that one stored nothing). With `verdicts`
-- NULL the filters are decided here, which is only possible when none of the batch's subscriptions has one:
-- otherwise nothing is written and NULL comes back, for the caller to decide them first and call again.
CREATE FUNCTION newsbot_add_articles(items jsonb, now timestamptz, verdicts jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    item jsonb;
    i integer := 0;
    story bigint;
    results jsonb := '[]'::jsonb;
BEGIN
    IF verdicts IS NULL AND EXISTS (
            SELECT 1 FROM subscriptions
            WHERE feed_id IN (SELECT (x ->> 'feed_id')::bigint FROM jsonb_array_elements(items) AS x)
              AND NOT paused AND (coalesce(include, '') <> '' OR coalesce(exclude, '') <> '')) THEN
        RETURN NULL;
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        story := (item ->> 'story_id')::bigint;
        IF story IS NULL AND item ->> 'join' IS NOT NULL THEN
            story := (results -> (item ->> 'join')::integer ->> 'story')::bigint;
        END IF;
        results := results || jsonb_build_array(
            newsbot_add_article(item, story, now, coalesce(verdicts -> i, '{}'::jsonb)));
        i := i + 1;
    END LOOP;
    RETURN results;
END
$$;
