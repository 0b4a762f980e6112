-- The researchers' interface: a `public` schema of stable, documented views.
--
-- Why a separate schema: core and mart are free to change shape as the pipeline grows (new sources,
-- reference data, richer marts); the views here are the contract researchers query, export and cite.
-- Each one selects explicit columns with explicit types (sums are cast from HUGEINT to BIGINT and
-- money to DECIMAL(18, 6), so the Parquet export and a client library read the same types), and
-- nothing that identifies a person: requester names appear only as keyed pseudonyms, raw quarantined
-- records only as counts.
--
-- Every view and every column carries a COMMENT: docs/data-dictionary.md is generated from them
-- (`observatory dictionary`), and a test fails when a public column has none or the file is stale.
-- A comment that gives a derived figure names its definition as `methodology.md#<section>`; the
-- dictionary turns that into a link and a test checks that the section exists.
CREATE SCHEMA IF NOT EXISTS public;

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.crawl_runs AS
SELECT
    run_id,
    source,
    base_url,
    clock,
    started_at,
    finished_at,
    pages,
    items,
    quarantined,
    errors,
    retries,
    finish_reason,
    status,
    results_reported,
    results_seen,
    coverage,
    hits_available_reported,
    used_for_flows,
    excluded_reason,
    loaded_at
FROM core.crawl_run;

COMMENT ON VIEW public.crawl_runs IS 'One row per loaded crawl run: when it ran, how it went, how much of the site it saw, and whether its changes were used to infer flows. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.crawl_runs.run_id IS 'Crawl run id, `<source>-<UTC start>-<random>` (Airflow runs: `<source>-<data interval end>-af`). Key of this view; other views refer to it.';
COMMENT ON COLUMN public.crawl_runs.source IS 'Platform key (`mturk`, `freelancer`, ...).';
COMMENT ON COLUMN public.crawl_runs.base_url IS 'Where the source was crawled: a live site, an archive, or the local marketplace simulator.';
COMMENT ON COLUMN public.crawl_runs.clock IS 'Which clock gave the observation times: `server` (the site''s Date header: simulated time, or an archived capture''s time) or `local` (the crawler''s UTC clock).';
COMMENT ON COLUMN public.crawl_runs.started_at IS 'First observation time of the run (UTC, on the run''s clock). A run belongs to the UTC day of this time.';
COMMENT ON COLUMN public.crawl_runs.finished_at IS 'Last observation time of the run (UTC, on the run''s clock).';
COMMENT ON COLUMN public.crawl_runs.pages IS 'Pages fetched by the crawl.';
COMMENT ON COLUMN public.crawl_runs.items IS 'Listings loaded from the run: valid items, deduplicated to one per listing.';
COMMENT ON COLUMN public.crawl_runs.quarantined IS 'Records of the run refused at crawl or at load (counted by reason in public.quarantine_summary).';
COMMENT ON COLUMN public.crawl_runs.errors IS 'Errors the crawler logged.';
COMMENT ON COLUMN public.crawl_runs.retries IS 'Requests the crawler retried.';
COMMENT ON COLUMN public.crawl_runs.finish_reason IS 'Why the crawler stopped, as Scrapy reports it (`finished` is a normal finish).';
COMMENT ON COLUMN public.crawl_runs.status IS '`ok`, or `failed` (zero items, abnormal finish).';
COMMENT ON COLUMN public.crawl_runs.results_reported IS 'How many listings the site said it had, where it says so (NULL otherwise).';
COMMENT ON COLUMN public.crawl_runs.results_seen IS 'Distinct listings the crawl saw.';
COMMENT ON COLUMN public.crawl_runs.coverage IS 'Derived: results_seen / results_reported, the share of the site''s listings the crawl saw (NULL when the site reports no total). Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.crawl_runs.hits_available_reported IS 'The marketplace-wide "N HITs available" figure, where a page shows it (NULL otherwise).';
COMMENT ON COLUMN public.crawl_runs.used_for_flows IS 'Derived: true when the run was compared with the previous one to infer flows: it succeeded (at least one item, normal finish), coverage at least the threshold (OBSERVATORY_MIN_COVERAGE, 0.95 by default), and it is later than the last run already used. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.crawl_runs.excluded_reason IS 'Why the run was left out of flows (NULL when used_for_flows). Such a run still updates what is known about listings. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.crawl_runs.loaded_at IS 'When the run was loaded into the warehouse (UTC, loader''s clock).';

