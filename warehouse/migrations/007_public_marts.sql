-- Public, documented views over the marts added in 004 (regions x task types, pay per hour, the
-- OLI-comparable series, classification) and the flag on freelance listings that look like microwork.
-- Same conventions as 005: explicit columns and types, a COMMENT on every view and column, derived
-- figures naming their definition in methodology.md.

-- Freelance listings that look like microwork: flagged, never filtered (methodology.md). Freelancer's
-- own smallest budget tiers: fixed "Micro Project" USD 10-30, hourly "Basic" USD 2-8 (budgets API).
CREATE VIEW mart.listing_microwork_like AS
WITH final AS (
    SELECT
        source,
        listing_id,
        CASE
            WHEN lower(category) = 'data entry & admin' THEN TRUE
            WHEN reward_currency = 'USD' AND pay_basis = 'fixed_project'
                 AND reward_amount >= 10 AND coalesce(reward_amount_max, reward_amount) <= 30 THEN TRUE
            WHEN reward_currency = 'USD' AND pay_basis = 'hourly'
                 AND reward_amount >= 2 AND coalesce(reward_amount_max, reward_amount) <= 8 THEN TRUE
            ELSE FALSE
        END AS microwork_like,
        CASE
            WHEN lower(category) = 'data entry & admin' THEN 'category Data Entry & Admin'
            WHEN reward_currency = 'USD' AND pay_basis = 'fixed_project'
                 AND reward_amount >= 10 AND coalesce(reward_amount_max, reward_amount) <= 30
                THEN 'budget within the Micro Project tier (USD 10-30)'
            WHEN reward_currency = 'USD' AND pay_basis = 'hourly'
                 AND reward_amount >= 2 AND coalesce(reward_amount_max, reward_amount) <= 8
                THEN 'hourly rate within the Basic tier (USD 2-8)'
        END AS microwork_reason
    FROM core.listing
    WHERE source = 'freelancer'
)
SELECT * FROM final;

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.listing_classes AS
SELECT
    c.source,
    c.listing_id,
    c.task_type,
    c.rule_id,
    c.oli_occupation,
    c.oli_microwork,
    c.astroturf,
    c.astroturf_rule_id,
    m.microwork_like,
    m.microwork_reason,
    c.taxonomy_version
FROM core.listing_class AS c
LEFT JOIN mart.listing_microwork_like AS m USING (source, listing_id);

