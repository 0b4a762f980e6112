-- Marts by the three meanings of region, hourly pay, and the OLI-comparable series (docs/wages.md,
-- docs/oli-series.md). Everything published here is a view over core, so a figure can always be traced
-- to listing_state rows; warehouse/marts.py refresh_marts fills core.listing_class after each load.
--
-- Conventions shared by the views below:
--   region_kind  'worker_eligibility' (where the work may be done: worker_countries, 'ALL' when open to
--                anyone), 'employer_country' (listing.employer_country), 'onsite_location' (the on-site
--                mission's location.country; online listings have no row of this kind).
--   region       ISO 3166-1 alpha-2, 'ALL' (worker_eligibility only: no country restriction), or
--                'UNKNOWN' (the platform did not say: employer_country NULL, or a location without a
--                country). 'UNKNOWN' instead of NULL so the key joins and groups like any other value.
--   task_type    from core.listing_class; 'unclassified' for a listing refresh_marts has not seen yet.
--   day          UTC day. Flows are dated by the crawl used for flows that saw the change.

-- ---------------------------------------------------------------------------------------------------
-- Classification of each listing by the task taxonomy (observatory/taxonomy.py), one row per listing,
-- written by warehouse.marts.refresh_marts for listings not yet classified. taxonomy_version says which
-- rules decided; a new taxonomy version makes refresh_marts classify every listing again.
CREATE TABLE core.listing_class (
    source             VARCHAR NOT NULL,
    listing_id         VARCHAR NOT NULL,
    task_type          VARCHAR NOT NULL,
    rule_id            VARCHAR,                 -- NULL: no rule matched ('other')
    oli_occupation     VARCHAR,
    oli_microwork      BOOLEAN,
    oli_in_scope       BOOLEAN,                 -- false: outside the OLI's scope (on-site work)
    astroturf          BOOLEAN NOT NULL,
    astroturf_rule_id  VARCHAR,
    taxonomy_version   VARCHAR NOT NULL,
    classified_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, listing_id)
);

-- ---------------------------------------------------------------------------------------------------
-- Parameters of the marts. Every row says whether it is an assumption (our choice, to be challenged),
-- a published figure (with its source) or a convention; users change them with
-- warehouse.marts.set_param and every mart row that used one carries the value it used.
CREATE TABLE mart.param (
    name        VARCHAR PRIMARY KEY,
    num_value   DOUBLE,
    date_value  DATE,
    basis       VARCHAR NOT NULL CHECK (basis IN ('assumption', 'published', 'convention')),
    source      VARCHAR NOT NULL,
    note        VARCHAR NOT NULL,
    set_at      TIMESTAMPTZ NOT NULL
);

INSERT INTO mart.param VALUES
    ('share_of_allotted_worked', 1.0, NULL, 'assumption',
     'Observatory choice (docs/wages.md#modelled-time), not a measurement',
     'Time per task where the requester states none = time_allotted_s x this share. 1.0 treats the whole '
     'allotted time as worked: the allotted time is the most a worker may spend, so hourly pay computed on '
     'it is a LOWER BOUND of the pay per hour actually spent, and shares below the minimum wage are upper '
     'bounds. Hourly pay scales as 1/share: see the sensitivity table in docs/wages.md.',
     TIMESTAMPTZ '2026-01-01 00:00:00+00'),
    ('unpaid_overhead_factor', 4.43 / 3.31, NULL, 'published',
     'ILO (2018), Digital labour platforms and the future of work: average $4.43/h for paid work, $3.31/h '
     'including unpaid time (survey of 3,500 workers, 75 countries, five microtask platforms)',
     'Paid-time hourly pay / this factor = hourly pay including unpaid time (searching for tasks, unpaid '
     'qualification tests). 4.43 / 3.31 = 1.3384 (1.34 rounded). Applying one average ratio to every task '
     'is an assumption (docs/wages.md#unpaid-time).',
     TIMESTAMPTZ '2026-01-01 00:00:00+00'),
    ('oli_ma_min_days', 28, NULL, 'convention',
     'Observatory choice (docs/oli-series.md#gaps); the OLI itself is a 28-day moving average',
     'Days with data required in a 28-day window for its moving average. 28 = no day may be missing, so a '
     'gap never hides behind an average; lower it to average over the observed days of the window.',
     TIMESTAMPTZ '2026-01-01 00:00:00+00'),
    ('oli_base_start', NULL, NULL, 'convention',
     'Observatory choice (docs/oli-series.md#index); the OLI uses May 2016 (100 = daily average of May 2016)',
     'First day of the index base period. NULL = each series'' first observed day.',
     TIMESTAMPTZ '2026-01-01 00:00:00+00'),
    ('oli_base_end', NULL, NULL, 'convention',
     'Observatory choice (docs/oli-series.md#index)',
     'Last day of the index base period. NULL = base start + 27 days (28 days, like the OLI''s window).',
     TIMESTAMPTZ '2026-01-01 00:00:00+00');