-- ---------------------------------------------------------------------------------------------------
-- Requester names are pseudonyms made at crawl time (`person_<12 hex>`); the view passes on only
-- values of that shape, so a source that ever landed a clear name could not leak it here.
CREATE VIEW public.listings AS
SELECT
    l.source,
    l.listing_id,
    l.listing_id_derived,
    l.title,
    l.description,
    l.requester_id,
    CASE WHEN regexp_full_match(r.requester_name, 'person_[0-9a-f]{12}') THEN r.requester_name END
        AS requester_pseudonym,
    l.category,
    l.pay_basis,
    l.reward_amount,
    l.reward_amount_max,
    l.reward_currency,
    l.time_allotted_s,
    l.time_estimate_s,
    l.slots_total,
    l.posted_at,
    l.expires_at,
    l.worker_countries,
    l.worker_countries_excluded,
    l.employer_country,
    l.location.lat AS location_lat,
    l.location.lon AS location_lon,
    l.location.locality AS location_locality,
    l.location.region_code AS location_region_code,
    l.location.country AS location_country,
    l.url,
    l.raw_ref,
    l.first_seen_at,
    l.last_seen_at,
    l.first_run_id,
    l.last_run_id
FROM core.listing AS l
LEFT JOIN core.requester AS r ON r.source = l.source AND r.requester_id = l.requester_id;

COMMENT ON VIEW public.listings IS 'One row per listing (source + listing_id) ever seen, with its latest published attributes and when it was first and last seen. Titles and descriptions are the platform''s untrusted text, stored as published. Requesters appear as their public platform id and a keyed pseudonym, never by name. Definition: methodology.md#people';
COMMENT ON COLUMN public.listings.source IS 'Platform key (`mturk`, `freelancer`, ...). Key, with listing_id.';
COMMENT ON COLUMN public.listings.listing_id IS 'The platform''s id for the listing (MTurk: the HIT group id), or a stable hash of its invariant content where the page hides the id (see listing_id_derived). Key, with source.';
COMMENT ON COLUMN public.listings.listing_id_derived IS 'True when listing_id is a hash of the listing''s content because the page showed no id.';
COMMENT ON COLUMN public.listings.title IS 'Title as published (untrusted text).';
COMMENT ON COLUMN public.listings.description IS 'Description as published (untrusted text), where the listing page shows one.';
COMMENT ON COLUMN public.listings.requester_id IS 'The platform''s public id of the requester or employer.';
COMMENT ON COLUMN public.listings.requester_pseudonym IS 'Derived: keyed pseudonym of the requester''s name (`person_<hash>`), stable across runs so requesters can be counted, not reversible without the installation''s key. NULL when no name was published, or when the stored value is not of that form (a clear name is never shown). Definition: methodology.md#people';
COMMENT ON COLUMN public.listings.category IS 'The platform''s own category, where it has one.';
COMMENT ON COLUMN public.listings.pay_basis IS 'What reward_amount pays for: `per_task`, `hourly` or `fixed_project`.';
COMMENT ON COLUMN public.listings.reward_amount IS 'Pay per task, per hour or per project (the lower end of a range), in reward_currency, exact decimal. Latest published value.';
COMMENT ON COLUMN public.listings.reward_amount_max IS 'Upper end of a pay range, in reward_currency (NULL when the pay is a single amount).';
COMMENT ON COLUMN public.listings.reward_currency IS 'ISO 4217 currency of reward_amount and reward_amount_max; amounts are never converted in this view.';
COMMENT ON COLUMN public.listings.time_allotted_s IS 'Maximum time a worker is given for one task, in seconds (NULL when not published).';
COMMENT ON COLUMN public.listings.time_estimate_s IS 'Time the requester says a task takes, in seconds (NULL when not published).';
COMMENT ON COLUMN public.listings.slots_total IS 'Tasks or positions in the batch, where published (NULL otherwise). Tasks still available over time are in public.listing_changes.';
COMMENT ON COLUMN public.listings.posted_at IS 'When the platform says the listing was posted (UTC; NULL when not published).';
COMMENT ON COLUMN public.listings.expires_at IS 'When the listing expires (UTC; NULL when not published). Decides whether a vanished listing counts as completed or expired.';
COMMENT ON COLUMN public.listings.worker_countries IS 'ISO 3166-1 alpha-2 countries a worker must be in to take the task; empty = open to workers anywhere. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.listings.worker_countries_excluded IS 'ISO 3166-1 alpha-2 countries whose workers are shut out (MTurk "Location is not IN"); such listings still count as open to `ALL`. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.listings.employer_country IS 'ISO 3166-1 alpha-2 country of the employer, where the platform publishes it.';
COMMENT ON COLUMN public.listings.location_lat IS 'Latitude of an on-site mission (NULL for online tasks).';
COMMENT ON COLUMN public.listings.location_lon IS 'Longitude of an on-site mission (NULL for online tasks).';
COMMENT ON COLUMN public.listings.location_locality IS 'Locality (town) of an on-site mission (NULL for online tasks).';
COMMENT ON COLUMN public.listings.location_region_code IS 'ISO 3166-2 or NUTS code of an on-site mission''s region (NULL for online tasks).';
COMMENT ON COLUMN public.listings.location_country IS 'ISO 3166-1 alpha-2 country of an on-site mission (NULL for online tasks).';
COMMENT ON COLUMN public.listings.url IS 'Where the listing was last seen.';
COMMENT ON COLUMN public.listings.raw_ref IS 'Pointer to the archived raw response the latest attributes come from (`<WARC path>#<record offset>` in the observatory''s archive), for tracing a figure back to its page.';
COMMENT ON COLUMN public.listings.first_seen_at IS 'Observation time of the first crawl (used for flows or not) that saw the listing (UTC). A listing that reappears after vanishing keeps its first first_seen_at.';
COMMENT ON COLUMN public.listings.last_seen_at IS 'Observation time of the latest crawl that saw the listing (UTC).';
COMMENT ON COLUMN public.listings.first_run_id IS 'Run that first saw the listing (public.crawl_runs.run_id).';
COMMENT ON COLUMN public.listings.last_run_id IS 'Run that last saw the listing (public.crawl_runs.run_id).';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.listing_changes AS
SELECT
    s.source,
    s.listing_id,
    s.run_id,
    s.observed_at,
    s.status,
    s.slots_available,
    s.reward_amount,
    l.reward_currency,
    s.slots_arrived,
    s.slots_completed,
    s.slots_expired,
    s.flow_basis