COMMENT ON VIEW public.listing_classes IS 'Derived: the task type of every listing by the documented rules of docs/taxonomy.md, its Online Labour Index occupation, the possible-astroturfing flag, and (Freelancer) whether it looks like microwork. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.listing_classes.source IS 'Platform key.';
COMMENT ON COLUMN public.listing_classes.listing_id IS 'The platform''s listing id (joins public.listings).';
COMMENT ON COLUMN public.listing_classes.task_type IS 'Derived: data_labelling, survey, transcription, content_moderation, signup_click, review_writing, onsite_audit, data_entry or other: the first matching rule of docs/taxonomy.md over title, description and category. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.listing_classes.rule_id IS 'The taxonomy rule that matched (NULL when none did and the type is other).';
COMMENT ON COLUMN public.listing_classes.oli_occupation IS 'Derived: the Online Labour Index occupation the task type maps to (crosswalk in docs/taxonomy.md). Definition: methodology.md#oli-comparable-series';
COMMENT ON COLUMN public.listing_classes.oli_microwork IS 'Whether the task type falls in the OLI 2024 deposit''s Microwork category (a judgement, see docs/taxonomy.md).';
COMMENT ON COLUMN public.listing_classes.astroturf IS 'Derived: true when the listing pays for reviews, ratings, likes, follows, votes or referral sign-ups (possible astroturfing), by the flag rules of docs/taxonomy.md. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.listing_classes.astroturf_rule_id IS 'The flag rule that matched (NULL when not flagged).';
COMMENT ON COLUMN public.listing_classes.microwork_like IS 'Derived: Freelancer only (NULL elsewhere): category Data Entry & Admin, or a budget within Freelancer''s smallest USD tiers. Definition: methodology.md#freelance-listings-that-look-like-microwork';
COMMENT ON COLUMN public.listing_classes.microwork_reason IS 'Why microwork_like is true (NULL when false or not Freelancer).';
COMMENT ON COLUMN public.listing_classes.taxonomy_version IS 'Hash of the taxonomy files the classification used; it changes when the rules change.';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.daily_region_task AS
SELECT
    day,
    source,
    region_kind,
    region,
    task_type,
    reward_currency,
    CAST(listings_new AS BIGINT) AS listings_new,
    CAST(listings_open AS BIGINT) AS listings_open,
    CAST(slots_available AS BIGINT) AS slots_available,
    CAST(slots_arrived AS BIGINT) AS slots_arrived,
    CAST(slots_completed AS BIGINT) AS slots_completed,
    CAST(slots_expired AS BIGINT) AS slots_expired,
    CAST(vanished_listings AS BIGINT) AS vanished_listings,
    CAST(reward_completed AS DECIMAL(18, 6)) AS reward_completed,
    CAST(reward_completed_usd AS DECIMAL(18, 6)) AS reward_completed_usd,
    CAST(reward_completed_eur AS DECIMAL(18, 6)) AS reward_completed_eur,
    CAST(reward_available AS DECIMAL(18, 6)) AS reward_available,
    CAST(reward_available_usd AS DECIMAL(18, 6)) AS reward_available_usd,
    CAST(reward_available_eur AS DECIMAL(18, 6)) AS reward_available_eur,
    CAST(crawls_used AS BIGINT) AS crawls_used
FROM mart.daily_region_task;

COMMENT ON VIEW public.daily_region_task IS 'Derived: volume and reward flows per UTC day x source x region (in each of its three meanings) x task type x reward currency. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.day IS 'UTC day.';
COMMENT ON COLUMN public.daily_region_task.source IS 'Platform key.';
COMMENT ON COLUMN public.daily_region_task.region_kind IS '`worker_eligibility` (where the work may be done), `employer_country` (where the requester is) or `onsite_location` (where an on-site mission is). Never add rows of different kinds. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.region IS 'ISO 3166-1 alpha-2 code; `ALL` (eligibility: open to workers anywhere); `UNKNOWN` (not published). A listing open to several countries counts in each of them. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.daily_region_task.task_type IS 'Derived: task type by the rules of docs/taxonomy.md. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_currency IS 'ISO 4217 currency the rewards were published in.';
COMMENT ON COLUMN public.daily_region_task.listings_new IS 'Listings first seen that day. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_region_task.listings_open IS 'Listings open at the source''s last crawl used for flows that day (0 when none in this region). Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.slots_available IS 'Tasks available at that crawl. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.slots_arrived IS 'Derived (estimate): tasks that arrived, from rises between consecutive crawls. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.daily_region_task.slots_completed IS 'Derived (estimate): tasks completed, from falls and listings vanished before expiry. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.daily_region_task.slots_expired IS 'Derived (estimate): tasks of listings that vanished at or after their expiry. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.daily_region_task.vanished_listings IS 'Derived: listings whose flows came from vanishing, the least certain kind. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.daily_region_task.reward_completed IS 'Derived (estimate): completed tasks x reward per task, in reward_currency (per-task listings). Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_completed_usd IS 'Derived (estimate): reward_completed in USD at the ECB rate of the day (NULL when no rate). Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_completed_eur IS 'Derived (estimate): reward_completed in EUR at the ECB rate of the day (NULL when no rate). Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_available IS 'Derived: tasks available x reward per task at the day''s last crawl used, in reward_currency. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_available_usd IS 'Derived: reward_available in USD at the ECB rate of the day. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.reward_available_eur IS 'Derived: reward_available in EUR at the ECB rate of the day. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_region_task.crawls_used IS 'Crawls of the source used for flows that day.';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.daily_wages AS
SELECT
    day,
    source,
    region_kind,
    region,
    task_type,
    weight_basis,
    CAST(tasks_weight AS BIGINT) AS tasks_weight,
    CAST(tasks_weight_timed AS BIGINT) AS tasks_weight_timed,
    CAST(tasks_weight_modelled AS BIGINT) AS tasks_weight_modelled,
    CAST(hourly_paid_usd_p10 AS DECIMAL(18, 6)) AS hourly_paid_usd_p10,
    CAST(hourly_paid_usd_p25 AS DECIMAL(18, 6)) AS hourly_paid_usd_p25,
    CAST(hourly_paid_usd_p50 AS DECIMAL(18, 6)) AS hourly_paid_usd_p50,
    CAST(hourly_paid_usd_p75 AS DECIMAL(18, 6)) AS hourly_paid_usd_p75,
    CAST(hourly_paid_usd_p90 AS DECIMAL(18, 6)) AS hourly_paid_usd_p90,
    CAST(hourly_incl_unpaid_usd_p50 AS DECIMAL(18, 6)) AS hourly_incl_unpaid_usd_p50,
    CAST(minimum_wage_usd AS DECIMAL(18, 6)) AS minimum_wage_usd,
    CAST(minimum_wage_local AS DECIMAL(18, 4)) AS minimum_wage_local,
    minimum_wage_currency,
    minimum_wage_basis,
    minimum_wage_legal_source,
    minimum_wage_as_of,
    share_below_minimum_paid,
    share_below_minimum_incl_unpaid,
    share_of_allotted_worked,
    unpaid_overhead_factor
