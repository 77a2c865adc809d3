-- The registry on PostgreSQL, first layout (metadata/src/postgres/mod.rs documents it).
-- Keys and names are bytea: byte order is S3 order, no collation is involved. Values are the
-- versioned MessagePack records the sled engine stores (a format byte, then named MessagePack);
-- the other columns are what the queries filter, order or lock on. Portable SQL only (no
-- PL/pgSQL), so the PostgreSQL-protocol databases can be tried.

-- Bucket, upload and GC queue ids (one sequence, as sled's one id generator), and event ids.
CREATE SEQUENCE registry_ids START WITH 1;
CREATE SEQUENCE event_ids START WITH 1;

CREATE TABLE buckets (
    id      bigint PRIMARY KEY,
    name    bytea  NOT NULL UNIQUE,
    owner   text   NOT NULL,
    value   bytea  NOT NULL
);

CREATE TABLE objects (
    bucket_id bigint NOT NULL,
    key       bytea  NOT NULL,
    value     bytea  NOT NULL,
    PRIMARY KEY (bucket_id, key)
);

CREATE TABLE uploads (
    id        bytea  PRIMARY KEY,
    bucket_id bigint NOT NULL,
    key       bytea  NOT NULL,
    value     bytea  NOT NULL
);
CREATE INDEX uploads_by_key ON uploads (bucket_id, key, id);

CREATE TABLE parts (
    upload_id bytea  NOT NULL,
    part      bigint NOT NULL,
    value     bytea  NOT NULL,
    PRIMARY KEY (upload_id, part)
);

-- claimed_until: a sweeper's lease on the entry (NULL: never claimed).
CREATE TABLE gc (
    id            bigint PRIMARY KEY,
    value         bytea  NOT NULL,
    claimed_until timestamptz
);

CREATE TABLE bucket_stats (
    bucket_id bigint   NOT NULL,
    shard     smallint NOT NULL,
    objects   bigint   NOT NULL,
    bytes     bigint   NOT NULL,
    PRIMARY KEY (bucket_id, shard)
);

CREATE TABLE events (
    id       bigint PRIMARY KEY,
    received bigint NOT NULL,
    body     bytea  NOT NULL
);
