-- Layers of the warehouse (DESIGN.md): raw -> staging -> core -> mart.
-- raw holds what the landing zone delivered, registered and never edited; staging is built per load
-- (typed, deduplicated temp tables); core holds facts; mart holds the published figures.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE raw.landing_run (
    run_id          VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    manifest_path   VARCHAR NOT NULL,
    items_file      VARCHAR NOT NULL,
    items_sha256    VARCHAR NOT NULL,
    manifest        JSON NOT NULL,
    registered_at   TIMESTAMPTZ NOT NULL
);

-- Records that could not be used, with the reason and a pointer to the raw response.
CREATE TABLE raw.quarantine (
    run_id   VARCHAR NOT NULL,
    source   VARCHAR NOT NULL,
    stage    VARCHAR NOT NULL CHECK (stage IN ('crawl', 'load')),
    reason   VARCHAR NOT NULL,
    url      VARCHAR,
    raw_ref  VARCHAR,
    record   JSON
);

CREATE TABLE core.crawl_run (
    run_id                  VARCHAR PRIMARY KEY,
    source                  VARCHAR NOT NULL,
    base_url                VARCHAR,
    clock                   VARCHAR NOT NULL,          -- 'server' (site Date header) or 'local'
    started_at              TIMESTAMPTZ NOT NULL,      -- observation clock
    finished_at             TIMESTAMPTZ NOT NULL,
    pages                   INTEGER NOT NULL,
    items                   INTEGER NOT NULL,
    quarantined             INTEGER NOT NULL,
    errors                  INTEGER NOT NULL,
    retries                 INTEGER NOT NULL,
    finish_reason           VARCHAR NOT NULL,
    status                  VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
    results_reported        BIGINT,                    -- what the site says exists
    results_seen            BIGINT NOT NULL,           -- distinct listings we saw
    coverage                DOUBLE,                    -- seen / reported
    hits_available_reported BIGINT,                    -- marketplace-wide banner, where shown
    used_for_flows          BOOLEAN NOT NULL,
    excluded_reason         VARCHAR,                   -- why a run is kept out of flows
    loaded_at               TIMESTAMPTZ NOT NULL
);

-- One row per listing: stable attributes (latest published values) and when it was seen.
CREATE TABLE core.listing (
    source                    VARCHAR NOT NULL,
    listing_id                VARCHAR NOT NULL,
    listing_id_derived        BOOLEAN NOT NULL,
    title                     VARCHAR NOT NULL,
    description               VARCHAR,
    requester_id              VARCHAR,
    category                  VARCHAR,
    pay_basis                 VARCHAR NOT NULL CHECK (pay_basis IN ('per_task', 'hourly', 'fixed_project')),
    reward_amount             DECIMAL(18, 6) NOT NULL CHECK (reward_amount >= 0),
    reward_amount_max         DECIMAL(18, 6),
    reward_currency           VARCHAR NOT NULL,
    time_allotted_s           INTEGER,
    time_estimate_s           INTEGER,
    slots_total               INTEGER,
    posted_at                 TIMESTAMPTZ,
    expires_at                TIMESTAMPTZ,
    worker_countries          VARCHAR[] NOT NULL,
    worker_countries_excluded VARCHAR[] NOT NULL,
    employer_country          VARCHAR,
    location                  STRUCT(lat DOUBLE, lon DOUBLE, locality VARCHAR, region_code VARCHAR, country VARCHAR),
    url                       VARCHAR NOT NULL,
    raw_ref                   VARCHAR NOT NULL,          -- latest raw response it was seen in
    first_seen_at             TIMESTAMPTZ NOT NULL,
    last_seen_at              TIMESTAMPTZ NOT NULL,
    first_run_id              VARCHAR NOT NULL,
    last_run_id               VARCHAR NOT NULL,
    PRIMARY KEY (source, listing_id)
);

CREATE TABLE core.requester (
    source          VARCHAR NOT NULL,
    requester_id    VARCHAR NOT NULL,
    requester_name  VARCHAR,                             -- pseudonymised at crawl time
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, requester_id)
);

-- Only the changes of what moves, with the flows inferred from each change (DESIGN.md, "marts").
-- flow_basis says how a row's flows were inferred: baseline (the source's first crawl used for flows:
-- a stock, not a flow, so nothing counted), first_seen, rise, fall, reward_change,
-- vanished_before_expiry (counted as completed), vanished_after_expiry (counted as expired).
-- One row per (source, listing_id, run_id): enforced by the loader and by tests/test_warehouse_contracts.
CREATE TABLE core.listing_state (
    source           VARCHAR NOT NULL,
    listing_id       VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    observed_at      TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('open', 'gone')),
    slots_available  INTEGER,
    reward_amount    DECIMAL(18, 6) NOT NULL,
    slots_arrived    INTEGER,
    slots_completed  INTEGER,
    slots_expired    INTEGER,
    flow_basis       VARCHAR NOT NULL
);

-- The current state of every open listing per source: what the next crawl is compared with. Kept
-- small (open listings only) so a load costs what the new run costs, not what history costs.
CREATE TABLE core.listing_current (
    source           VARCHAR NOT NULL,
    listing_id       VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    observed_at      TIMESTAMPTZ NOT NULL,
    slots_available  INTEGER,
    reward_amount    DECIMAL(18, 6) NOT NULL,
    PRIMARY KEY (source, listing_id)
);

-- The stock seen by each run used for flows, by worker eligibility: the "available over time" series.
CREATE TABLE core.run_stock (
    run_id               VARCHAR NOT NULL,
    source               VARCHAR NOT NULL,
    observed_at          TIMESTAMPTZ NOT NULL,
    worker_country       VARCHAR NOT NULL,
    listings_open        INTEGER NOT NULL,
    slots_available      BIGINT,
    reward_available_usd DECIMAL(18, 4),
    PRIMARY KEY (run_id, worker_country)
);
