//! Multipart uploads in SQL: create, store parts, list, abort, complete.
//!
//! Owns the statements on `uploads` and `parts`. `put_part` locks its upload row `FOR SHARE`;
//! abort and complete lock it `FOR UPDATE` (complete after its bucket, `FOR SHARE`, in the order
//! every object write uses), so they wait for parts being stored and then see them all: no part
//! is left behind by a completion, and no part lands in an upload that is gone. A part that
//! replaces another queues the old blob, and so do abort and complete for the parts they drop,
//! in the same transaction. It must not validate S3 part rules (the gateway does).

use std::collections::HashSet;

use super::namespace::{lock_live_bucket, queue_blobs};
use super::versions::{change_key, lock_bucket_mode, Needs};
use super::{exec, get, id_of, row, rows, sql_id, sql_limit, transaction, with_client, PgBackend};
use crate::codec::{decode, encode, prefix_successor};
use crate::stored::{new_upload_id, StoredUpload};
use crate::versions;
use crate::{Committed, Error, ObjectRecord, PartRecord, PutCondition, Result, Upload, UploadRecord};

/// An upload row (`id, value`) as the public record.
fn upload_of(r: &tokio_postgres::Row) -> Result<Upload> {
    let id: &[u8] = get(r, 0)?;
    let stored: StoredUpload = decode("upload", get::<&[u8]>(r, 1)?)?;
    Ok(Upload {
        id: String::from_utf8(id.to_vec())
            .map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))?,
        bucket: stored.bucket,
        record: stored.record,
    })
}

/// Decodes the `value` column of part rows and returns their blobs.
fn part_blobs(found: &[tokio_postgres::Row]) -> Result<Vec<crate::BlobRef>> {
    found
        .iter()
        .map(|r| decode::<PartRecord>("part", get::<&[u8]>(r, 0)?).map(|p| p.blob))
        .collect()
}

impl PgBackend {
    /// See `Registry::create_upload`.
    pub(super) fn new_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String> {
        let value = encode(&StoredUpload {
            bucket,
            record: rec.clone(),
            parts_version: 0,
        })?;
        transaction!(self, |tx| {
            lock_live_bucket(&tx, bucket).await?;
            let seq = row(&tx, "SELECT nextval('registry_ids')", &[]).await?;
            let id = new_upload_id(id_of(seq.map_or(Ok(0), |r| get::<i64>(&r, 0))?)?);
            exec(
                &tx,
                "INSERT INTO uploads (id, bucket_id, key, value) VALUES ($1, $2, $3, $4)",
                &[&id.as_bytes(), &sql_id(bucket), &rec.key, &value],
            )
            .await?;
            Ok(id)
        })
    }

    /// See `Registry::get_upload`.
    pub(super) fn upload(&self, id: &str) -> Result<Option<Upload>> {
        with_client!(self, |c| {
            let r = row(
                &c,
                "SELECT id, value FROM uploads WHERE id = $1",
                &[&id.as_bytes()],
            )
            .await?;
            r.map(|r| upload_of(&r)).transpose()
        })
    }

    /// See `Registry::put_part`.
    pub(super) fn write_part(
        &self,
        upload_id: &str,
        part: u32,
        rec: &PartRecord,
    ) -> Result<Option<PartRecord>> {
        let value = encode(rec)?;
        let keep = HashSet::from([rec.blob.path.as_str()]);
        let (id, number) = (upload_id.as_bytes(), i64::from(part));
        transaction!(self, |tx| {
            if row(&tx, "SELECT 1 FROM uploads WHERE id = $1 FOR SHARE", &[&id])
                .await?
                .is_none()
            {
                return Err(Error::NoSuchUpload);
            }
            exec(&tx, "DELETE FROM intents WHERE path = $1", &[&rec.blob.path]).await?;
            loop {
                let old = row(
                    &tx,
                    "SELECT value FROM parts WHERE upload_id = $1 AND part = $2 FOR UPDATE",
                    &[&id, &number],
                )
                .await?;
                if let Some(old) = old {
                    let old: PartRecord = decode("part", get::<&[u8]>(&old, 0)?)?;
                    exec(
                        &tx,
                        "UPDATE parts SET value = $3 WHERE upload_id = $1 AND part = $2",
                        &[&id, &number, &value],
                    )
                    .await?;
                    queue_blobs(&tx, [&old.blob], &keep).await?;
                    return Ok(Some(old));
                }
                let inserted = exec(
                    &tx,
                    "INSERT INTO parts (upload_id, part, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (upload_id, part) DO NOTHING",
                    &[&id, &number, &value],
                )
                .await?;
                if inserted == 1 {
                    return Ok(None);
                }
            }
        })
    }

