-- mart.daily_volume reads the per-day flow and new-listing stores that the loader keeps up to date in
-- each run's transaction (006), instead of aggregating all of listing_state and listing at every query:
-- the dashboard's query then costs what a day costs, not what history costs (docs/performance.md).
-- Same columns and values as 004's definition (stock at the source's last crawl used that day; the
-- stores' equality with the aggregation is tested in tests/test_load_bad_input.py and
-- tests/test_marts_wages.py).
CREATE OR REPLACE VIEW mart.daily_volume AS
WITH flow_day AS (
    SELECT day, source, worker_country, slots_arrived, slots_completed, slots_expired,
           reward_completed_usd, vanished_listings
    FROM mart.flow_day_store
),
new_day AS (
    SELECT day, source, worker_country, listings_new FROM mart.new_day_store
),
stock_day AS (
    SELECT
        CAST(timezone('UTC', observed_at) AS DATE) AS day,
        source,
        worker_country,
        sum(slots_available) AS slots_sum,
        count(slots_available) AS slots_known,
        count(*) AS crawls_with_country
    FROM core.run_stock
    GROUP BY ALL
),
keys AS (
    SELECT day, source, worker_country FROM stock_day
    UNION SELECT day, source, worker_country FROM flow_day
    UNION SELECT day, source, worker_country FROM new_day
),
final AS (
    SELECT
        k.day,
        k.source,
        k.worker_country,
        coalesce(n.listings_new, 0) AS listings_new,
        coalesce(e.listings_open, 0) AS listings_open,
        coalesce(e.slots_available, 0) AS slots_available,
        CASE WHEN s.slots_known > 0
             THEN CAST(s.slots_sum AS DOUBLE) / (c.crawls_used - (s.crawls_with_country - s.slots_known))
        END AS slots_available_mean,
        coalesce(f.slots_arrived, 0) AS slots_arrived,
        coalesce(f.slots_completed, 0) AS slots_completed,
        coalesce(f.slots_expired, 0) AS slots_expired,
        coalesce(f.reward_completed_usd, 0) AS reward_completed_usd,
        coalesce(f.vanished_listings, 0) AS vanished_listings,
        coalesce(c.crawls_used, 0) AS crawls_used
    FROM keys AS k
    LEFT JOIN stock_day AS s USING (day, source, worker_country)
    LEFT JOIN flow_day AS f USING (day, source, worker_country)
    LEFT JOIN new_day AS n USING (day, source, worker_country)
    LEFT JOIN mart.source_day_crawls AS c USING (day, source)
    LEFT JOIN core.run_stock AS e
        ON e.run_id = c.last_run_id AND e.worker_country = k.worker_country
)
SELECT * FROM final;