FROM mart.daily_wages;

COMMENT ON VIEW public.daily_wages IS 'Derived: hourly pay of per-task work per UTC day x source x region x task type: task-weighted percentiles and the share of tasks paying below the minimum wage. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.day IS 'UTC day.';
COMMENT ON COLUMN public.daily_wages.source IS 'Platform key.';
COMMENT ON COLUMN public.daily_wages.region_kind IS '`worker_eligibility`, `employer_country` or `onsite_location`. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_wages.region IS 'ISO 3166-1 alpha-2 code, `ALL` or `UNKNOWN`. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.daily_wages.task_type IS 'Derived: task type by the rules of docs/taxonomy.md. Definition: methodology.md#regions-task-types-and-reward-flows';
COMMENT ON COLUMN public.daily_wages.weight_basis IS '`tasks_completed` (weights = tasks inferred completed that day) or `tasks_available` (weights = tasks available at the day''s last crawl used).';
COMMENT ON COLUMN public.daily_wages.tasks_weight IS 'Total weight (tasks) behind the percentiles.';
COMMENT ON COLUMN public.daily_wages.tasks_weight_timed IS 'Part of the weight whose time per task was stated by the requester.';
COMMENT ON COLUMN public.daily_wages.tasks_weight_modelled IS 'Part of the weight whose time per task was modelled from the time allotted (an assumption, see share_of_allotted_worked).';
COMMENT ON COLUMN public.daily_wages.hourly_paid_usd_p10 IS 'Derived: 10th percentile of hourly pay for paid time only, USD, weighted by tasks. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.hourly_paid_usd_p25 IS 'Derived: 25th percentile of hourly pay, paid time only, USD, weighted by tasks. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.hourly_paid_usd_p50 IS 'Derived: median hourly pay, paid time only, USD, weighted by tasks. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.hourly_paid_usd_p75 IS 'Derived: 75th percentile of hourly pay, paid time only, USD, weighted by tasks. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.hourly_paid_usd_p90 IS 'Derived: 90th percentile of hourly pay, paid time only, USD, weighted by tasks. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.hourly_incl_unpaid_usd_p50 IS 'Derived: median hourly pay counting unpaid time (divided by the ILO 2018 overhead factor), USD. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.minimum_wage_usd IS 'Derived: the hourly statutory minimum compared with, converted to USD at the day''s ECB rate (NULL when none is on record). Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.minimum_wage_local IS 'That minimum in its own currency, as in ref.minimum_wage.';
COMMENT ON COLUMN public.daily_wages.minimum_wage_currency IS 'ISO 4217 currency of minimum_wage_local.';
COMMENT ON COLUMN public.daily_wages.minimum_wage_basis IS 'Which minimum was used: e.g. worker_country_national, us_federal_for_worldwide, no_statutory_minimum, not_on_record. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.minimum_wage_legal_source IS 'The legal source of that minimum (see docs/reference-data.md).';
COMMENT ON COLUMN public.daily_wages.minimum_wage_as_of IS 'When the minimum wage figure was last checked.';
COMMENT ON COLUMN public.daily_wages.share_below_minimum_paid IS 'Derived: share of the weight paying below minimum_wage_usd per paid hour (NULL, not 0, when no minimum is on record). Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.share_below_minimum_incl_unpaid IS 'Derived: the same counting unpaid time. Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.share_of_allotted_worked IS 'The assumption used for modelled time per task (time allotted x this share). Definition: methodology.md#pay-per-hour-and-the-minimum-wage';
COMMENT ON COLUMN public.daily_wages.unpaid_overhead_factor IS 'The unpaid-time overhead factor used (ILO 2018: 4.43 / 3.31). Definition: methodology.md#pay-per-hour-and-the-minimum-wage';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.oli_index AS
SELECT
    series,
    day,
    oli_occupation,
    CAST(listings_new AS BIGINT) AS listings_new,
    CAST(window_days_observed AS BIGINT) AS window_days_observed,
    ma28,
    base_start,
    base_end,
    base_mean_total,
    CAST(base_days_observed AS BIGINT) AS base_days_observed,
    index_value,
    ma_min_days