FROM core.listing_state AS s
JOIN core.listing AS l USING (source, listing_id);

COMMENT ON VIEW public.listing_changes IS 'Only the changes of what moves: one row per listing and crawl used for flows in which its tasks available, its reward or its presence changed, with the flows inferred from that change. Arrivals, completions and expiries are estimates. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.listing_changes.source IS 'Platform key. With listing_id, refers to public.listings.';
COMMENT ON COLUMN public.listing_changes.listing_id IS 'The listing that changed (public.listings.listing_id).';
COMMENT ON COLUMN public.listing_changes.run_id IS 'The crawl used for flows that saw the change (public.crawl_runs.run_id).';
COMMENT ON COLUMN public.listing_changes.observed_at IS 'Observation time of that crawl (UTC); flows are dated by it.';
COMMENT ON COLUMN public.listing_changes.status IS '`open` (seen in this crawl) or `gone` (seen in the previous crawl used for flows, not in this one).';
COMMENT ON COLUMN public.listing_changes.slots_available IS 'Tasks available after the change, as published (0 once gone; MTurk: HITs available).';
COMMENT ON COLUMN public.listing_changes.reward_amount IS 'Pay per task (or per hour or project, see public.listings.pay_basis) at that crawl, in reward_currency.';
COMMENT ON COLUMN public.listing_changes.reward_currency IS 'ISO 4217 currency of reward_amount (the listing''s latest currency).';
COMMENT ON COLUMN public.listing_changes.slots_arrived IS 'Derived: tasks counted as arrived by this change: all tasks of a listing seen for the first time (or again after vanishing), or the rise in tasks available. Estimate. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.listing_changes.slots_completed IS 'Derived: tasks counted as completed by this change: the fall in tasks available, or the remaining tasks of a listing that vanished before its expiry. Estimate: returned tasks and cancelled batches look like completions. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.listing_changes.slots_expired IS 'Derived: remaining tasks of a listing that vanished at or after its expiry time. Estimate. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.listing_changes.flow_basis IS 'Derived: how the flows were inferred: `baseline` (the source''s first crawl used for flows: a stock, nothing counted), `first_seen`, `rise`, `fall`, `reward_change` (nothing counted), `vanished_before_expiry` (counted as completed), `vanished_after_expiry` (counted as expired). Definition: methodology.md#what-is-observed-and-what-is-inferred';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.daily_volume AS
SELECT
    day,
    source,
    worker_country,
    CAST(listings_new AS BIGINT) AS listings_new,
    CAST(listings_open AS BIGINT) AS listings_open,
    CAST(slots_available AS BIGINT) AS slots_available,
    CAST(slots_available_mean AS DOUBLE) AS slots_available_mean,
    CAST(slots_arrived AS BIGINT) AS slots_arrived,
    CAST(slots_completed AS BIGINT) AS slots_completed,
    CAST(slots_expired AS BIGINT) AS slots_expired,
    CAST(reward_completed_usd AS DECIMAL(18, 6)) AS reward_completed_usd,
    CAST(vanished_listings AS BIGINT) AS vanished_listings,
    CAST(crawls_used AS BIGINT) AS crawls_used
