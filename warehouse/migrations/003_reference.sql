-- Reference data (DESIGN.md, "core: reference tables"): countries and regions, dated ECB euro reference
-- rates, statutory minimum wages. Every table carries its source and as-of date in each row, so a figure
-- computed from it can say where its rate or threshold came from. Contents are loaded (and replaced) by
-- warehouse.reference.load_reference; docs/reference-data.md describes each source and its gaps.
CREATE SCHEMA IF NOT EXISTS ref;

-- ECB euro foreign exchange reference rates: 1 EUR = units_per_eur units of currency, on ECB business
-- days only (no row for weekends, TARGET holidays, or days the ECB published no rate for a currency).
-- EUR itself has no rows: the conversion macros treat it as 1 from 1999-01-01.
CREATE TABLE ref.fx_rate (
    currency       VARCHAR NOT NULL,          -- ISO 4217
    rate_date      DATE NOT NULL,
    units_per_eur  DECIMAL(18, 6) NOT NULL CHECK (units_per_eur > 0),
    source         VARCHAR NOT NULL,          -- the file or URL the rate was read from
    as_of          DATE NOT NULL,             -- last rate date in that file: rates after it are unknown
    PRIMARY KEY (currency, rate_date)
);

-- ISO 3166-1 countries (pycountry), EU membership, and the Online Labour Index's region of each country.
CREATE TABLE ref.country (
    iso2            VARCHAR PRIMARY KEY,
    iso3            VARCHAR NOT NULL,
    numeric         VARCHAR NOT NULL,         -- ISO numeric code, zero-padded text ('040')
    name            VARCHAR NOT NULL,
    official_name   VARCHAR,
    eu_member       BOOLEAN NOT NULL,
    oli_continent   VARCHAR,                  -- NULL where the OLI map has no entry for the country
    oli_subregion   VARCHAR,
    source          VARCHAR NOT NULL,
    as_of           DATE NOT NULL
);

-- Every name of the OLI's country -> continent; subregion map, with the ISO code it was matched to
-- (NULL when unmatchable, with the reason in match_note). Joins OLI series to ref.country.
CREATE TABLE ref.oli_country (
    oli_name        VARCHAR PRIMARY KEY,
    iso2            VARCHAR,
    oli_continent   VARCHAR NOT NULL,
    oli_subregion   VARCHAR NOT NULL,
    match_method    VARCHAR NOT NULL CHECK (match_method IN ('lookup', 'prefix', 'override', 'unmatchable')),
    match_note      VARCHAR,
    used_for_country BOOLEAN NOT NULL,        -- this spelling supplied ref.country's continent/subregion
    source          VARCHAR NOT NULL,
    as_of           DATE NOT NULL
);

-- ISO 3166-2 subdivisions (pycountry).
CREATE TABLE ref.subdivision (
    code            VARCHAR PRIMARY KEY,      -- 'FR-ARA'
    country_iso2    VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    type            VARCHAR NOT NULL,
    parent_code     VARCHAR,                  -- full code of the parent subdivision, if any
    source          VARCHAR NOT NULL,
    as_of           DATE NOT NULL
);

-- Eurostat NUTS regions, filled by warehouse/reference.py from warehouse/refdata/nuts_2024.csv (NUTS 2024;
-- the note "empty until loaded" of the first version no longer holds): see docs/reference-data.md.
CREATE TABLE ref.nuts_region (
    code            VARCHAR PRIMARY KEY,      -- 'BE1', 'NL33', ...
    level           INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    name            VARCHAR NOT NULL,
    country_iso2    VARCHAR NOT NULL,         -- ISO code (NUTS uses EL for Greece)
    source          VARCHAR NOT NULL,
    as_of           DATE NOT NULL
);

-- Statutory (or nationally binding) hourly minimum wage. hourly_amount NULL = no single statutory
-- national minimum (the row says why). Converted from published_amount by the rule in note.
CREATE TABLE ref.minimum_wage (
    country_iso2      VARCHAR NOT NULL,
    subdivision_code  VARCHAR,                -- NULL = national rate
    hourly_amount     DECIMAL(18, 4),
    currency          VARCHAR NOT NULL,
    valid_from        DATE NOT NULL,
    valid_to          DATE,                   -- inclusive; NULL = no later rate known as of as_of
    legal_source      VARCHAR NOT NULL,
    source_url        VARCHAR NOT NULL,
    as_of             DATE NOT NULL,          -- date of the newest source statement the row relies on
    note              VARCHAR NOT NULL,       -- conversion rule, coverage, simplifications
    published_amount  DECIMAL(18, 4),         -- the amount as the source states it
    published_period  VARCHAR CHECK (published_period IN ('hour', 'day', 'month')),
    valid_from_basis  VARCHAR NOT NULL CHECK (valid_from_basis IN ('effective_date', 'in_force_on')),
    UNIQUE (country_iso2, subdivision_code, valid_from)
);

-- Units of `ccy` per euro on `on_date`: the ECB rate of that day, or of the nearest earlier day with a
-- rate, at most 7 days back (a currency the ECB stopped quoting gets NULL, not a stale rate; the longest
-- ECB closure, Good Friday to Easter Monday, is 4 days). EUR is 1 from 1999-01-01. NULL when unknown.
CREATE MACRO ref.units_per_eur(ccy, on_date) AS (
    CASE
        WHEN upper(ccy) = 'EUR' THEN
            CASE WHEN CAST(on_date AS DATE) >= DATE '1999-01-01' THEN CAST(1 AS DECIMAL(18, 6)) END
        ELSE (
            SELECT arg_max(f.units_per_eur, f.rate_date)
            FROM ref.fx_rate AS f
            WHERE f.currency = upper(ccy)
              AND f.rate_date <= CAST(on_date AS DATE)
              AND f.rate_date > CAST(on_date AS DATE) - INTERVAL 7 DAY
        )
    END
);

-- amount in from_ccy -> to_ccy at the ECB reference rates of on_date (see ref.units_per_eur), via EUR,
-- rounded to 6 decimals. NULL for an unknown currency or a date with no rate. For large tables prefer an
-- ASOF JOIN on ref.fx_rate (docs/reference-data.md): this macro runs one lookup per call.
CREATE MACRO ref.convert(amount, from_ccy, to_ccy, on_date) AS (
    CAST(
        CAST(amount AS DOUBLE)
        / CAST(ref.units_per_eur(from_ccy, on_date) AS DOUBLE)
        * CAST(ref.units_per_eur(to_ccy, on_date) AS DOUBLE)
    AS DECIMAL(18, 6))
);