FROM mart.oli_index;

COMMENT ON VIEW public.oli_index IS 'Derived: new listings per day by Online Labour Index occupation, 28-day moving average and index, for our sources (series observatory:<source>) beside imported OLI series (oli:<label>). Definition: methodology.md#oli-comparable-series';
COMMENT ON COLUMN public.oli_index.series IS '`observatory:<source>` for ours; `oli:<label>` for an imported Online Labour Index file (Kässi, Hadley & Lehdonvirta, figshare, DOI 10.6084/m9.figshare.3761562, CC BY 4.0).';
COMMENT ON COLUMN public.oli_index.day IS 'UTC day.';
COMMENT ON COLUMN public.oli_index.oli_occupation IS 'OLI occupation, or `Total`.';
COMMENT ON COLUMN public.oli_index.listings_new IS 'New listings that day (NULL on a day with no observation: a gap, not a zero).';
COMMENT ON COLUMN public.oli_index.window_days_observed IS 'Days observed in the 28-day window ending that day.';
COMMENT ON COLUMN public.oli_index.ma28 IS 'Derived: 28-day moving average of listings_new (NULL unless at least ma_min_days of the window were observed). Definition: methodology.md#oli-comparable-series';
COMMENT ON COLUMN public.oli_index.base_start IS 'First day of the base period.';
COMMENT ON COLUMN public.oli_index.base_end IS 'Last day of the base period.';
COMMENT ON COLUMN public.oli_index.base_mean_total IS 'Mean daily new listings of the series'' Total over the base period.';
COMMENT ON COLUMN public.oli_index.base_days_observed IS 'Days observed in the base period.';
COMMENT ON COLUMN public.oli_index.index_value IS 'Derived: 100 x ma28 / base_mean_total (occupations scaled by the Total''s base, as the OLI does). Definition: methodology.md#oli-comparable-series';
COMMENT ON COLUMN public.oli_index.ma_min_days IS 'Observed days a window needs for a moving average (28 by default).';
