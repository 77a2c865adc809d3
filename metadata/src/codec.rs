//! Byte layouts: the versioned value encoding and the composite tree keys.
//!
//! Owns how records become bytes (a format version byte, then named `MessagePack`) and how tree keys
//! are built so that range scans come out in S3 order. It must not touch the database: pure
//! functions only, so every layout rule can be unit-tested.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Version byte that prefixes every stored value. Bump it (and keep a decoder for the old one) only
/// for a change `#[serde(default)]` cannot absorb.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// Length of the big-endian bucket id that prefixes object and upload-index keys.
pub(crate) const BUCKET_ID_LEN: usize = 8;

/// Encodes `value` as the version byte followed by named `MessagePack`.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![FORMAT_VERSION];
    rmp_serde::encode::write_named(&mut out, value).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a value written by [`encode`]; `what` names the record kind in the error message.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, body)) => {
            rmp_serde::from_slice(body).map_err(|e| Error::Corrupt(format!("{what}: undecodable body: {e}")))
        }
        Some((version, _)) => Err(Error::Corrupt(format!(
            "{what}: unknown format version {version}"
        ))),
        None => Err(Error::Corrupt(format!("{what}: empty value"))),
    }
}

/// `bucket id (big-endian) ++ key`: the objects tree key, so one bucket is one contiguous range in
/// byte order of the object keys.
pub(crate) fn object_key(bucket: u64, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BUCKET_ID_LEN + key.len());
    out.extend_from_slice(&bucket.to_be_bytes());
    out.extend_from_slice(key);
    out
}

/// Reads the big-endian u64 at the start of `bytes`.
pub(crate) fn read_u64(what: &str, bytes: &[u8]) -> Result<u64> {
    bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::Corrupt(format!("{what}: key shorter than 8 bytes")))
}

/// The smallest byte string greater than every string that starts with `prefix`, or `None` if no
/// such string exists (`prefix` is empty or all `0xFF`). Used to seek past a common prefix.
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < u8::MAX {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// `versions` key: `bucket id ++ escaped key ++ TERMINATOR ++ !seq (u64 BE) ++ version id`, so a
/// bucket's versions sort by key, then newest first. Shared by the sled tree and the export order.
pub(crate) fn version_key(bucket: u64, key: &[u8], seq: u64, version_id: &str) -> Vec<u8> {
    let mut out = key_versions_prefix(bucket, key);
    out.extend_from_slice(&(!seq).to_be_bytes());
    out.extend_from_slice(version_id.as_bytes());
    out
}

/// The start of every `versions` key of `key`: `bucket id ++ escaped key ++ TERMINATOR`.
pub(crate) fn key_versions_prefix(bucket: u64, key: &[u8]) -> Vec<u8> {
    let mut out = versions_prefix(bucket, key);
    out.extend_from_slice(&TERMINATOR);
    out
}

/// The start of every `versions` key whose object key starts with `prefix`.
pub(crate) fn versions_prefix(bucket: u64, prefix: &[u8]) -> Vec<u8> {
    let mut out = bucket.to_be_bytes().to_vec();
    escape_into(&mut out, prefix);
    out
}

/// Splits a `versions` key (without its bucket id) into the object key and the rest (the order
/// stamp and version id).
pub(crate) fn split_escaped(bytes: &[u8]) -> Result<(Vec<u8>, &[u8])> {
    let mut key = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0 {
            match bytes.get(i + 1) {
                Some(1) => key.push(0),
                Some(0) => return Ok((key, &bytes[i + 2..])),
                _ => break,
            }
            i += 2;
        } else {
            key.push(b);
            i += 1;
        }
    }
    Err(Error::Corrupt("escaped key without its terminator".to_owned()))
}

/// Appends `key` escaped so that `escape(a) ++ TERMINATOR ++ x` sorts like `(a, x)`: `0x00` becomes
/// `0x00 0x01` and the terminator is `0x00 0x00`. The escape is prefix-preserving, so a scan for
/// keys starting with `p` is a scan for entries starting with `escape(p)` (no terminator).
pub(crate) fn escape_into(out: &mut Vec<u8>, key: &[u8]) {
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(1);
        }
    }
}

/// Ends an escaped key (see [`escape_into`]).
pub(crate) const TERMINATOR: [u8; 2] = [0, 0];

/// Position of the first occurrence of `needle` in `haystack` (`needle` non-empty).
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_version_check() {
        let bytes = encode(&("a".to_owned(), 7u64)).unwrap();
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (String, u64) = decode("t", &bytes).unwrap();
        assert_eq!(back, ("a".to_owned(), 7));

        let mut wrong = bytes.clone();
        wrong[0] = 2;
        assert!(matches!(
            decode::<(String, u64)>("t", &wrong),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            decode::<(String, u64)>("t", &[]),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            decode::<(String, u64)>("t", &bytes[..3]),
            Err(Error::Corrupt(_))
        ));
    }

    /// A record written before a field existed decodes with the field's default: the
    /// `#[serde(default)]` promise that lets fields (such as `tags`) be added without a bump.
    #[test]
    fn records_without_new_fields_decode() {
        #[derive(serde::Serialize)]
        struct OldObject {
            size: u64,
            etag: String,
            user_meta: Vec<(String, String)>,
        }
        let old = encode(&OldObject {
            size: 3,
            etag: "e".into(),
            user_meta: vec![("a".into(), "b".into())],
        })
        .unwrap();
        let rec: crate::ObjectRecord = decode("object", &old).unwrap();
        assert_eq!((rec.size, rec.etag.as_str()), (3, "e"));
        assert_eq!(rec.user_meta, [("a".to_owned(), "b".to_owned())]);
        assert!(rec.tags.is_empty());
        let up: crate::UploadRecord = decode(
            "upload",
            &encode(&OldObject {
                size: 0,
                etag: String::new(),
                user_meta: Vec::new(),
            })
            .unwrap(),
        )
        .unwrap();
        assert!(up.tags.is_empty());
    }

    #[test]
    fn successor() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff"), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn escaped_keys_sort_by_key_then_suffix() {
        let keys: [&[u8]; 6] = [b"", b"\0", b"\0\0", b"\0\x01", b"a", b"a\0b"];
        let mut encoded: Vec<(Vec<u8>, usize)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for suffix in [b"0".as_slice(), b"z"] {
                let mut e = Vec::new();
                escape_into(&mut e, k);
                e.extend_from_slice(&TERMINATOR);
                e.extend_from_slice(suffix);
                encoded.push((e, i));
            }
        }
        let before: Vec<usize> = encoded.iter().map(|(_, i)| *i).collect();
        encoded.sort();
        let after: Vec<usize> = encoded.iter().map(|(_, i)| *i).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn version_keys_sort_by_key_then_newest_first() {
        let a = version_key(1, b"a", 5, "x");
        let a_old = version_key(1, b"a", 4, "x");
        let a0 = version_key(1, b"a\0", 9, "x");
        let b = version_key(1, b"b", 1, "x");
        assert!(a < a_old && a_old < a0 && a0 < b);
        let (key, rest) = split_escaped(&a0[8..]).unwrap();
        assert_eq!(key, b"a\0");
        assert_eq!(&rest[..8], &(!9u64).to_be_bytes());
        assert!(a0.starts_with(&versions_prefix(1, b"a")));
        assert!(split_escaped(b"abc").is_err());
    }

    #[test]
    fn find_multibyte() {
        assert_eq!(find(b"xxabyab", b"ab"), Some(2));
        assert_eq!(find(b"a", b"ab"), None);
        assert_eq!(find(b"abc", b""), None);
    }
}