-- ---------------------------------------------------------------------------------------------------
-- OLI back-series (warehouse/oli.py): provenance of each imported file, its rows, and a third party's
-- monthly index table. Imported as published, never edited.
CREATE TABLE core.oli_import (
    source_label   VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL CHECK (kind IN ('daily_counts', 'monthly_levels_third_party')),
    file_name      VARCHAR NOT NULL,
    file_sha256    VARCHAR NOT NULL,
    rows_imported  BIGINT NOT NULL,
    first_day      DATE NOT NULL,
    last_day       DATE NOT NULL,
    doi            VARCHAR NOT NULL,
    licence        VARCHAR NOT NULL,
    citation       VARCHAR NOT NULL,
    note           VARCHAR NOT NULL,
    imported_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_label, kind)
);

-- Raw daily counts of new vacancies (the OLI deposit's `timestamp,occupation,status,domain,count`).
-- A (day, domain) with no row at all is a collection gap, not zero: see mart.oli_backseries_daily.
CREATE TABLE core.oli_backseries (
    source_label   VARCHAR NOT NULL,
    day            DATE NOT NULL,
    occupation     VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    domain         VARCHAR NOT NULL,
    vacancies      BIGINT NOT NULL CHECK (vacancies >= 0),
    PRIMARY KEY (source_label, day, occupation, status, domain)
);

-- Monthly means of the OLI daily index (May 2016 = 100) by occupation, as computed and published by a
-- third party: a derived table, not the official 28-day series.
CREATE TABLE core.oli_levels_monthly (
    source_label   VARCHAR NOT NULL,
    month          DATE NOT NULL,
    occupation     VARCHAR NOT NULL,
    level          DOUBLE NOT NULL,
    PRIMARY KEY (source_label, month, occupation)
);

-- ---------------------------------------------------------------------------------------------------
-- Each listing's regions, one row per (region_kind, region): the three meanings kept apart. A listing
-- open to US and CA workers has two worker_eligibility rows, so never sum over regions of that kind.
CREATE VIEW core.listing_region AS
SELECT source, listing_id, 'worker_eligibility' AS region_kind,
       unnest(CASE WHEN len(worker_countries) = 0 THEN ['ALL'] ELSE worker_countries END) AS region
FROM core.listing
UNION ALL
SELECT source, listing_id, 'employer_country', coalesce(employer_country, 'UNKNOWN')
FROM core.listing
UNION ALL
SELECT source, listing_id, 'onsite_location', coalesce(location.country, 'UNKNOWN')
FROM core.listing
WHERE location IS NOT NULL;

-- Per source and UTC day: the crawls used for flows and the last of them (the one stocks are read at).
CREATE VIEW mart.source_day_crawls AS
SELECT
    CAST(timezone('UTC', started_at) AS DATE) AS day,
    source,
    count(*) AS crawls_used,
    max(started_at) AS last_used_at,
    arg_max(run_id, started_at) AS last_run_id
FROM core.crawl_run
WHERE used_for_flows
GROUP BY ALL;

-- Each listing_state row with the time of the listing's next state row: the row describes the listing
-- from observed_at until next_observed_at (exclusive; NULL = still so). A listing is open at crawl time
-- t when the row in force at t has status 'open'.
CREATE VIEW mart.listing_state_interval AS
SELECT
    source, listing_id, run_id, observed_at, status, slots_available, reward_amount,
    lead(observed_at) OVER (PARTITION BY source, listing_id ORDER BY observed_at) AS next_observed_at
FROM core.listing_state;

-- Listings open at each day's last crawl used for flows, with their tasks available and reward then.
CREATE VIEW mart.listing_open_day_end AS
SELECT d.day, i.source, i.listing_id, i.slots_available, i.reward_amount
FROM mart.source_day_crawls AS d
JOIN mart.listing_state_interval AS i
  ON i.source = d.source
 AND i.observed_at <= d.last_used_at
 AND (i.next_observed_at IS NULL OR i.next_observed_at > d.last_used_at)
WHERE i.status = 'open';

-- ---------------------------------------------------------------------------------------------------
-- Fix of mart.daily_volume (002/006): listings_open and slots_available per worker_country came from the
-- last crawl that had listings for that country, so a country whose listings had all closed by the day's
-- last crawl kept a stale stock. They now come from the SOURCE's last crawl used for flows that day (0
-- when that crawl had none for the country); crawls_used counts the source's crawls used that day; and
-- slots_available_mean counts a crawl that had no listing for the country as 0 (crawls where the
-- country's tasks available were unknown stay out of the mean). Same columns as before.
CREATE OR REPLACE VIEW mart.daily_volume AS
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

-- ---------------------------------------------------------------------------------------------------
-- Per UTC day x source x region_kind x region x task_type x reward_currency. Each listing has one
-- currency, so rows may be summed over currencies (use the _usd/_eur columns), but never over regions of
-- one kind where a listing has several (worker_eligibility).
--   listings_new                 listings first seen that day
--   listings_open, slots_available  at the source's last crawl used for flows that day (0 if none)
--   slots_arrived/_completed/_expired  inferred flows (ESTIMATES, methodology.md): completions include
--                                tasks of listings that vanished before expiry, expiries those that
--                                vanished at or after it; vanished_listings counts those listings
--   reward_completed, reward_available  completed / available tasks x reward per task, per_task listings
--                                only, in reward_currency; _usd and _eur at the ECB rates of the day
--                                (ref.units_per_eur: that day or the nearest earlier, <= 7 days back;
--                                NULL when no rate is known)
CREATE VIEW mart.daily_region_task AS
WITH attrs AS (
    SELECT l.source, l.listing_id, l.reward_currency, l.pay_basis, r.region_kind, r.region,
           coalesce(c.task_type, 'unclassified') AS task_type
    FROM core.listing AS l
    JOIN core.listing_region AS r USING (source, listing_id)
    LEFT JOIN core.listing_class AS c USING (source, listing_id)
),
flow_day AS (
    SELECT CAST(timezone('UTC', s.observed_at) AS DATE) AS day, a.source, a.region_kind, a.region,
           a.task_type, a.reward_currency,
           sum(s.slots_arrived) AS slots_arrived,
           sum(s.slots_completed) AS slots_completed,
           sum(s.slots_expired) AS slots_expired,
           count(*) FILTER (WHERE s.flow_basis LIKE 'vanished%') AS vanished_listings,
           sum(CASE WHEN a.pay_basis = 'per_task' THEN s.slots_completed * s.reward_amount END) AS reward_completed
    FROM core.listing_state AS s
    JOIN attrs AS a USING (source, listing_id)
    GROUP BY ALL
),
stock_day AS (
    SELECT o.day, a.source, a.region_kind, a.region, a.task_type, a.reward_currency,
           count(*) AS listings_open,
           sum(o.slots_available) AS slots_available,
           sum(CASE WHEN a.pay_basis = 'per_task' THEN o.slots_available * o.reward_amount END) AS reward_available
    FROM mart.listing_open_day_end AS o
    JOIN attrs AS a USING (source, listing_id)
    GROUP BY ALL
),
new_day AS (
    SELECT CAST(timezone('UTC', l.first_seen_at) AS DATE) AS day, a.source, a.region_kind, a.region,
           a.task_type, a.reward_currency, count(*) AS listings_new
    FROM core.listing AS l
    JOIN attrs AS a USING (source, listing_id)
    GROUP BY ALL
),
keys AS (
    SELECT day, source, region_kind, region, task_type, reward_currency FROM flow_day
    UNION SELECT day, source, region_kind, region, task_type, reward_currency FROM stock_day
    UNION SELECT day, source, region_kind, region, task_type, reward_currency FROM new_day
),
rates AS (
    SELECT day, reward_currency,
           CAST(ref.units_per_eur(reward_currency, day) AS DOUBLE) AS ccy_per_eur,
           CAST(ref.units_per_eur('USD', day) AS DOUBLE) AS usd_per_eur
    FROM (SELECT DISTINCT day, reward_currency FROM keys)
),
final AS (
    SELECT
        k.day, k.source, k.region_kind, k.region, k.task_type, k.reward_currency,
        coalesce(n.listings_new, 0) AS listings_new,
        coalesce(s.listings_open, 0) AS listings_open,
        coalesce(s.slots_available, 0) AS slots_available,
        coalesce(f.slots_arrived, 0) AS slots_arrived,
        coalesce(f.slots_completed, 0) AS slots_completed,
        coalesce(f.slots_expired, 0) AS slots_expired,
        coalesce(f.vanished_listings, 0) AS vanished_listings,
        CAST(f.reward_completed AS DECIMAL(18, 6)) AS reward_completed,
        CAST(CASE WHEN k.reward_currency = 'USD' THEN f.reward_completed
                  ELSE CAST(f.reward_completed AS DOUBLE) / x.ccy_per_eur * x.usd_per_eur END
             AS DECIMAL(18, 6)) AS reward_completed_usd,
        CAST(CASE WHEN k.reward_currency = 'EUR' THEN f.reward_completed
                  ELSE CAST(f.reward_completed AS DOUBLE) / x.ccy_per_eur END AS DECIMAL(18, 6)) AS reward_completed_eur,
        CAST(s.reward_available AS DECIMAL(18, 6)) AS reward_available,
        CAST(CASE WHEN k.reward_currency = 'USD' THEN s.reward_available
                  ELSE CAST(s.reward_available AS DOUBLE) / x.ccy_per_eur * x.usd_per_eur END
             AS DECIMAL(18, 6)) AS reward_available_usd,
        CAST(CASE WHEN k.reward_currency = 'EUR' THEN s.reward_available
                  ELSE CAST(s.reward_available AS DOUBLE) / x.ccy_per_eur END AS DECIMAL(18, 6)) AS reward_available_eur,
        coalesce(c.crawls_used, 0) AS crawls_used
    FROM keys AS k
    LEFT JOIN flow_day AS f USING (day, source, region_kind, region, task_type, reward_currency)
    LEFT JOIN stock_day AS s USING (day, source, region_kind, region, task_type, reward_currency)
    LEFT JOIN new_day AS n USING (day, source, region_kind, region, task_type, reward_currency)
    LEFT JOIN rates AS x USING (day, reward_currency)
    LEFT JOIN mart.source_day_crawls AS c USING (day, source)
)
SELECT * FROM final;

-- ---------------------------------------------------------------------------------------------------
-- Hourly pay of per-task work, one row per listing x day x weight_basis x reward in force:
--   weight_basis 'tasks_completed': weight = tasks inferred completed that day at that reward (estimate);
--                'tasks_available': weight = tasks available at the day's last crawl used for flows.
--   time_basis   'stated' (time_estimate_s published), 'modelled' (time_allotted_s x
--                share_of_allotted_worked, an ASSUMPTION carried in share_of_allotted_worked), 'unknown'
--                (neither published: hourly pay NULL, the weight still counts in tasks_weight).
--   hourly_paid_usd         reward per task in USD x 3600 / time per task in seconds
--   hourly_incl_unpaid_usd  hourly_paid_usd / unpaid_overhead_factor (ILO 2018; carried per row)
CREATE VIEW mart.hourly_pay AS
WITH p AS (
    SELECT
        max(num_value) FILTER (WHERE name = 'share_of_allotted_worked') AS share_worked,
        max(num_value) FILTER (WHERE name = 'unpaid_overhead_factor') AS overhead
    FROM mart.param
),
weighted AS (
    SELECT CAST(timezone('UTC', s.observed_at) AS DATE) AS day, s.source, s.listing_id,
           'tasks_completed' AS weight_basis, s.reward_amount, sum(s.slots_completed) AS weight
    FROM core.listing_state AS s
    WHERE s.slots_completed > 0
    GROUP BY ALL
    UNION ALL
    SELECT o.day, o.source, o.listing_id, 'tasks_available', o.reward_amount, o.slots_available
    FROM mart.listing_open_day_end AS o
    WHERE o.slots_available > 0
),
timed AS (
    SELECT
        w.*,
        l.reward_currency,
        CASE WHEN l.time_estimate_s > 0 THEN 'stated'
             WHEN l.time_allotted_s > 0 THEN 'modelled'
             ELSE 'unknown' END AS time_basis,
        CASE WHEN l.time_estimate_s > 0 THEN CAST(l.time_estimate_s AS DOUBLE)
             WHEN l.time_allotted_s > 0 THEN l.time_allotted_s * p.share_worked END AS time_per_task_s,
        CASE WHEN NOT coalesce(l.time_estimate_s > 0, false) AND l.time_allotted_s > 0
             THEN p.share_worked END AS share_of_allotted_worked,
        p.overhead AS unpaid_overhead_factor
    FROM weighted AS w
    JOIN core.listing AS l USING (source, listing_id)
    CROSS JOIN p
    WHERE l.pay_basis = 'per_task'
),
rates AS (
    SELECT day, reward_currency,
           CAST(ref.units_per_eur(reward_currency, day) AS DOUBLE) AS ccy_per_eur,
           CAST(ref.units_per_eur('USD', day) AS DOUBLE) AS usd_per_eur
    FROM (SELECT DISTINCT day, reward_currency FROM timed)
),
usd AS (
    SELECT t.*,
           CAST(CASE WHEN t.reward_currency = 'USD' THEN t.reward_amount
                     ELSE CAST(t.reward_amount AS DOUBLE) / x.ccy_per_eur * x.usd_per_eur END
                AS DECIMAL(18, 6)) AS reward_usd
    FROM timed AS t
    LEFT JOIN rates AS x USING (day, reward_currency)
),
final AS (
    SELECT
        day, source, listing_id, weight_basis, CAST(weight AS BIGINT) AS weight,
        reward_amount, reward_currency, reward_usd,
        time_basis, time_per_task_s, share_of_allotted_worked,
        CAST(CAST(reward_usd AS DOUBLE) * 3600 / time_per_task_s AS DECIMAL(18, 6)) AS hourly_paid_usd,
        unpaid_overhead_factor,
        CAST(CAST(reward_usd AS DOUBLE) * 3600 / time_per_task_s / unpaid_overhead_factor AS DECIMAL(18, 6))
            AS hourly_incl_unpaid_usd
    FROM usd
)
SELECT * FROM final;

-- ---------------------------------------------------------------------------------------------------
-- Minimum wage in force per (region_kind, region, day), in USD at the ECB rates of the day. Worldwide
-- tasks ('ALL') are compared with the US federal minimum; 'UNKNOWN' regions with nothing.
--   minimum_wage_basis  'us_federal_for_worldwide', 'worker_country_national',
--                       'employer_country_national' (a benchmark: where the work is done is unknown),
--                       'onsite_country_national', 'no_statutory_minimum' (the country has none: NULL),
--                       'not_on_record' (ref.minimum_wage has no row for that country and day: NULL),
--                       'region_unknown' (NULL)
CREATE VIEW mart.region_minimum_wage AS
WITH wanted AS (
    SELECT DISTINCT w.day, r.region_kind, r.region
    FROM mart.hourly_pay AS w
    JOIN core.listing_region AS r USING (source, listing_id)
),
target AS (
    SELECT day, region_kind, region,
           CASE WHEN region = 'ALL' THEN 'US' WHEN region = 'UNKNOWN' THEN NULL ELSE region END AS country
    FROM wanted
),
matched AS (
    SELECT t.*, m.hourly_amount, m.currency, m.legal_source, m.source_url, m.as_of,
           m.country_iso2 IS NOT NULL AS on_record
    FROM target AS t
    LEFT JOIN ref.minimum_wage AS m
      ON m.country_iso2 = t.country
     AND m.subdivision_code IS NULL
     AND m.valid_from <= t.day
     AND (m.valid_to IS NULL OR t.day <= m.valid_to)
),
final AS (
    SELECT
        day, region_kind, region,
        CASE
            WHEN country IS NULL THEN 'region_unknown'
            WHEN NOT on_record THEN 'not_on_record'
            WHEN hourly_amount IS NULL THEN 'no_statutory_minimum'
            WHEN region = 'ALL' THEN 'us_federal_for_worldwide'
            WHEN region_kind = 'worker_eligibility' THEN 'worker_country_national'
            WHEN region_kind = 'employer_country' THEN 'employer_country_national'
            ELSE 'onsite_country_national'
        END AS minimum_wage_basis,
        hourly_amount AS minimum_wage_local,
        currency AS minimum_wage_currency,
        CAST(CASE WHEN currency = 'USD' THEN hourly_amount
                  ELSE ref.convert(hourly_amount, currency, 'USD', day) END AS DECIMAL(18, 6)) AS minimum_wage_usd,
        legal_source AS minimum_wage_legal_source,
        source_url AS minimum_wage_source_url,
        as_of AS minimum_wage_as_of
    FROM matched
)
SELECT * FROM final;

-- ---------------------------------------------------------------------------------------------------
-- Distribution of hourly pay per day x source x region_kind x region x task_type x weight_basis,
-- weighted by tasks. Weighted quantile p (no interpolation): the smallest hourly value h such that the
-- tasks paying <= h are at least p of all tasks with a known time (cumulative weight / total weight >= p,
-- compared in integers). With every weight 1 this is the inverse of the empirical distribution function
-- (Hyndman & Fan type 1), e.g. the median of {1, 2} is 1.
--   tasks_weight            all tasks of the group, time known or not
--   tasks_weight_timed      those with a time per task (the quantiles' base)
--   tasks_weight_modelled   those whose time is modelled from time allotted (assumption)
--   share_below_minimum_*   tasks paying below the minimum wage / tasks_weight_timed; NULL when no
--                           minimum is known (see minimum_wage_basis), never 0
CREATE VIEW mart.daily_wages AS
WITH task_rows AS (
    SELECT h.day, h.source, r.region_kind, r.region, coalesce(c.task_type, 'unclassified') AS task_type,
           h.weight_basis, h.weight, h.time_basis, h.hourly_paid_usd, h.hourly_incl_unpaid_usd,
           h.share_of_allotted_worked, h.unpaid_overhead_factor
    FROM mart.hourly_pay AS h
    JOIN core.listing_region AS r USING (source, listing_id)
    LEFT JOIN core.listing_class AS c USING (source, listing_id)
),
grp AS (
    SELECT day, source, region_kind, region, task_type, weight_basis,
           sum(weight) AS tasks_weight,
           sum(weight) FILTER (WHERE hourly_paid_usd IS NOT NULL) AS tasks_weight_timed,
           coalesce(sum(weight) FILTER (WHERE time_basis = 'modelled'), 0) AS tasks_weight_modelled,
           max(share_of_allotted_worked) AS share_of_allotted_worked,
           max(unpaid_overhead_factor) AS unpaid_overhead_factor
    FROM task_rows
    GROUP BY ALL
),
vals AS (
    SELECT day, source, region_kind, region, task_type, weight_basis, hourly_paid_usd, sum(weight) AS w
    FROM task_rows
    WHERE hourly_paid_usd IS NOT NULL
    GROUP BY ALL
),
cum AS (
    SELECT *,
           sum(w) OVER (PARTITION BY day, source, region_kind, region, task_type, weight_basis
                        ORDER BY hourly_paid_usd ROWS UNBOUNDED PRECEDING) AS cw,
           sum(w) OVER (PARTITION BY day, source, region_kind, region, task_type, weight_basis) AS tw
    FROM vals
),
q AS (
    SELECT day, source, region_kind, region, task_type, weight_basis,
           min(hourly_paid_usd) FILTER (WHERE cw * 100 >= tw * 10) AS p10,
           min(hourly_paid_usd) FILTER (WHERE cw * 100 >= tw * 25) AS p25,
           min(hourly_paid_usd) FILTER (WHERE cw * 100 >= tw * 50) AS p50,
           min(hourly_paid_usd) FILTER (WHERE cw * 100 >= tw * 75) AS p75,
           min(hourly_paid_usd) FILTER (WHERE cw * 100 >= tw * 90) AS p90
    FROM cum
    GROUP BY ALL
),
below AS (
    SELECT r.day, r.source, r.region_kind, r.region, r.task_type, r.weight_basis,
           sum(r.weight) FILTER (WHERE r.hourly_paid_usd < m.minimum_wage_usd) AS below_paid,
           sum(r.weight) FILTER (WHERE r.hourly_incl_unpaid_usd < m.minimum_wage_usd) AS below_incl_unpaid
    FROM task_rows AS r
    JOIN mart.region_minimum_wage AS m USING (day, region_kind, region)
    WHERE r.hourly_paid_usd IS NOT NULL AND m.minimum_wage_usd IS NOT NULL
    GROUP BY ALL
),
final AS (
    SELECT
        g.day, g.source, g.region_kind, g.region, g.task_type, g.weight_basis,
        CAST(g.tasks_weight AS BIGINT) AS tasks_weight,
        CAST(coalesce(g.tasks_weight_timed, 0) AS BIGINT) AS tasks_weight_timed,
        CAST(g.tasks_weight_modelled AS BIGINT) AS tasks_weight_modelled,
        q.p10 AS hourly_paid_usd_p10,
        q.p25 AS hourly_paid_usd_p25,
        q.p50 AS hourly_paid_usd_p50,
        q.p75 AS hourly_paid_usd_p75,
        q.p90 AS hourly_paid_usd_p90,
        CAST(CAST(q.p50 AS DOUBLE) / g.unpaid_overhead_factor AS DECIMAL(18, 6)) AS hourly_incl_unpaid_usd_p50,
        m.minimum_wage_usd,
        m.minimum_wage_local,
        m.minimum_wage_currency,
        m.minimum_wage_basis,
        m.minimum_wage_legal_source,
        m.minimum_wage_as_of,
        CASE WHEN m.minimum_wage_usd IS NOT NULL AND g.tasks_weight_timed > 0
             THEN CAST(coalesce(b.below_paid, 0) AS DOUBLE) / g.tasks_weight_timed END
            AS share_below_minimum_paid,
        CASE WHEN m.minimum_wage_usd IS NOT NULL AND g.tasks_weight_timed > 0
             THEN CAST(coalesce(b.below_incl_unpaid, 0) AS DOUBLE) / g.tasks_weight_timed END
            AS share_below_minimum_incl_unpaid,
        g.share_of_allotted_worked,
        g.unpaid_overhead_factor
    FROM grp AS g
    LEFT JOIN q USING (day, source, region_kind, region, task_type, weight_basis)
    LEFT JOIN below AS b USING (day, source, region_kind, region, task_type, weight_basis)
    LEFT JOIN mart.region_minimum_wage AS m USING (day, region_kind, region)
)
SELECT * FROM final;

-- ---------------------------------------------------------------------------------------------------
-- OLI-comparable series (docs/oli-series.md). New listings per UTC day x source x OLI occupation x
-- employer country, for listings whose task type the crosswalk puts in the OLI's scope. Every day from
-- the source's first to its last crawl has a row; listings_new is NULL on a day when no crawl of the
-- source loaded any listing (a gap, not zero), 0 on an observed day without new listings.
CREATE VIEW mart.oli_daily AS
WITH crawl_day AS (
    SELECT source, CAST(timezone('UTC', started_at) AS DATE) AS day, max(items) AS max_items
    FROM core.crawl_run
    GROUP BY ALL
),
calendar AS (
    SELECT source, CAST(unnest(generate_series(min(day), max(day), INTERVAL 1 DAY)) AS DATE) AS day
    FROM crawl_day
    GROUP BY source
),
new AS (
    SELECT l.source, CAST(timezone('UTC', l.first_seen_at) AS DATE) AS day, c.oli_occupation,
           coalesce(l.employer_country, 'UNKNOWN') AS employer_country, count(*) AS n
    FROM core.listing AS l
    JOIN core.listing_class AS c USING (source, listing_id)
    WHERE c.oli_in_scope AND c.oli_occupation IS NOT NULL
    GROUP BY ALL
),
combos AS (
    SELECT DISTINCT source, oli_occupation, employer_country FROM new
),
final AS (
    SELECT d.day, d.source, k.oli_occupation, k.employer_country,
           CASE WHEN cd.max_items > 0 THEN coalesce(n.n, 0) END AS listings_new,
           coalesce(cd.max_items > 0, false) AS observed
    FROM calendar AS d
    JOIN combos AS k USING (source)
    LEFT JOIN crawl_day AS cd USING (source, day)
    LEFT JOIN new AS n USING (source, day, oli_occupation, employer_country)
)
SELECT * FROM final;

-- The OLI back-series per label x day x domain x occupation: a (day, domain) the file has no row for is
-- a collection gap (NULL); an occupation missing on a (day, domain) that has other rows had no new
-- vacancy that day (0), as in the deposit, which omits zero counts.
CREATE VIEW mart.oli_backseries_daily AS
WITH calendar AS (
    SELECT source_label, CAST(unnest(generate_series(min(day), max(day), INTERVAL 1 DAY)) AS DATE) AS day
    FROM core.oli_backseries
    GROUP BY source_label
),
domains AS (SELECT DISTINCT source_label, domain FROM core.oli_backseries),
occupations AS (SELECT DISTINCT source_label, occupation FROM core.oli_backseries),
present AS (SELECT DISTINCT source_label, day, domain FROM core.oli_backseries),
final AS (
    SELECT c.source_label, c.day, d.domain, o.occupation,
           CASE WHEN p.day IS NOT NULL THEN coalesce(b.vacancies, 0) END AS vacancies_new,
           p.day IS NOT NULL AS observed
    FROM calendar AS c
    JOIN domains AS d USING (source_label)
    JOIN occupations AS o USING (source_label)
    LEFT JOIN present AS p USING (source_label, day, domain)
    LEFT JOIN core.oli_backseries AS b
        ON b.source_label = c.source_label AND b.day = c.day AND b.domain = d.domain
       AND b.occupation = o.occupation AND b.status = 'new'
)
SELECT * FROM final;

-- Our series and the OLI back-series side by side, one row per series x day x OLI occupation (plus
-- 'Total', the sum of the occupations): daily count (NULL on a gap; a day is a gap for a sum when any
-- of its parts is), 28-day moving average, and index.
--   series         'observatory:<source>' or 'oli:<source_label>'
--   ma28           mean of the daily counts over the 28 days ending that day, given only when at least
--                  oli_ma_min_days of them have data (default 28: no gap allowed in the window)
--   index_value    ma28 / base_mean_total x 100, where base_mean_total is the mean daily TOTAL over the
--                  base period (oli_base_start..oli_base_end; default the series' first 28 days), so
--                  occupations add up to Total as in the OLI (100 = the base period's total demand)
CREATE VIEW mart.oli_index AS
WITH ours AS (
    SELECT 'observatory:' || source AS series, day, oli_occupation, sum(listings_new) AS n
    FROM mart.oli_daily
    GROUP BY ALL
),
theirs AS (
    SELECT 'oli:' || source_label AS series, day, occupation AS oli_occupation,
           CASE WHEN bool_and(observed) THEN sum(vacancies_new) END AS n
    FROM mart.oli_backseries_daily
    GROUP BY ALL
),
daily_occ AS (
    SELECT * FROM ours UNION ALL SELECT * FROM theirs
),
daily AS (
    SELECT series, day, oli_occupation, n FROM daily_occ
    UNION ALL
    SELECT series, day, 'Total', CASE WHEN count(n) = count(*) THEN sum(n) END
    FROM daily_occ
    GROUP BY series, day
),
p AS (
    SELECT
        max(num_value) FILTER (WHERE name = 'oli_ma_min_days') AS min_days,
        max(date_value) FILTER (WHERE name = 'oli_base_start') AS base_start,
        max(date_value) FILTER (WHERE name = 'oli_base_end') AS base_end
    FROM mart.param
),
base_period AS (
    SELECT s.series,
           coalesce(p.base_start, s.first_day) AS base_start,
           coalesce(p.base_end, coalesce(p.base_start, s.first_day) + 27) AS base_end
    FROM (SELECT series, min(day) FILTER (WHERE n IS NOT NULL) AS first_day FROM daily
          WHERE oli_occupation = 'Total' GROUP BY series) AS s
    CROSS JOIN p
),
base AS (
    SELECT b.series, b.base_start, b.base_end,
           avg(d.n) AS base_mean_total,
           count(d.n) AS base_days_observed
    FROM base_period AS b
    LEFT JOIN daily AS d
      ON d.series = b.series AND d.oli_occupation = 'Total' AND d.day BETWEEN b.base_start AND b.base_end
    GROUP BY ALL
),
ma AS (
    SELECT *,
           avg(n) OVER w AS window_mean,
           count(n) OVER w AS window_days_observed
    FROM daily
    WINDOW w AS (PARTITION BY series, oli_occupation ORDER BY day
                 RANGE BETWEEN INTERVAL 27 DAYS PRECEDING AND CURRENT ROW)
),
final AS (
    SELECT
        m.series, m.day, m.oli_occupation,
        CAST(m.n AS BIGINT) AS listings_new,
        m.window_days_observed,
        CASE WHEN m.window_days_observed >= p.min_days THEN m.window_mean END AS ma28,
        b.base_start, b.base_end, b.base_mean_total, b.base_days_observed,
        CASE WHEN m.window_days_observed >= p.min_days AND b.base_mean_total > 0
             THEN m.window_mean / b.base_mean_total * 100 END AS index_value,
        CAST(p.min_days AS INTEGER) AS ma_min_days
    FROM ma AS m
    JOIN base AS b USING (series)
    CROSS JOIN p
)
SELECT * FROM final;

-- The third party's monthly table, labelled as what it is.
CREATE VIEW mart.oli_levels_monthly AS
SELECT m.source_label, m.month, m.occupation, m.level,
       'monthly mean of the OLI daily index (May 2016 = 100), computed by a third party; not the official '
       || '28-day series' AS definition,
       i.file_name, i.file_sha256, i.doi, i.licence, i.citation
FROM core.oli_levels_monthly AS m
JOIN core.oli_import AS i ON i.source_label = m.source_label AND i.kind = 'monthly_levels_third_party';
