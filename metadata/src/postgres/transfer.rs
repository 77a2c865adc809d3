//! The PostgreSQL side of export and import (the stream format is the shared `crate::export`).
//!
//! Owns reading every record from one snapshot (a `REPEATABLE READ, READ ONLY` transaction,
//! tables walked by keyset pages so memory stays bounded) and filling an empty database in one
//! transaction (a bad stream leaves nothing behind), with the counters recomputed and the id
//! sequence moved above every imported id. It must not know the stream's bytes.

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::IsolationLevel;

use super::{exec, get, id_of, pg, row, rows, sql_id, PgBackend};
use crate::codec::{decode, encode};
use crate::export::{upload_seq, ExportGc, ExportObject, ExportPart, ExportUpload, Record};
use crate::stats::shard;
use crate::stored::StoredBucket;
use crate::{BucketStats, Error, Result};

/// Rows per page of the export.
const PAGE: i64 = 1000;

/// Hands every bucket to `sink`.
async fn export_buckets(tx: &impl GenericClient, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
    for r in rows(tx, "SELECT value FROM buckets ORDER BY name", &[]).await? {
        sink(Record::Bucket(decode::<StoredBucket>(
            "bucket",
            get::<&[u8]>(&r, 0)?,
        )?))?;
    }
    Ok(())
}

