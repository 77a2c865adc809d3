-- Blobs about to get their final name (metadata::Intent): recorded by the writer before the
-- rename, deleted in the transaction of the commit that references the blob. value: the encoded
-- Intent (path, volume, owner, time).
CREATE TABLE intents (
    path  text  PRIMARY KEY,
    value bytea NOT NULL
);