    /// See `Registry::list_parts`.
    pub(super) fn parts_page(
        &self,
        upload_id: &str,
        after: u32,
        max: usize,
    ) -> Result<(Vec<(u32, PartRecord)>, bool)> {
        let id = upload_id.as_bytes();
        let found = with_client!(self, |c| {
            if row(&c, "SELECT 1 FROM uploads WHERE id = $1", &[&id])
                .await?
                .is_none()
            {
                return Err(Error::NoSuchUpload);
            }
            rows(
                &c,
                "SELECT part, value FROM parts WHERE upload_id = $1 AND part > $2 ORDER BY part LIMIT $3",
                &[&id, &i64::from(after), &sql_limit(max.saturating_add(1))],
            )
            .await
        })?;
        let mut out = Vec::with_capacity(found.len());
        for r in &found {
            let number = u32::try_from(get::<i64>(r, 0)?)
                .map_err(|_| Error::Corrupt("part number out of range".to_owned()))?;
            out.push((number, decode("part", get::<&[u8]>(r, 1)?)?));
        }
        let more = out.len() > max;
        out.truncate(max);
        Ok((out, more))
    }

    /// See `Registry::list_uploads`.
    pub(super) fn uploads_page(
        &self,
        bucket: u64,
        prefix: &[u8],
        key_marker: Option<&[u8]>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Upload>, bool)> {
        let upper = prefix_successor(prefix);
        let mut sql = String::from("SELECT id, value FROM uploads WHERE bucket_id = $1 AND key >= $2");
        sql.push_str(if upper.is_some() {
            " AND key < $5"
        } else {
            " AND $5::bytea IS NULL"
        });
        match (key_marker, upload_id_marker) {
            (Some(_), Some(_)) => sql.push_str(" AND (key, id) > ($3, $4)"),
            (Some(_), None) => sql.push_str(" AND key > $3 AND $4::bytea IS NULL"),
            (None, _) => sql.push_str(" AND $3::bytea IS NULL AND $4::bytea IS NULL"),
        }
        sql.push_str(" ORDER BY key, id LIMIT $6");
        let marker = upload_id_marker.map(str::as_bytes);
        let limit = sql_limit(max.saturating_add(1));
        let found = with_client!(self, |c| {
            rows(
                &c,
                &sql,
                &[&sql_id(bucket), &prefix, &key_marker, &marker, &upper, &limit],
            )
            .await
        })?;
        let mut out = found.iter().map(upload_of).collect::<Result<Vec<_>>>()?;
        let more = out.len() > max;
        out.truncate(max);
        Ok((out, more))
    }

    /// See `Registry::abort_upload`.
    pub(super) fn abort(&self, upload_id: &str) -> Result<()> {
        let id = upload_id.as_bytes();
        transaction!(self, |tx| {
            if row(&tx, "SELECT 1 FROM uploads WHERE id = $1 FOR UPDATE", &[&id])
                .await?
                .is_none()
            {
                return Err(Error::NoSuchUpload);
            }
            let parts = rows(
                &tx,
                "DELETE FROM parts WHERE upload_id = $1 RETURNING value",
                &[&id],
            )
            .await?;
            queue_blobs(&tx, &part_blobs(&parts)?, &HashSet::new()).await?;
            exec(&tx, "DELETE FROM uploads WHERE id = $1", &[&id]).await?;
            Ok(())
        })
    }

    /// See `Registry::complete_upload`.
    pub(super) fn complete(
        &self,
        upload_id: &str,
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        let keep: HashSet<&str> = rec.blobs.iter().map(|b| b.path.as_str()).collect();
        let id = upload_id.as_bytes();
        transaction!(self, |tx| {
            // The bucket first (the lock order of every write), then the upload, re-read locked.
            let bucket = row(&tx, "SELECT bucket_id FROM uploads WHERE id = $1", &[&id])
                .await?
                .ok_or(Error::NoSuchUpload)?;
            let bucket = id_of(get(&bucket, 0)?)?;
            lock_bucket_mode(&tx, bucket).await?;
            let upload = row(
                &tx,
                "SELECT id, value FROM uploads WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?
            .ok_or(Error::NoSuchUpload)?;
            let upload = upload_of(&upload)?;
            let key = upload.record.key.as_slice();
            let committed = change_key(&tx, bucket, key, Needs::Write, "", &[], |view| {
                versions::plan_put(view, rec.clone(), cond)
            })
            .await?;
            let parts = rows(
                &tx,
                "DELETE FROM parts WHERE upload_id = $1 RETURNING value",
                &[&id],
            )
            .await?;
            queue_blobs(&tx, &part_blobs(&parts)?, &keep).await?;
            exec(&tx, "DELETE FROM uploads WHERE id = $1", &[&id]).await?;
            Ok(committed)
        })
    }
}
