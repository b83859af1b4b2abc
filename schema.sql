-- cartwise database schema, version 1.
--
-- Applied once to a new database. Later changes are new, ordered migration steps in
-- src/db/migrate.rs keyed by PRAGMA user_version; a step that has shipped is never edited.
-- Timestamps are RFC 3339 UTC text with milliseconds ('2026-01-31T12:00:00.000Z'), so they
-- sort and compare as text. Prices are non-negative amounts in the user's currency.

CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(name) > 0),
    description TEXT,
    shop_local  INTEGER NOT NULL DEFAULT 0 CHECK (shop_local IN (0, 1)),
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE items (
    id               INTEGER PRIMARY KEY,
    list_id          INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    product_name     TEXT    NOT NULL CHECK (length(product_name) > 0),
    product_query    TEXT,
    image            TEXT,
    product_url      TEXT,
    sku              TEXT,
    upc              TEXT,
    notes            TEXT,
    description      TEXT,
    brand            TEXT,
    category         TEXT,
    quantity         INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    target_price     REAL    CHECK (target_price >= 0),
    current_price    REAL    CHECK (current_price >= 0),
    previous_price   REAL    CHECK (previous_price >= 0),
    lowest_price     REAL    CHECK (lowest_price >= 0),
    highest_price    REAL    CHECK (highest_price >= 0),
    current_retailer TEXT,
    in_stock         INTEGER CHECK (in_stock IN (0, 1)),
    priority         TEXT    NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    is_purchased     INTEGER NOT NULL DEFAULT 0 CHECK (is_purchased IN (0, 1)),
    purchased_at     TEXT,
    is_generic       INTEGER NOT NULL DEFAULT 0 CHECK (is_generic IN (0, 1)),
    unit_of_measure  TEXT,
    last_checked_at  TEXT,
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX items_by_list ON items (list_id, is_purchased);

-- The latest price each retailer offers for an item; retailer_key is the normalised name.
CREATE TABLE item_offers (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    retailer     TEXT    NOT NULL,
    retailer_key TEXT    NOT NULL,
    title        TEXT,
    price        REAL    CHECK (price >= 0),
    url          TEXT,
    image_url    TEXT,
    in_stock     INTEGER CHECK (in_stock IN (0, 1)),
    rating       REAL,
    reviews      INTEGER,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (item_id, retailer_key)
);

CREATE TABLE price_history (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    price       REAL    NOT NULL CHECK (price >= 0),
    retailer    TEXT,
    url         TEXT,
    in_stock    INTEGER CHECK (in_stock IN (0, 1)),
    source      TEXT    NOT NULL CHECK (source IN ('manual', 'price_search', 'price_refresh')),
    captured_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX price_history_by_item ON price_history (item_id, captured_at);

-- api_key holds the key encrypted with <data-dir>/secret.key; only api_key_tail is ever shown.
CREATE TABLE ai_providers (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL CHECK (kind IN ('openai', 'anthropic', 'gemini', 'ollama')),
    name              TEXT    NOT NULL,
    base_url          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    api_key           BLOB,
    api_key_tail      TEXT,
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_primary        INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    last_test_at      TEXT,
    last_test_ok      INTEGER CHECK (last_test_ok IN (0, 1)),
    last_test_message TEXT,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX ai_providers_one_primary ON ai_providers (is_primary) WHERE is_primary = 1;

-- One JSON value per key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The job type is checked by the engine, which knows the registered types.
CREATE TABLE ai_jobs (
    id              INTEGER PRIMARY KEY,
    type            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    progress        INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    status_message  TEXT,
    input_data      TEXT    NOT NULL DEFAULT '{}',
    output_data     TEXT,
    error_message   TEXT,
    related_item_id INTEGER REFERENCES items (id) ON DELETE SET NULL,
    related_list_id INTEGER REFERENCES lists (id) ON DELETE SET NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    run_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at      TEXT,
    completed_at    TEXT,
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- The queue: runners take the oldest due pending job straight from this index.
CREATE INDEX ai_jobs_queue ON ai_jobs (status, run_at, id);
CREATE INDEX ai_jobs_by_item ON ai_jobs (related_item_id, type);
CREATE INDEX ai_jobs_by_list ON ai_jobs (related_list_id);
CREATE INDEX ai_jobs_finished ON ai_jobs (completed_at) WHERE completed_at IS NOT NULL;

-- A job's timeline; it outlives failed attempts and retries.
CREATE TABLE ai_job_events (
    id      INTEGER PRIMARY KEY,
    job_id  INTEGER NOT NULL REFERENCES ai_jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL DEFAULT 0,
    at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    level   TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    message TEXT    NOT NULL
);
CREATE INDEX ai_job_events_by_job ON ai_job_events (job_id, id);

-- One row per outgoing AI or price-search request. Payloads are JSON cut to 50,000 bytes.
CREATE TABLE ai_request_logs (
    id               INTEGER PRIMARY KEY,
    ai_job_id        INTEGER REFERENCES ai_jobs (id) ON DELETE SET NULL,
    provider         TEXT    NOT NULL,
    model            TEXT,
    request_type     TEXT    NOT NULL CHECK (request_type IN
                     ('completion', 'image_analysis', 'price_aggregation', 'serp_search', 'test_connection')),
    status           TEXT    NOT NULL CHECK (status IN ('success', 'failed', 'timeout', 'cancelled')),
    http_status      INTEGER,
    prompt_preview   TEXT,
    request_data     TEXT,
    response_data    TEXT,
    serp_data        TEXT,
    error_message    TEXT,
    tokens_input     INTEGER,
    tokens_output    INTEGER,
    tokens_estimated INTEGER NOT NULL DEFAULT 0 CHECK (tokens_estimated IN (0, 1)),
    cost_usd         REAL,
    duration_ms      INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX ai_request_logs_by_time ON ai_request_logs (created_at);
CREATE INDEX ai_request_logs_by_job ON ai_request_logs (ai_job_id);
CREATE INDEX ai_request_logs_by_status ON ai_request_logs (status, created_at);
CREATE INDEX ai_request_logs_by_provider ON ai_request_logs (provider, created_at);
CREATE INDEX ai_request_logs_by_type ON ai_request_logs (request_type, created_at);
