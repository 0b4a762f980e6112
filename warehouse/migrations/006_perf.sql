-- Performance of loads at a year's scale (docs/performance.md).
--
-- core.listing_recent mirrors, for the listings seen in the last days and every listing open now
-- (core.listing_current), the columns of core.listing that each load needs, plus a fingerprint of the
-- listing's attributes. Why: core.listing grows by every listing ever seen (~700,000 a year on a busy
-- market) and a join with it scans all of it, so a load that touched it per run cost what history
-- costs. With the mirror a run compares its listings with a table of constant size; core.listing is
-- written through its primary key (new or changed listings) or through a scan pruned to recent rows.
-- The loader keeps it exact: a row, when present, holds what core.listing holds (warehouse/load.py).
CREATE TABLE core.listing_recent (
    source            VARCHAR NOT NULL,
    listing_id        VARCHAR NOT NULL,
    fingerprint       UBIGINT NOT NULL,     -- hash of the attributes in warehouse.load._FINGERPRINT
    first_seen_at     TIMESTAMPTZ NOT NULL,
    last_seen_at      TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ,
    worker_countries  VARCHAR[] NOT NULL,
    reward_currency   VARCHAR NOT NULL
);

-- Backfill for a warehouse loaded before this migration: the open listings and the last week's.
INSERT INTO core.listing_recent
SELECT
    l.source, l.listing_id,
    hash(l.listing_id_derived, l.title, l.description, l.requester_id, l.category, l.pay_basis,
         l.reward_amount, l.reward_amount_max, l.reward_currency, l.time_allotted_s, l.time_estimate_s,
         l.slots_total, l.posted_at, l.expires_at, l.worker_countries, l.worker_countries_excluded,
         l.employer_country, l.location, l.url),
    l.first_seen_at, l.last_seen_at, l.expires_at, l.worker_countries, l.reward_currency
FROM core.listing AS l
WHERE l.last_seen_at >= (SELECT max(last_seen_at) - INTERVAL 7 DAY FROM core.listing)
   OR EXISTS (SELECT 1 FROM core.listing_current AS c WHERE c.source = l.source AND c.listing_id = l.listing_id);

-- Materialised marts. The views of 002 aggregated all of history on every query (a year is ~4 million
-- state rows joined with ~700,000 listings and their worker countries): seconds per dashboard query.
-- These tables hold the flow and new-listing aggregates per day, updated by each load for what that run
-- changed (and rebuilt from core for a source in the rare case an old listing changes its worker
-- countries, currency or first-seen day; warehouse/load.py). They equal the CTEs flow_day, new_day and
-- (total) flows of 002's views. mart.daily_volume_total keeps its name and columns and reads them; runs
-- (core.crawl_run, one row per crawl) are still aggregated live. mart.daily_volume belongs to migration
-- 004 (its stock semantics were fixed there): its flow_day and new_day CTEs can read
-- mart.flow_day_store and mart.new_day_store unchanged (same columns), which this migration leaves to
-- its owner.
CREATE TABLE mart.flow_day_store (
    day                  DATE NOT NULL,
    source               VARCHAR NOT NULL,
    worker_country       VARCHAR NOT NULL,
    slots_arrived        HUGEINT NOT NULL,
    slots_completed      HUGEINT NOT NULL,
    slots_expired        HUGEINT NOT NULL,
    reward_completed_usd DECIMAL(38, 6),
    vanished_listings    BIGINT NOT NULL,
    PRIMARY KEY (day, source, worker_country)
);
CREATE TABLE mart.flow_day_total_store (
    day                  DATE NOT NULL,
    source               VARCHAR NOT NULL,
    slots_arrived        HUGEINT NOT NULL,
    slots_completed      HUGEINT NOT NULL,
    slots_expired        HUGEINT NOT NULL,
    reward_completed_usd DECIMAL(38, 6),
    PRIMARY KEY (day, source)
);
CREATE TABLE mart.new_day_store (
    day             DATE NOT NULL,
    source          VARCHAR NOT NULL,
    worker_country  VARCHAR NOT NULL,
    listings_new    BIGINT NOT NULL,
    PRIMARY KEY (day, source, worker_country)
);

-- Backfill from core (the loader's rebuild runs the same statements for one source).
INSERT INTO mart.flow_day_store
SELECT CAST(timezone('UTC', s.observed_at) AS DATE), s.source, r.worker_country,
       sum(s.slots_arrived), sum(s.slots_completed), sum(s.slots_expired),
       sum(CASE WHEN l.reward_currency = 'USD' THEN s.slots_completed * s.reward_amount END),
       count(*) FILTER (WHERE s.flow_basis LIKE 'vanished%')
FROM core.listing_state AS s
JOIN core.listing AS l USING (source, listing_id)
JOIN core.listing_worker_region AS r USING (source, listing_id)
GROUP BY ALL;
INSERT INTO mart.flow_day_total_store
SELECT CAST(timezone('UTC', s.observed_at) AS DATE), s.source,
       sum(s.slots_arrived), sum(s.slots_completed), sum(s.slots_expired),
       sum(CASE WHEN l.reward_currency = 'USD' THEN s.slots_completed * s.reward_amount END)
FROM core.listing_state AS s
JOIN core.listing AS l USING (source, listing_id)
GROUP BY ALL;
INSERT INTO mart.new_day_store
SELECT CAST(timezone('UTC', l.first_seen_at) AS DATE), l.source, r.worker_country, count(*)
FROM core.listing AS l
JOIN core.listing_worker_region AS r USING (source, listing_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW mart.daily_volume_total AS
WITH flows AS (
    SELECT * FROM mart.flow_day_total_store
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
