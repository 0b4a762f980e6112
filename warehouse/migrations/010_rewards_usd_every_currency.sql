-- Rewards completed in every currency, not only USD listings' (migration 006's stores summed USD listings
-- only, a rule from before currency reference data was loaded, while mart.daily_region_task (004)
-- converted every currency): each change's reward is converted to USD at the ECB rate of its day, via
-- EUR, NULL when no rate is known (ref.units_per_eur). The loader adds new changes the same way
-- (warehouse/load.py, _FLOWS_USD_CTES); this rebuilds the stores' history from core. core.run_stock's
-- reward_available_usd (per crawl, not rebuildable from core) keeps its USD-listings-only rule.

CREATE TEMP TABLE migration_010_flows_usd AS
WITH flows AS (
    SELECT CAST(timezone('UTC', c.observed_at) AS DATE) AS day, c.source, l.reward_currency,
           l.worker_countries, c.slots_arrived, c.slots_completed, c.slots_expired,
           c.slots_completed * c.reward_amount AS reward_completed,
           c.flow_basis LIKE 'vanished%' AS vanished
    FROM core.listing_state AS c JOIN core.listing AS l USING (source, listing_id)
),
rates AS (
    SELECT day, reward_currency,
           CAST(ref.units_per_eur(reward_currency, day) AS DOUBLE) AS ccy_per_eur,
           CAST(ref.units_per_eur('USD', day) AS DOUBLE) AS usd_per_eur
    FROM (SELECT DISTINCT day, reward_currency FROM flows WHERE reward_currency <> 'USD')
)
SELECT f.*,
       CASE WHEN f.reward_currency = 'USD' THEN f.reward_completed
            ELSE CAST(CAST(f.reward_completed AS DOUBLE) / r.ccy_per_eur * r.usd_per_eur AS DECIMAL(18, 6))
       END AS reward_completed_usd
FROM flows AS f LEFT JOIN rates AS r USING (day, reward_currency);

DELETE FROM mart.flow_day_store;
INSERT INTO mart.flow_day_store
SELECT day, source, worker_country, coalesce(sum(slots_arrived), 0), coalesce(sum(slots_completed), 0),
       coalesce(sum(slots_expired), 0), sum(reward_completed_usd), count(*) FILTER (WHERE vanished)
FROM (SELECT *, unnest(CASE WHEN len(worker_countries) = 0 THEN ['ALL'] ELSE worker_countries END)
                    AS worker_country
      FROM migration_010_flows_usd)
GROUP BY day, source, worker_country;

DELETE FROM mart.flow_day_total_store;
INSERT INTO mart.flow_day_total_store
SELECT day, source, coalesce(sum(slots_arrived), 0), coalesce(sum(slots_completed), 0),
       coalesce(sum(slots_expired), 0), sum(reward_completed_usd)
FROM migration_010_flows_usd GROUP BY day, source;

DROP TABLE migration_010_flows_usd;

COMMENT ON COLUMN public.daily_volume.reward_completed_usd IS 'Derived: completed tasks x reward per task at that time, every currency converted to USD at the ECB rate of the day (via EUR; a listing whose currency has no rate that day is left out). Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.reward_completed_usd IS 'Derived: completed tasks x reward per task at that time, every currency converted to USD at the ECB rate of the day (via EUR; a listing whose currency has no rate that day is left out), each listing once. Estimate. Definition: methodology.md#definitions-of-the-marts';
