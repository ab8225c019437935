-- tome-pool database schema.
--
-- Idempotent: applying it again changes nothing. Versioned: every change adds a numbered
-- block and a row in schema_version. PostgreSQL 15+ today, CockroachDB later, so only SQL
-- both speak: no PL/pgSQL, no advisory locks, no LISTEN, no PG-only functions.
-- Statements end with a semicolon at the end of a line; `tome-prefetch migrate` splits on that.
--
-- Version 1: the pool, assignments, refill runs and batches, and the refill lease.
-- Version 2: a random claim key that spreads reservations over the pool; the card app's cards.
-- Version 3: an index on the expiry of pairs that have one, for the bounded clean-up of expired
-- pairs; the top-up trigger that refills between the hourly runs.
-- Version 4: each card records the client that created it, and an Idempotency-Key is unique per
-- client.

CREATE TABLE IF NOT EXISTS schema_version (
    version     INT PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per refill run. The idempotency key is the event's id (or an explicit key), so a
-- replayed event finds its run. The plan (planned_pairs in batches of batch_size) is stored so
-- that a run killed half-way is finished later with the same TOME request ids.
CREATE TABLE IF NOT EXISTS refill_run (
    run_id           TEXT PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    trigger          TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    reason           TEXT,
    status           TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    target           INT NOT NULL CHECK (target >= 0),
    pool_before      INT NOT NULL,
    pool_after       INT,
    deficit          INT NOT NULL CHECK (deficit >= 0),
    planned_pairs    INT NOT NULL CHECK (planned_pairs >= 0),
    batch_size       INT NOT NULL CHECK (batch_size > 0),
    batches_planned  INT NOT NULL CHECK (batches_planned >= 0),
    error            TEXT,
    result           TEXT,
    started_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at      TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS refill_run_status_idx ON refill_run (status, started_at);

-- The committed batches of each run. A batch row is written by the same statement that inserts
-- its pairs, and only if it does not exist yet: that is what makes a batch exactly-once.
CREATE TABLE IF NOT EXISTS refill_batch (
    run_id          TEXT NOT NULL REFERENCES refill_run (run_id),
    batch_no        INT NOT NULL CHECK (batch_no >= 0),
    request_id      TEXT NOT NULL UNIQUE,
    pairs_requested INT NOT NULL CHECK (pairs_requested > 0),
    pairs_inserted  INT NOT NULL CHECK (pairs_inserted >= 0),
    committed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, batch_no)
);

-- The available pairs. A reservation moves a row from here to token_assignment in one
-- transaction, so a pair is in exactly one of the two tables.
CREATE TABLE IF NOT EXISTS token_pool (
    ns1_token   TEXT PRIMARY KEY,
    ns2_token   TEXT NOT NULL UNIQUE,
    run_id      TEXT NOT NULL,
    batch_no    INT NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS token_pool_fetched_at_idx ON token_pool (fetched_at);

-- Consumed pairs: the card each went to, and whether it came from the pool or straight from
-- TOME. Detokenizing an NS2 reference is a primary-key lookup here.
CREATE TABLE IF NOT EXISTS token_assignment (
    ns2_token    TEXT PRIMARY KEY,
    ns1_token    TEXT NOT NULL UNIQUE,
    card_id      TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL CHECK (source IN ('pool', 'tome')),
    run_id       TEXT,
    batch_no     INT,
    assigned_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS token_assignment_assigned_at_idx ON token_assignment (assigned_at);

-- At most one refill fills at a time. The holder renews expires_at while it runs; a killed
-- holder's lease lapses on its own, so the next run is never blocked for long.
CREATE TABLE IF NOT EXISTS refill_lease (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    run_id       TEXT,
    acquired_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

INSERT INTO schema_version (version, description)
VALUES (1, 'pool, assignments, refill runs and batches, refill lease')
ON CONFLICT (version) DO NOTHING;

-- Version 2.

-- Reservations start at a random claim key instead of the oldest pair: concurrent reservers
-- rarely meet on the same rows, and the dead rows that claimed pairs leave behind (until
-- vacuum) are spread thinly over the index rather than piled up where every claim starts.
ALTER TABLE token_pool ADD COLUMN IF NOT EXISTS claim_key BIGINT NOT NULL
    DEFAULT (floor(random() * 9000000000000000000))::BIGINT;

CREATE INDEX IF NOT EXISTS token_pool_claim_key_idx ON token_pool (claim_key);

-- The card app's cards. A card's tokens are those of its token_assignment row, written in the
-- same transaction. An Idempotency-Key with the hash of its request makes creation retry-safe.
CREATE TABLE IF NOT EXISTS card (
    card_id          TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL,
    ns1_token        TEXT NOT NULL UNIQUE,
    ns2_token        TEXT NOT NULL UNIQUE,
    token_source     TEXT NOT NULL CHECK (token_source IN ('pool', 'tome')),
    idempotency_key  TEXT UNIQUE,
    request_hash     TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO schema_version (version, description)
VALUES (2, 'claim key on token_pool, card table')
ON CONFLICT (version) DO NOTHING;

-- Version 3.

-- Refills delete expired pairs in small batches, oldest expiry first; this index finds them
-- without reading the pool, and leaves out the pairs that never expire.
CREATE INDEX IF NOT EXISTS token_pool_expires_at_idx ON token_pool (expires_at) WHERE expires_at IS NOT NULL;

-- Top-ups (refills below the low watermark between hourly runs) are runs of their own trigger.
-- Dropped and added again, so applying this file twice leaves one constraint.
ALTER TABLE refill_run DROP CONSTRAINT IF EXISTS refill_run_trigger_check;
ALTER TABLE refill_run ADD CONSTRAINT refill_run_trigger_check CHECK (trigger IN ('scheduled', 'manual', 'top-up'));

INSERT INTO schema_version (version, description)
VALUES (3, 'index on token_pool.expires_at for the clean-up of expired pairs; top-up trigger')
ON CONFLICT (version) DO NOTHING;

-- Version 4.

-- The client that created each card (an id from the clients document). Cards made before this
-- version have none: their owner is unknown, and only a client with cards:read-any reads them.
ALTER TABLE card ADD COLUMN IF NOT EXISTS client_id TEXT;

-- An Idempotency-Key belongs to the client that sent it: the same key from two clients makes two
-- cards, and a replay finds only its own client's card. The unique index replaces the key's
-- table-wide constraint (NULLs are distinct, so keys purged after their retention, and the cards
-- of unknown owners, never collide).
CREATE UNIQUE INDEX IF NOT EXISTS card_client_idempotency_key_idx ON card (client_id, idempotency_key);
ALTER TABLE card DROP CONSTRAINT IF EXISTS card_idempotency_key_key;

-- Keys are kept at least 24 hours; this index finds the ones old enough to purge (README,
-- "Idempotency keys") without reading the whole table.
CREATE INDEX IF NOT EXISTS card_idempotency_key_created_at_idx ON card (created_at) WHERE idempotency_key IS NOT NULL;

INSERT INTO schema_version (version, description)
VALUES (4, 'card.client_id; Idempotency-Key unique per client')
ON CONFLICT (version) DO NOTHING;