/// Hands every object to `sink`, in (bucket, key) order.
async fn export_objects(tx: &impl GenericClient, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
    let (mut bucket, mut key) = (-1i64, Vec::<u8>::new());
    loop {
        let page = rows(
            tx,
            "SELECT bucket_id, key, value FROM objects WHERE (bucket_id, key) > ($1, $2) \
             ORDER BY bucket_id, key LIMIT $3",
            &[&bucket, &key, &PAGE],
        )
        .await?;
        for r in &page {
            bucket = get(r, 0)?;
            key = get(r, 1)?;
            sink(Record::Object(ExportObject {
                bucket: id_of(bucket)?,
                key: key.clone(),
                record: decode("object", get::<&[u8]>(r, 2)?)?,
            }))?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Hands every noncurrent version to `sink`, in (bucket, key, seq, id) order.
async fn export_versions(tx: &impl GenericClient, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
    let (mut bucket, mut key, mut seq, mut id) = (-1i64, Vec::<u8>::new(), -1i64, String::new());
    loop {
        let page = rows(
            tx,
            "SELECT bucket_id, key, seq, version_id, value FROM versions \
             WHERE (bucket_id, key, seq, version_id) > ($1, $2, $3, $4) \
             ORDER BY bucket_id, key, seq, version_id LIMIT $5",
            &[&bucket, &key, &seq, &id, &PAGE],
        )
        .await?;
        for r in &page {
            bucket = get(r, 0)?;
            key = get(r, 1)?;
            seq = get(r, 2)?;
            id = get(r, 3)?;
            sink(Record::Version(ExportObject {
                bucket: id_of(bucket)?,
                key: key.clone(),
                record: decode("version", get::<&[u8]>(r, 4)?)?,
            }))?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Hands every upload, then every part, to `sink`.
async fn export_uploads(tx: &impl GenericClient, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
    let mut id = Vec::<u8>::new();
    loop {
        let page = rows(
            tx,
            "SELECT id, value FROM uploads WHERE id > $1 ORDER BY id LIMIT $2",
            &[&id, &PAGE],
        )
        .await?;
        for r in &page {
            id = get(r, 0)?;
            sink(Record::Upload(ExportUpload {
                id: utf8(&id)?,
                upload: decode("upload", get::<&[u8]>(r, 1)?)?,
            }))?;
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    let (mut upload, mut part) = (Vec::<u8>::new(), -1i64);
    loop {
        let page = rows(
            tx,
            "SELECT upload_id, part, value FROM parts WHERE (upload_id, part) > ($1, $2) \
             ORDER BY upload_id, part LIMIT $3",
            &[&upload, &part, &PAGE],
        )
        .await?;
        for r in &page {
            upload = get(r, 0)?;
            part = get(r, 1)?;
            sink(Record::Part(ExportPart {
                upload_id: utf8(&upload)?,
                part: u32::try_from(part)
                    .map_err(|_| Error::Corrupt("part number out of range".to_owned()))?,
                record: decode("part", get::<&[u8]>(r, 2)?)?,
            }))?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Hands every GC entry to `sink`.
async fn export_gc(tx: &impl GenericClient, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
    let mut id = -1i64;
    loop {
        let page = rows(
            tx,
            "SELECT id, value FROM gc WHERE id > $1 ORDER BY id LIMIT $2",
            &[&id, &PAGE],
        )
        .await?;
        for r in &page {
            id = get(r, 0)?;
            sink(Record::Gc(ExportGc {
                id: id_of(id)?,
                blob: decode("gc entry", get::<&[u8]>(r, 1)?)?,
            }))?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
    }
}

fn utf8(id: &[u8]) -> Result<String> {
    String::from_utf8(id.to_vec()).map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))
}

/// Inside the import transaction: stores one record, counts objects into `stats`, and returns
/// the id it uses (0: none).
async fn import_one(
    tx: &impl GenericClient,
    record: Record,
    stats: &mut BTreeMap<(u64, u8), BucketStats>,
) -> Result<u64> {
    match record {
        Record::Bucket(b) => {
            exec(
                tx,
                "INSERT INTO buckets (id, name, owner, value) VALUES ($1, $2, $3, $4)",
                &[&sql_id(b.id), &b.name.as_bytes(), &b.owner, &encode(&b)?],
            )
            .await?;
            Ok(b.id)
        }
        Record::Object(o) => {
            exec(
                tx,
                "INSERT INTO objects (bucket_id, key, value) VALUES ($1, $2, $3)",
                &[&sql_id(o.bucket), &o.key, &encode(&o.record)?],
            )
            .await?;
            let row = stats.entry((o.bucket, shard(&o.key))).or_default();
            *row = row.changed(None, Some(&o.record));
            Ok(0)
        }
        Record::Version(o) => {
            exec(
                tx,
                "INSERT INTO versions (bucket_id, key, seq, version_id, value) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &sql_id(o.bucket),
                    &o.key,
                    &i64::try_from(o.record.seq).unwrap_or(i64::MAX),
                    &o.record.version_id,
                    &encode(&o.record)?,
                ],
            )
            .await?;
            Ok(0)
        }
        Record::Upload(u) => {
            exec(
                tx,
                "INSERT INTO uploads (id, bucket_id, key, value) VALUES ($1, $2, $3, $4)",
                &[
                    &u.id.as_bytes(),
                    &sql_id(u.upload.bucket),
                    &u.upload.record.key,
                    &encode(&u.upload)?,
                ],
            )
            .await?;
            Ok(upload_seq(&u.id))
        }
        Record::Part(p) => {
            exec(
                tx,
                "INSERT INTO parts (upload_id, part, value) VALUES ($1, $2, $3)",
                &[&p.upload_id.as_bytes(), &i64::from(p.part), &encode(&p.record)?],
            )
            .await?;
            Ok(0)
        }
        Record::Gc(g) => {
            exec(
                tx,
                "INSERT INTO gc (id, value) VALUES ($1, $2)",
                &[&sql_id(g.id), &encode(&g.blob)?],
            )
            .await?;
            Ok(g.id)
        }
    }
}

impl PgBackend {
    /// See `Backend::export_records`: one repeatable-read snapshot.
    pub(super) fn export_all(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        let shared = &self.shared;
        shared.block_on(async {
            let mut client = shared.client().await?;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(pg)?;
            export_buckets(&tx, sink).await?;
            export_objects(&tx, sink).await?;
            export_versions(&tx, sink).await?;
            export_uploads(&tx, sink).await?;
            export_gc(&tx, sink).await?;
            tx.commit().await.map_err(pg)
        })
    }

    /// See `Backend::import_records`: one transaction.
    pub(super) fn import_all(&self, next: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<()> {
        let shared = &self.shared;
        shared.block_on(async {
            let mut client = shared.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let busy = row(
                &tx,
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM buckets) OR EXISTS (SELECT 1 FROM objects) \
                 OR EXISTS (SELECT 1 FROM versions) \
                 OR EXISTS (SELECT 1 FROM uploads) OR EXISTS (SELECT 1 FROM parts) \
                 OR EXISTS (SELECT 1 FROM gc) OR EXISTS (SELECT 1 FROM bucket_stats)",
                &[],
            )
            .await?;
            if busy.is_some() {
                return Err(Error::ImportTargetNotEmpty);
            }
            let mut stats = BTreeMap::new();
            let mut max_id = 0u64;
            while let Some(record) = next()? {
                max_id = max_id.max(import_one(&tx, record, &mut stats).await?);
            }
            for ((bucket, shard), s) in &stats {
                let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                exec(
                    &tx,
                    "INSERT INTO bucket_stats (bucket_id, shard, objects, bytes) VALUES ($1, $2, $3, $4)",
                    &[&sql_id(*bucket), &i16::from(*shard), &n(s.objects), &n(s.bytes)],
                )
                .await?;
            }
            row(
                &tx,
                "SELECT setval('registry_ids', GREATEST($1, (SELECT last_value FROM registry_ids)))",
                &[&sql_id(max_id)],
            )
            .await?;
            tx.commit().await.map_err(pg)
        })
    }
}