FROM mart.daily_volume;

COMMENT ON VIEW public.daily_volume IS 'Daily volume per UTC day x source x worker country (where the work may be done). A listing open to several countries counts in each of their rows: never sum rows across worker_country, use public.daily_volume_total. Flows are estimates from crawls used for flows. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.day IS 'UTC day. Definition: methodology.md#time-and-money';
COMMENT ON COLUMN public.daily_volume.source IS 'Platform key.';
COMMENT ON COLUMN public.daily_volume.worker_country IS 'Derived: `ALL` (open to workers anywhere, including listings that only exclude some countries) or an ISO 3166-1 alpha-2 country workers must be in. Where the work may be done, not where workers live. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.daily_volume.listings_new IS 'Derived: listings first seen that day (by any crawl; a listing is new once, on the day of its first sighting). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.listings_open IS 'Derived: listings open at the day''s last crawl used for flows that saw any listing open to this worker_country (0 when there was none that day). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.slots_available IS 'Derived: tasks available (MTurk: HITs available) at that same crawl (0 when there was none that day). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.slots_available_mean IS 'Derived: mean of tasks available over the day''s crawls used for flows (NULL when none). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.slots_arrived IS 'Derived: sum of the tasks counted as arrived (first seen, or rises), dated by the crawl that saw the change. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.slots_completed IS 'Derived: sum of the tasks counted as completed (falls, and listings vanished before expiry), dated by the crawl that saw the change. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.slots_expired IS 'Derived: sum of the tasks of listings that vanished at or after their expiry, dated by the crawl that saw it. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.reward_completed_usd IS 'Derived: completed tasks x reward per task at that time, USD listings only (other currencies are left out until currency reference data is loaded). Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.vanished_listings IS 'Derived: changes that day whose flows came from a listing vanishing (the least certain kind). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume.crawls_used IS 'Derived: crawls used for flows that day that saw listings open to this worker_country. Definition: methodology.md#definitions-of-the-marts';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.daily_volume_total AS
SELECT
    day,
    source,
    CAST(slots_arrived AS BIGINT) AS slots_arrived,
    CAST(slots_completed AS BIGINT) AS slots_completed,
    CAST(slots_expired AS BIGINT) AS slots_expired,
    CAST(reward_completed_usd AS DECIMAL(18, 6)) AS reward_completed_usd,
    CAST(crawls_used AS BIGINT) AS crawls_used,
    CAST(crawls AS BIGINT) AS crawls,
    CAST(min_coverage AS DOUBLE) AS min_coverage
FROM mart.daily_volume_total;

COMMENT ON VIEW public.daily_volume_total IS 'Source totals per UTC day: the flows of public.daily_volume with each listing counted once whatever its worker eligibility, plus how many crawls ran that day and the lowest coverage among them. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.day IS 'UTC day. Definition: methodology.md#time-and-money';
COMMENT ON COLUMN public.daily_volume_total.source IS 'Platform key.';
COMMENT ON COLUMN public.daily_volume_total.slots_arrived IS 'Derived: tasks counted as arrived that day, each listing once. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.slots_completed IS 'Derived: tasks counted as completed that day, each listing once. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.slots_expired IS 'Derived: tasks counted as expired that day, each listing once. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.reward_completed_usd IS 'Derived: completed tasks x reward per task at that time, USD listings only, each listing once. Estimate. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.crawls_used IS 'Derived: crawls started that day that were used for flows. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.daily_volume_total.crawls IS 'Crawls started that day, used for flows or not (failed and low-coverage crawls included).';
COMMENT ON COLUMN public.daily_volume_total.min_coverage IS 'Derived: lowest coverage among all crawls started that day, used for flows or not (NULL when none reported a total). Definition: methodology.md#definitions-of-the-marts';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.crawl_volume AS
SELECT
    observed_at,
    source,
    worker_country,
    CAST(listings_open AS BIGINT) AS listings_open,
    CAST(slots_available AS BIGINT) AS slots_available,
    CAST(reward_available_usd AS DECIMAL(18, 4)) AS reward_available_usd,
    CAST(coverage AS DOUBLE) AS coverage,
    run_id
