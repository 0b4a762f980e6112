-- Worker eligibility as a region: a listing open to workers anywhere is 'ALL'; one restricted to
-- countries counts once in each of them (so a US+CA listing is in both rows). Listings that only
-- exclude countries are 'ALL'. Summing rows across countries therefore double counts multi-country
-- listings: use mart.daily_volume_total for source totals.
CREATE VIEW core.listing_worker_region AS
SELECT
    source,
    listing_id,
    unnest(CASE WHEN len(worker_countries) = 0 THEN ['ALL'] ELSE worker_countries END) AS worker_country
FROM core.listing;

-- Stock per run used for flows (the "HITs available over time" series).
CREATE VIEW mart.crawl_volume AS
WITH runs AS (
    SELECT run_id, source, started_at, coverage FROM core.crawl_run WHERE used_for_flows
),
final AS (
    SELECT
        s.observed_at,
        s.source,
        s.worker_country,
        s.listings_open,
        s.slots_available,
        s.reward_available_usd,
        r.coverage,
        s.run_id
    FROM core.run_stock AS s
    JOIN runs AS r USING (run_id, source)
)
SELECT * FROM final;

-- Daily volume per day x source x worker country (UTC days).
--   listings_new      listings first seen that day
--   listings_open     listings open at the day's last crawl used for flows
--   slots_available   tasks available at that crawl; slots_available_mean over the day's crawls
--   slots_arrived     rises in tasks available (a new listing's tasks count as arrived when first seen)
--   slots_completed   falls, plus tasks of listings that vanished before their expiry (estimate)
--   slots_expired     tasks of listings that vanished at or after their expiry
--   reward_completed_usd  completed tasks x reward per task, USD listings only
-- Flows come only from crawls used for flows (coverage >= threshold, succeeded, in order).
CREATE VIEW mart.daily_volume AS
WITH flows AS (
    SELECT
        CAST(timezone('UTC', s.observed_at) AS DATE) AS day,
        s.source,
        r.worker_country,
        s.slots_arrived,
        s.slots_completed,
        s.slots_expired,
        CASE WHEN l.reward_currency = 'USD' THEN s.slots_completed * s.reward_amount END AS reward_completed_usd,
        s.flow_basis LIKE 'vanished%' AS inferred_from_vanishing
    FROM core.listing_state AS s
    JOIN core.listing AS l USING (source, listing_id)
    JOIN core.listing_worker_region AS r USING (source, listing_id)
),
flow_day AS (
    SELECT
        day, source, worker_country,
        sum(slots_arrived) AS slots_arrived,
        sum(slots_completed) AS slots_completed,
        sum(slots_expired) AS slots_expired,
        sum(reward_completed_usd) AS reward_completed_usd,
        count(*) FILTER (WHERE inferred_from_vanishing) AS vanished_listings
    FROM flows
    GROUP BY ALL
),
new_day AS (
    SELECT
        CAST(timezone('UTC', l.first_seen_at) AS DATE) AS day,
        l.source,
        r.worker_country,
        count(*) AS listings_new
    FROM core.listing AS l
    JOIN core.listing_worker_region AS r USING (source, listing_id)
    GROUP BY ALL
),
stock_day AS (
    SELECT
        CAST(timezone('UTC', observed_at) AS DATE) AS day,
        source,
        worker_country,
        arg_max(listings_open, observed_at) AS listings_open,
        arg_max(slots_available, observed_at) AS slots_available,
        avg(slots_available) AS slots_available_mean,
        count(*) AS crawls
    FROM core.run_stock
    GROUP BY ALL
),
final AS (
    SELECT
        day,
        source,
        worker_country,
        coalesce(n.listings_new, 0) AS listings_new,
        coalesce(s.listings_open, 0) AS listings_open,
        coalesce(s.slots_available, 0) AS slots_available,
        s.slots_available_mean,
        coalesce(f.slots_arrived, 0) AS slots_arrived,
        coalesce(f.slots_completed, 0) AS slots_completed,
        coalesce(f.slots_expired, 0) AS slots_expired,
        coalesce(f.reward_completed_usd, 0) AS reward_completed_usd,
        coalesce(f.vanished_listings, 0) AS vanished_listings,
        coalesce(s.crawls, 0) AS crawls_used
    FROM stock_day AS s
    FULL JOIN flow_day AS f USING (day, source, worker_country)
    FULL JOIN new_day AS n USING (day, source, worker_country)
)
SELECT * FROM final;

-- Source totals per day, each listing counted once whatever its eligibility.
CREATE VIEW mart.daily_volume_total AS
WITH flows AS (
    SELECT
        CAST(timezone('UTC', s.observed_at) AS DATE) AS day,
        s.source,
        sum(s.slots_arrived) AS slots_arrived,
        sum(s.slots_completed) AS slots_completed,
        sum(s.slots_expired) AS slots_expired,
        sum(CASE WHEN l.reward_currency = 'USD' THEN s.slots_completed * s.reward_amount END) AS reward_completed_usd
    FROM core.listing_state AS s
    JOIN core.listing AS l USING (source, listing_id)
    GROUP BY ALL
),
runs AS (
    SELECT
        CAST(timezone('UTC', started_at) AS DATE) AS day,
        source,
        count(*) FILTER (WHERE used_for_flows) AS crawls_used,
        count(*) AS crawls,
        min(coverage) AS min_coverage
    FROM core.crawl_run
    GROUP BY ALL
),
final AS (
    SELECT
        day, source,
        coalesce(f.slots_arrived, 0) AS slots_arrived,
        coalesce(f.slots_completed, 0) AS slots_completed,
        coalesce(f.slots_expired, 0) AS slots_expired,
        coalesce(f.reward_completed_usd, 0) AS reward_completed_usd,
        coalesce(r.crawls_used, 0) AS crawls_used,
        coalesce(r.crawls, 0) AS crawls,
        r.min_coverage
    FROM flows AS f
    FULL JOIN runs AS r USING (day, source)
)
SELECT * FROM final;

-- Freshness per source: last crawl, last successful crawl, last crawl used for flows.
CREATE VIEW mart.source_freshness AS
WITH final AS (
    SELECT
        source,
        max(started_at) AS last_crawl_at,
        max(started_at) FILTER (WHERE status = 'ok') AS last_success_at,
        max(started_at) FILTER (WHERE used_for_flows) AS last_used_at,
        count(*) AS crawls,
        count(*) FILTER (WHERE status = 'failed') AS crawls_failed,
        sum(items) AS items
    FROM core.crawl_run
    GROUP BY source
)
SELECT * FROM final;
