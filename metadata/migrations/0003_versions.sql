-- Object versions (metadata/src/versions.rs documents the rules): every version of a key that is
-- not its current record (which stays in `objects`), delete markers included. Ordered by key,
-- then newest first (seq descending, then id), as listings read them.
CREATE TABLE versions (
    bucket_id  bigint NOT NULL,
    key        bytea  NOT NULL,
    seq        bigint NOT NULL,
    version_id text   NOT NULL,
    value      bytea  NOT NULL
);
CREATE UNIQUE INDEX versions_order ON versions (bucket_id, key, seq DESC, version_id);