FROM mart.crawl_volume;

COMMENT ON VIEW public.crawl_volume IS 'The stock seen by each crawl used for flows, per source x worker country: the "tasks available over time" series. A listing open to several countries counts in each of their rows. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.crawl_volume.observed_at IS 'Observation time of the crawl (its started_at, UTC).';
COMMENT ON COLUMN public.crawl_volume.source IS 'Platform key.';
COMMENT ON COLUMN public.crawl_volume.worker_country IS 'Derived: `ALL` or an ISO 3166-1 alpha-2 country workers must be in. Definition: methodology.md#regions-worker-eligibility';
COMMENT ON COLUMN public.crawl_volume.listings_open IS 'Derived: listings open after this crawl (those it saw). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.crawl_volume.slots_available IS 'Derived: tasks available over those listings (MTurk: HITs available). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.crawl_volume.reward_available_usd IS 'Derived: sum of tasks available x reward per task over USD listings only (NULL when none is in USD). Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.crawl_volume.coverage IS 'Derived: the crawl''s coverage (listings seen / listings the site reported). Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.crawl_volume.run_id IS 'The crawl (public.crawl_runs.run_id).';

-- ---------------------------------------------------------------------------------------------------
CREATE VIEW public.source_freshness AS
SELECT
    source,
    last_crawl_at,
    last_success_at,
    last_used_at,
    CAST(crawls AS BIGINT) AS crawls,
    CAST(crawls_failed AS BIGINT) AS crawls_failed,
    CAST(items AS BIGINT) AS items
FROM mart.source_freshness;

COMMENT ON VIEW public.source_freshness IS 'Per source: when it was last crawled, last crawled successfully and last used for flows, so a reader can tell how current its figures are. Definition: methodology.md#definitions-of-the-marts';
COMMENT ON COLUMN public.source_freshness.source IS 'Platform key. Key of this view.';
COMMENT ON COLUMN public.source_freshness.last_crawl_at IS 'started_at of the latest crawl loaded, whatever its outcome (UTC).';
COMMENT ON COLUMN public.source_freshness.last_success_at IS 'started_at of the latest crawl with status `ok` (UTC; NULL when none).';
COMMENT ON COLUMN public.source_freshness.last_used_at IS 'started_at of the latest crawl used for flows (UTC; NULL when none): figures that depend on flows are current to this time. Definition: methodology.md#what-is-observed-and-what-is-inferred';
COMMENT ON COLUMN public.source_freshness.crawls IS 'Crawls loaded for the source.';
COMMENT ON COLUMN public.source_freshness.crawls_failed IS 'Crawls loaded with status `failed`.';
COMMENT ON COLUMN public.source_freshness.items IS 'Listings loaded over all crawls (sum of public.crawl_runs.items; a listing seen by n crawls counts n times).';

-- ---------------------------------------------------------------------------------------------------
-- Counts only: a quarantined record is raw, unvalidated material (it may hold text the contract would
-- have pseudonymised), so it stays in raw.quarantine.
CREATE VIEW public.quarantine_summary AS
WITH reasons AS (
    SELECT
        run_id,
        source,
        stage,
        trim(unnest(string_split(reason, '; '))) AS reason
    FROM raw.quarantine
)
SELECT
    q.run_id,
    q.source,
    c.started_at AS run_started_at,
    q.stage,
    q.reason,
    CAST(count(*) AS BIGINT) AS records
FROM reasons AS q
LEFT JOIN core.crawl_run AS c ON c.run_id = q.run_id
WHERE q.reason <> ''
GROUP BY q.run_id, q.source, c.started_at, q.stage, q.reason;

COMMENT ON VIEW public.quarantine_summary IS 'Records refused at crawl or at load, counted by run, stage and reason; the records themselves are not published. A record refused for several reasons counts once under each.';
COMMENT ON COLUMN public.quarantine_summary.run_id IS 'The crawl run (public.crawl_runs.run_id).';
COMMENT ON COLUMN public.quarantine_summary.source IS 'Platform key.';
COMMENT ON COLUMN public.quarantine_summary.run_started_at IS 'started_at of the run (UTC), so counts can be placed in time.';
COMMENT ON COLUMN public.quarantine_summary.stage IS '`crawl` (the page could not be parsed, or the item broke the data contract) or `load` (a value could not be typed: not a decimal, negative, not an ISO code, ...).';
COMMENT ON COLUMN public.quarantine_summary.reason IS 'One reason, as the validator or loader wrote it.';
COMMENT ON COLUMN public.quarantine_summary.records IS 'Records of the run refused at that stage for that reason.';
