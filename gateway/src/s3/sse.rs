//! Server-side encryption of objects at rest: the cryptography only. Owns the sealed object format
//! (MinIO DARE-like: the plaintext cut into [`CHUNK`]-byte chunks, each sealed on its own with
//! AES-256-GCM under the object's data key, a nonce made of a per-object random `nonce_base` and
//! the big-endian chunk index with the top bit set on the final chunk, no AAD), the mapping of
//! plaintext sizes and ranges to sealed ones, key wrapping (SSE-S3 master key, SSE-C customer key)
//! and the SSE-C request-header checks. Uses aws-lc-rs.
//!
//! Must do no I/O, no async and no registry access: callers feed bytes in and take bytes out.

use std::cmp::Ordering;
use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest as _, Md5};

/// Plaintext bytes per sealed chunk (64 KiB); the last chunk of an object may be shorter.
pub const CHUNK: usize = 64 * 1024;

/// Bytes of the AES-GCM tag that follows each chunk's ciphertext.
pub const TAG: usize = 16;

/// Bytes of a whole sealed chunk.
const SEALED_CHUNK: usize = CHUNK + TAG;
/// [`CHUNK`] as a `u64` (lossless: usize is at most 64 bits).
const CHUNK_U64: u64 = CHUNK as u64;
/// [`TAG`] as a `u64`.
const TAG_U64: u64 = TAG as u64;
/// [`SEALED_CHUNK`] as a `u64`.
const SEALED_CHUNK_U64: u64 = SEALED_CHUNK as u64;
/// The nonce counter bit that marks the final chunk of an object.
const FINAL_FLAG: u32 = 0x8000_0000;
/// Chunk indexes must fit in 31 bits: at most 2^31 chunks (128 TiB of plaintext).
const MAX_CHUNKS: u64 = 1 << 31;
/// Bytes of the key length used everywhere here (AES-256).
const KEY_LEN: usize = 32;
/// Bytes of a wrapped key: nonce || ciphertext || tag.
const WRAPPED_LEN: usize = NONCE_LEN + KEY_LEN + TAG;

/// What can go wrong sealing, opening, wrapping or checking keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// The SSE-C algorithm header is not `AES256`.
    #[error("the server-side encryption algorithm must be AES256")]
    BadAlgorithm,
    /// The SSE-C key is not valid base64 of exactly 32 bytes.
    #[error("the encryption key must be base64 of 32 bytes")]
    BadKey,
    /// The SSE-C key MD5 is not the base64 MD5 of the key.
    #[error("the encryption key MD5 does not match the key")]
    KeyMd5Mismatch,
    /// A wrapped key did not open: wrong key-encryption key, wrong context or corruption.
    #[error("the object key could not be unwrapped")]
    Unwrap,
    /// A sealed chunk failed authentication, or the sealed stream is truncated or too long.
    #[error("the encrypted object is corrupt or truncated")]
    Corrupt,
    /// The object has more chunks than a 31-bit chunk index can number.
    #[error("the object is too large to encrypt")]
    TooLarge,
    /// The crypto library failed.
    #[error("the crypto library failed")]
    Crypto,
}

/// A 32-byte key (data key, master key or SSE-C customer key). `Debug` does not print the bytes.
#[derive(Clone)]
pub struct Key([u8; KEY_LEN]);

impl Key {
    /// The key made of `bytes`, which must be exactly 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Key> {
        <[u8; KEY_LEN]>::try_from(bytes).ok().map(Key)
    }

    /// A fresh key from the system's secure random generator.
    pub fn random() -> Key {
        Key(random_array())
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// A fresh random per-object nonce base (the first 8 bytes of every chunk nonce).
pub fn random_nonce_base() -> [u8; 8] {
    random_array()
}

/// `N` secure random bytes: AWS-LC's generator, or (should it ever report failure) the
/// OS-seeded thread generator of the `rand` crate, so that key generation cannot fail.
fn random_array<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        bytes = rand::random();
    }
    bytes
}

/// The AES-256-GCM key for `key` (None only if the library rejects a 32-byte key).
fn aead_key(key: &Key) -> Option<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key.as_bytes())
        .ok()
        .map(LessSafeKey::new)
}

/// The nonce of chunk `index`: `nonce_base` || big-endian `index`, with [`FINAL_FLAG`] set when the
/// chunk is the object's last. Fails with `TooLarge` if `index` does not fit in 31 bits.
fn chunk_nonce(nonce_base: [u8; 8], index: u64, last: bool) -> Result<Nonce, SseError> {
    let index = u32::try_from(index)
        .ok()
        .filter(|i| *i < FINAL_FLAG)
        .ok_or(SseError::TooLarge)?;
    let counter = if last { index | FINAL_FLAG } else { index };
    let mut bytes = [0u8; NONCE_LEN];
    bytes[..8].copy_from_slice(&nonce_base);
    bytes[8..].copy_from_slice(&counter.to_be_bytes());
    Ok(Nonce::assume_unique_for_key(bytes))
}

/// Stored size of a plaintext of `plain_len` bytes.
pub fn sealed_len(plain_len: u64) -> u64 {
    plain_len.saturating_add(plain_len.div_ceil(CHUNK_U64) * TAG_U64)
}

/// Plaintext size of a sealed blob of `sealed_len` bytes; None if no plaintext length maps to it
/// (a trailing piece of at most [`TAG`] bytes, or more chunks than a 31-bit index can number).
pub fn plain_len(sealed_len: u64) -> Option<u64> {
    let full = sealed_len / SEALED_CHUNK_U64;
    let rest = sealed_len % SEALED_CHUNK_U64;
    if (1..=TAG_U64).contains(&rest) {
        return None;
    }
    let (chunks, tail) = if rest == 0 {
        (full, 0)
    } else {
        (full + 1, rest - TAG_U64)
    };
    if chunks > MAX_CHUNKS {
        return None;
    }
    Some(full * CHUNK_U64 + tail)
}

/// Streaming sealer: feed plaintext in any pieces, get sealed bytes. It holds back the last
/// (possibly full) chunk until [`Sealer::finish`], because only then is it known to be final.
pub struct Sealer {
    /// The data key (None if the library rejected it: every seal then fails with `Crypto`).
    key: Option<LessSafeKey>,
    /// The per-object nonce base.
    nonce_base: [u8; 8],
    /// Index of the next chunk to seal.
    next: u64,
    /// Plaintext of the chunk not yet sealed (at most [`CHUNK`] bytes; empty only before any data).
    held: Vec<u8>,
}

impl Sealer {
    /// A sealer for one object under `key` (its data key) and `nonce_base` (its random nonce base).
    pub fn new(key: &Key, nonce_base: [u8; 8]) -> Sealer {
        Sealer {
            key: aead_key(key),
            nonce_base,
            next: 0,
            held: Vec::with_capacity(CHUNK),
        }
    }

    /// Appends the sealed form of every chunk that is now complete and known not to be final to `out`.
    pub fn update(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), SseError> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.held.len() == CHUNK {
                // More data follows, so the held chunk is not the final one.
                self.seal_chunk(&self.held, false, out)?;
                self.held.clear();
                self.next += 1;
            }
            if self.held.is_empty() && rest.len() > CHUNK {
                // A whole chunk with more after it: seal it straight from `data`.
                let (chunk, tail) = rest.split_at(CHUNK);
                self.seal_chunk(chunk, false, out)?;
                self.next += 1;
                rest = tail;
                continue;
            }
            let take = (CHUNK - self.held.len()).min(rest.len());
            let (head, tail) = rest.split_at(take);
            self.held.extend_from_slice(head);
            rest = tail;
        }
        Ok(())
    }

    /// Seals what is held as the final chunk (nothing at all for an empty object).
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), SseError> {
        if self.held.is_empty() {
            return Ok(());
        }
        self.seal_chunk(&self.held, true, out)
    }

    /// Appends chunk `self.next` sealed (ciphertext then tag) to `out`; `out` is unchanged on error.
    fn seal_chunk(&self, plain: &[u8], last: bool, out: &mut Vec<u8>) -> Result<(), SseError> {
        let key = self.key.as_ref().ok_or(SseError::Crypto)?;
        let nonce = chunk_nonce(self.nonce_base, self.next, last)?;
        let start = out.len();
        out.reserve(plain.len() + TAG);
        out.extend_from_slice(plain);
        match key.seal_in_place_separate_tag(nonce, Aad::empty(), &mut out[start..]) {
            Ok(tag) => {
                out.extend_from_slice(tag.as_ref());
                Ok(())
            }
            Err(_) => {
                out.truncate(start);
                Err(SseError::Crypto)
            }
        }
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("next_chunk", &self.next)
            .field("held", &self.held.len())
            .finish_non_exhaustive()
    }
}

/// The sealed byte range to read for plaintext bytes `start..=end` of an object (see
/// [`sealed_range`]). Opening it yields whole chunks: drop `skip` bytes at the front and keep
/// `end - start + 1` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedRange {
    /// Index of the first chunk covering the range (pass it to [`Opener::new`]).
    pub first_chunk: u32,
    /// Sealed offset of that chunk in the stored blob.
    pub offset: u64,
    /// Sealed bytes to read from `offset`: the whole chunks covering the range.
    pub len: u64,
    /// Plaintext bytes to skip at the front of the first opened chunk.
    pub skip: usize,
}

/// The sealed byte range to read for plaintext bytes `start..=end` (inclusive) of an object of
/// `plain_len` bytes: (first chunk index, sealed offset of that chunk, sealed length to read =
/// whole chunks covering the range, bytes of plaintext to skip at the front of the first opened
/// chunk). Precondition `start <= end < plain_len` (violations give a short or empty range, never a panic).
pub fn sealed_range(start: u64, end: u64, plain_len: u64) -> SealedRange {
    let first = start / CHUNK_U64;
    let last = end / CHUNK_U64;
    let offset = first.saturating_mul(SEALED_CHUNK_U64);
    let stop = last.saturating_add(1).saturating_mul(CHUNK_U64).min(plain_len);
    SealedRange {
        // Out of range only for objects too large to have been sealed; opening then fails with TooLarge.
        first_chunk: u32::try_from(first).unwrap_or(u32::MAX),
        offset,
        len: sealed_len(stop).saturating_sub(offset),
        // Less than CHUNK (64 KiB): the cast cannot truncate.
        skip: (start % CHUNK_U64) as usize,
    }
}

/// Streaming opener for sealed bytes that start at chunk `first_chunk` of an object of `plain_len`
/// bytes (so it knows which chunk is final and how long each is). Feed sealed bytes in any pieces;
/// get plaintext, one whole authenticated chunk at a time.
///
/// It may stop at any chunk boundary (a range read), so by itself it cannot tell that whole
/// chunks are missing at the end; [`Opener::expect_len`] declares how many sealed bytes must come.
/// Bytes past the object's final chunk always fail with `Corrupt`.
pub struct Opener {
    /// The data key (None if the library rejected it: every open then fails with `Crypto`).
    key: Option<LessSafeKey>,
    /// The per-object nonce base.
    nonce_base: [u8; 8],
    /// Index of the next chunk to open.
    next: u64,
    /// Chunks in the whole object.
    chunks: u64,
    /// Plaintext bytes of the whole object.
    plain_len: u64,
    /// Sealed bytes of the chunk not yet complete (fewer than its sealed size).
    pending: Vec<u8>,
    /// Sealed bytes still to come, if declared with [`Opener::expect_len`].
    expected: Option<u64>,
}

impl Opener {
    /// An opener for sealed bytes starting at chunk `first_chunk` of an object of `plain_len`
    /// plaintext bytes, sealed under `key` and `nonce_base`.
    pub fn new(key: &Key, nonce_base: [u8; 8], first_chunk: u32, plain_len: u64) -> Opener {
        Opener {
            key: aead_key(key),
            nonce_base,
            next: u64::from(first_chunk),
            chunks: plain_len.div_ceil(CHUNK_U64),
            plain_len,
            pending: Vec::new(),
            expected: None,
        }
    }

    /// Declares that exactly `sealed_len` sealed bytes will be fed (e.g. [`SealedRange::len`], or
    /// `sealed_len(plain_len)` for a whole object): more fails `update`, fewer fails `finish`,
    /// both with `Corrupt`. This is what catches a blob that lost whole chunks at its end.
    #[must_use]
    pub fn expect_len(mut self, sealed_len: u64) -> Opener {
        self.expected = Some(sealed_len);
        self
    }

    /// Appends the plaintext of every sealed chunk completed by `data` to `out`. Fails with
    /// `Corrupt` if a chunk does not authenticate or bytes come past the object's final chunk.
    pub fn update(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), SseError> {
        if let Some(left) = self.expected {
            // usize is at most 64 bits: lossless.
            let fed = data.len() as u64;
            self.expected = Some(left.checked_sub(fed).ok_or(SseError::Corrupt)?);
        }
        let mut rest = data;
        while !rest.is_empty() {
            let want = self.sealed_size();
            if want == 0 {
                return Err(SseError::Corrupt);
            }
            if self.pending.is_empty() && rest.len() >= want {
                let (chunk, tail) = rest.split_at(want);
                self.open_chunk(chunk, out)?;
                self.next += 1;
                rest = tail;
                continue;
            }
            let take = (want - self.pending.len()).min(rest.len());
            let (head, tail) = rest.split_at(take);
            self.pending.extend_from_slice(head);
            rest = tail;
            if self.pending.len() == want {
                self.open_chunk(&self.pending, out)?;
                self.pending.clear();
                self.next += 1;
            }
        }
        Ok(())
    }

    /// Fails with `Corrupt` if bytes are left over that do not form a whole sealed chunk (a
    /// truncated blob), or if fewer bytes came than declared with [`Opener::expect_len`]. Appends
    /// nothing to `out`: `update` opens every chunk as soon as it is whole.
    #[allow(
        clippy::ptr_arg,
        reason = "the same shape as `Sealer::finish`; nothing is left to append"
    )]
    pub fn finish(self, _out: &mut Vec<u8>) -> Result<(), SseError> {
        if !self.pending.is_empty() || self.expected.is_some_and(|left| left != 0) {
            return Err(SseError::Corrupt);
        }
        Ok(())
    }

    /// Sealed size of chunk `self.next`: a whole chunk, the final (possibly short) one, or 0 past
    /// the end of the object.
    fn sealed_size(&self) -> usize {
        match self.next.saturating_add(1).cmp(&self.chunks) {
            Ordering::Less => SEALED_CHUNK,
            // The final chunk holds 1..=CHUNK plaintext bytes: the cast cannot truncate.
            Ordering::Equal => (self.plain_len - self.next * CHUNK_U64) as usize + TAG,
            Ordering::Greater => 0,
        }
    }

    /// Opens `sealed` as chunk `self.next` and appends its plaintext to `out`; `out` is unchanged on error.
    fn open_chunk(&self, sealed: &[u8], out: &mut Vec<u8>) -> Result<(), SseError> {
        let key = self.key.as_ref().ok_or(SseError::Crypto)?;
        let last = self.next.saturating_add(1) == self.chunks;
        let nonce = chunk_nonce(self.nonce_base, self.next, last)?;
        let start = out.len();
        out.extend_from_slice(sealed);
        let opened = match key.open_in_place(nonce, Aad::empty(), &mut out[start..]) {
            Ok(plain) => Some(plain.len()),
            Err(_) => None,
        };
        if let Some(len) = opened {
            out.truncate(start + len);
            Ok(())
        } else {
            // Drop the unauthenticated bytes.
            out.truncate(start);
            Err(SseError::Corrupt)
        }
    }
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opener")
            .field("next_chunk", &self.next)
            .field("chunks", &self.chunks)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// Key wrapping: seals a data key under a key-encryption key (master key for SSE-S3, customer key
/// for SSE-C) with AES-256-GCM, a random 12-byte nonce and `context` as AAD (the caller passes e.g.
/// bucket and key bytes). Output: nonce || ciphertext || tag (12+32+16 = 60 bytes).
pub fn wrap_key(kek: &Key, data_key: &Key, context: &[u8]) -> Result<Vec<u8>, SseError> {
    let key = aead_key(kek).ok_or(SseError::Crypto)?;
    let nonce: [u8; NONCE_LEN] = random_array();
    let mut wrapped = Vec::with_capacity(WRAPPED_LEN);
    wrapped.extend_from_slice(&nonce);
    wrapped.extend_from_slice(data_key.as_bytes());
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context),
            &mut wrapped[NONCE_LEN..],
        )
        .map_err(|_| SseError::Crypto)?;
    wrapped.extend_from_slice(tag.as_ref());
    Ok(wrapped)
}

/// Opens a key wrapped by [`wrap_key`] under `kek` with the same `context`. Fails with `Unwrap` on
/// a wrong key, a wrong context, or a corrupt or wrongly sized `wrapped`.
pub fn unwrap_key(kek: &Key, wrapped: &[u8], context: &[u8]) -> Result<Key, SseError> {
    if wrapped.len() != WRAPPED_LEN {
        return Err(SseError::Unwrap);
    }
    let key = aead_key(kek).ok_or(SseError::Crypto)?;
    let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SseError::Unwrap)?;
    let mut buf = sealed.to_vec();
    let opened = match key.open_in_place(nonce, Aad::from(context), &mut buf) {
        Ok(plain) => Key::from_bytes(plain),
        Err(_) => None,
    };
    opened.ok_or(SseError::Unwrap)
}

/// Checks SSE-C request values: algorithm must be "AES256", key base64 of 32 bytes, key MD5 base64
/// of the MD5 of the key bytes. Returns the key.
pub fn customer_key(algorithm: &str, key_b64: &str, md5_b64: &str) -> Result<Key, SseError> {
    if algorithm != "AES256" {
        return Err(SseError::BadAlgorithm);
    }
    let bytes = B64.decode(key_b64).map_err(|_| SseError::BadKey)?;
    let key = Key::from_bytes(&bytes).ok_or(SseError::BadKey)?;
    let claimed = B64.decode(md5_b64).map_err(|_| SseError::KeyMd5Mismatch)?;
    let actual = Md5::digest(key.as_bytes());
    if claimed.as_slice() != actual.as_slice() {
        return Err(SseError::KeyMd5Mismatch);
    }
    Ok(key)
}

/// base64 MD5 of a key (the x-amz-server-side-encryption-customer-key-MD5 response header).
pub fn key_md5(key: &Key) -> String {
    B64.encode(Md5::digest(key.as_bytes()).as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test plaintext: a byte pattern with a prime period, so chunks differ from each other.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// `data` cut into pieces of the sizes in `sizes`, cycling (a 0 size gives an empty piece).
    fn split<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
        let mut parts = Vec::new();
        let mut rest = data;
        let mut turn = 0;
        while !rest.is_empty() {
            let size = sizes[turn % sizes.len()].min(rest.len());
            let (head, tail) = rest.split_at(size);
            parts.push(head);
            rest = tail;
            turn += 1;
        }
        parts
    }

    fn seal(key: &Key, nonce_base: [u8; 8], plain: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut sealer = Sealer::new(key, nonce_base);
        let mut out = Vec::new();
        for part in split(plain, sizes) {
            sealer.update(part, &mut out).unwrap();
        }
        sealer.finish(&mut out).unwrap();
        out
    }

    fn open_from(
        key: &Key,
        nonce_base: [u8; 8],
        first_chunk: u32,
        plain_len: usize,
        sealed: &[u8],
        sizes: &[usize],
    ) -> Result<Vec<u8>, SseError> {
        let mut opener = Opener::new(key, nonce_base, first_chunk, plain_len as u64);
        let mut out = Vec::new();
        for part in split(sealed, sizes) {
            opener.update(part, &mut out)?;
        }
        opener.finish(&mut out)?;
        Ok(out)
    }

    fn open(key: &Key, nonce_base: [u8; 8], plain_len: usize, sealed: &[u8]) -> Result<Vec<u8>, SseError> {
        open_from(key, nonce_base, 0, plain_len, sealed, &[4096])
    }

    /// A whole-object open that also insists on getting `sealed_len(plain_len)` bytes.
    fn open_strict(
        key: &Key,
        nonce_base: [u8; 8],
        plain_len: usize,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SseError> {
        let plain_len = plain_len as u64;
        let mut opener = Opener::new(key, nonce_base, 0, plain_len).expect_len(sealed_len(plain_len));
        let mut out = Vec::new();
        opener.update(sealed, &mut out)?;
        opener.finish(&mut out)?;
        Ok(out)
    }

    const LENGTHS: [usize; 6] = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7];

    #[test]
    fn library_parameters_match_the_format() {
        assert_eq!(AES_256_GCM.key_len(), KEY_LEN);
        assert_eq!(AES_256_GCM.tag_len(), TAG);
        assert_eq!(AES_256_GCM.nonce_len(), NONCE_LEN);
        assert_eq!(sealed_len(CHUNK_U64), 65_552);
        assert_eq!(
            chunk_nonce([0; 8], 0, true).unwrap().as_ref()[8..],
            [0x80, 0, 0, 0]
        );
    }

    #[test]
    fn round_trips_in_odd_pieces() {
        let schedules: [&[usize]; 5] = [&[1], &[7], &[65_535], &[100_000], &[0, 1, 7, 65_535, 100_000, 3]];
        let key = Key::random();
        let base = random_nonce_base();
        for len in LENGTHS {
            let plain = pattern(len);
            let reference = seal(&key, base, &plain, &[usize::MAX]);
            assert_eq!(reference.len() as u64, sealed_len(len as u64), "len {len}");
            assert_eq!(plain_len(reference.len() as u64), Some(len as u64), "len {len}");
            for sizes in schedules {
                let sealed = seal(&key, base, &plain, sizes);
                assert_eq!(sealed, reference, "len {len}, pieces {sizes:?}");
                let opened = open_from(&key, base, 0, len, &sealed, sizes).unwrap();
                assert_eq!(opened, plain, "len {len}, pieces {sizes:?}");
            }
            assert_eq!(open_strict(&key, base, len, &reference).unwrap(), plain);
        }
    }

    #[test]
    fn empty_object_has_no_chunks() {
        let key = Key::random();
        let base = random_nonce_base();
        assert!(seal(&key, base, &[], &[1]).is_empty());
        assert_eq!(sealed_len(0), 0);
        assert_eq!(plain_len(0), Some(0));
        assert_eq!(open(&key, base, 0, &[]).unwrap(), Vec::<u8>::new());
        assert_eq!(open(&key, base, 0, &[0; TAG]), Err(SseError::Corrupt));
    }

    #[test]
    fn format_is_nonce_base_then_big_endian_counter_with_final_flag() {
        let key = Key::from_bytes(&[9; 32]).unwrap();
        let base = [1, 2, 3, 4, 5, 6, 7, 8];
        let plain = pattern(CHUNK + 5);
        let sealed = seal(&key, base, &plain, &[usize::MAX]);
        assert_eq!(sealed.len(), SEALED_CHUNK + 5 + TAG);
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).unwrap());
        for (index, counter) in [(0usize, 0u32), (1, 0x8000_0001)] {
            let mut nonce = [0u8; NONCE_LEN];
            nonce[..8].copy_from_slice(&base);
            nonce[8..].copy_from_slice(&counter.to_be_bytes());
            let from = index * SEALED_CHUNK;
            let to = ((index + 1) * SEALED_CHUNK).min(sealed.len());
            let mut buf = sealed[from..to].to_vec();
            let opened = aead
                .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
                .unwrap();
            let want = &plain[index * CHUNK..((index + 1) * CHUNK).min(plain.len())];
            assert_eq!(&opened[..], want);
        }
    }

    #[test]
    fn sealed_len_and_plain_len_agree() {
        for len in (0..=4 * CHUNK_U64 + 40).chain([MAX_CHUNKS * CHUNK_U64 - 1, MAX_CHUNKS * CHUNK_U64]) {
            assert_eq!(plain_len(sealed_len(len)), Some(len), "plain {len}");
        }
        let mut none = 0;
        for sealed in 0..=4 * SEALED_CHUNK_U64 + 40 {
            match plain_len(sealed) {
                Some(plain) => assert_eq!(sealed_len(plain), sealed, "sealed {sealed}"),
                None => {
                    let rest = sealed % SEALED_CHUNK_U64;
                    assert!((1..=TAG_U64).contains(&rest), "sealed {sealed}");
                    none += 1;
                }
            }
        }
        assert_eq!(none, 5 * TAG_U64);
        // One chunk more than a 31-bit index can number.
        assert_eq!(plain_len(sealed_len(MAX_CHUNKS * CHUNK_U64 + 1)), None);
        assert_eq!(sealed_len(u64::MAX), u64::MAX);
    }

    #[test]
    fn every_range_on_a_grid_opens_to_the_right_slice() {
        let key = Key::random();
        let base = random_nonce_base();
        let len = 3 * CHUNK + 7;
        let plain = pattern(len);
        let sealed = seal(&key, base, &plain, &[100_000]);
        let grid = [
            0,
            1,
            2,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            2 * CHUNK - 1,
            2 * CHUNK,
            2 * CHUNK + 1,
            3 * CHUNK - 1,
            3 * CHUNK,
            3 * CHUNK + 1,
            len - 1,
        ];
        for &start in &grid {
            for &end in grid.iter().filter(|end| **end >= start) {
                check_range(&key, base, &plain, &sealed, start, end);
            }
        }
    }

    fn check_range(key: &Key, base: [u8; 8], plain: &[u8], sealed: &[u8], start: usize, end: usize) {
        let range = sealed_range(start as u64, end as u64, plain.len() as u64);
        let from = usize::try_from(range.offset).unwrap();
        let to = from + usize::try_from(range.len).unwrap();
        assert!(to <= sealed.len(), "range {start}..={end}");
        assert_eq!(from % SEALED_CHUNK, 0);
        assert_eq!(range.first_chunk as usize * CHUNK + range.skip, start);
        let mut opener = Opener::new(key, base, range.first_chunk, plain.len() as u64).expect_len(range.len);
        let mut out = Vec::new();
        for part in sealed[from..to].chunks(4093) {
            opener.update(part, &mut out).unwrap();
        }
        opener.finish(&mut out).unwrap();
        // Exactly the chunks covering the range, no more.
        let covered = ((end / CHUNK + 1) * CHUNK).min(plain.len()) - range.first_chunk as usize * CHUNK;
        assert_eq!(out.len(), covered, "range {start}..={end}");
        let want = &plain[start..=end];
        assert_eq!(
            &out[range.skip..range.skip + want.len()],
            want,
            "range {start}..={end}"
        );
    }

    #[test]
    fn opening_from_a_middle_chunk_to_the_end() {
        let key = Key::random();
        let base = random_nonce_base();
        let plain = pattern(3 * CHUNK + 7);
        let sealed = seal(&key, base, &plain, &[CHUNK]);
        for first in 0..4u32 {
            let from = first as usize * SEALED_CHUNK;
            let opened = open_from(&key, base, first, plain.len(), &sealed[from..], &[999]).unwrap();
            assert_eq!(opened, &plain[first as usize * CHUNK..]);
        }
        // Claiming the wrong chunk index fails.
        let opened = open_from(&key, base, 2, plain.len(), &sealed[SEALED_CHUNK..], &[999]);
        assert_eq!(opened, Err(SseError::Corrupt));
    }

    #[test]
    fn a_flipped_byte_anywhere_is_corrupt() {
        let key = Key::random();
        let base = random_nonce_base();
        let plain = pattern(2 * CHUNK + 100);
        let sealed = seal(&key, base, &plain, &[CHUNK]);
        let edges = [
            0,
            CHUNK - 1,
            CHUNK,
            SEALED_CHUNK - 1,
            SEALED_CHUNK,
            2 * SEALED_CHUNK - TAG,
            2 * SEALED_CHUNK,
            sealed.len() - TAG - 1,
            sealed.len() - TAG,
            sealed.len() - 1,
        ];
        for pos in (0..sealed.len()).step_by(4099).chain(edges) {
            let mut bad = sealed.clone();
            bad[pos] ^= 0x01;
            assert_eq!(
                open(&key, base, plain.len(), &bad),
                Err(SseError::Corrupt),
                "flip at {pos}"
            );
        }
    }

    #[test]
    fn a_truncated_blob_is_corrupt() {
        let key = Key::random();
        let base = random_nonce_base();
        for len in [3 * CHUNK + 7, 3 * CHUNK] {
            let plain = pattern(len);
            let sealed = seal(&key, base, &plain, &[CHUNK]);
            let kept = len.div_ceil(CHUNK) - 1;
            let without_final = &sealed[..kept * SEALED_CHUNK];
            // Told the true length and the sealed length to expect: the missing chunk is noticed.
            assert_eq!(
                open_strict(&key, base, len, without_final),
                Err(SseError::Corrupt)
            );
            // Lenient (range) opening authenticates only what it got, a chunk-aligned prefix.
            let prefix = open(&key, base, len, without_final).unwrap();
            assert_eq!(prefix, &plain[..prefix.len()]);
            assert!(prefix.len() < len);
            // Length derived from the truncated blob: the new last chunk lacks the final flag.
            let guessed = plain_len(without_final.len() as u64).unwrap();
            assert_eq!(
                open(&key, base, guessed as usize, without_final),
                Err(SseError::Corrupt)
            );
            for cut in [
                1,
                5,
                TAG,
                TAG + 1,
                SEALED_CHUNK + 100,
                sealed.len() - TAG,
                sealed.len() - 1,
            ] {
                let short = &sealed[..cut];
                assert_eq!(
                    open(&key, base, len, short),
                    Err(SseError::Corrupt),
                    "cut at {cut}"
                );
                assert_eq!(
                    open_strict(&key, base, len, short),
                    Err(SseError::Corrupt),
                    "cut at {cut}"
                );
                if let Some(guessed) = plain_len(cut as u64) {
                    assert_eq!(
                        open(&key, base, guessed as usize, short),
                        Err(SseError::Corrupt),
                        "cut {cut}"
                    );
                }
            }
        }
    }

    #[test]
    fn extra_bytes_after_the_final_chunk_are_corrupt() {
        let key = Key::random();
        let base = random_nonce_base();
        let plain = pattern(CHUNK + 1);
        let mut sealed = seal(&key, base, &plain, &[CHUNK]);
        sealed.push(0);
        assert_eq!(open(&key, base, plain.len(), &sealed), Err(SseError::Corrupt));
        assert_eq!(
            open_strict(&key, base, plain.len(), &sealed),
            Err(SseError::Corrupt)
        );
    }

    #[test]
    fn swapped_chunks_are_corrupt() {
        let key = Key::random();
        let base = random_nonce_base();
        for (len, first, second) in [(3 * CHUNK + 7, 0, 1), (3 * CHUNK + 7, 1, 2), (2 * CHUNK, 0, 1)] {
            let plain = pattern(len);
            let sealed = seal(&key, base, &plain, &[CHUNK]);
            let mut swapped = sealed.clone();
            let (one, two) = (first * SEALED_CHUNK, second * SEALED_CHUNK);
            swapped[one..one + SEALED_CHUNK].copy_from_slice(&sealed[two..two + SEALED_CHUNK]);
            swapped[two..two + SEALED_CHUNK].copy_from_slice(&sealed[one..one + SEALED_CHUNK]);
            assert_eq!(
                open(&key, base, len, &swapped),
                Err(SseError::Corrupt),
                "swap {first} {second}"
            );
        }
    }

    #[test]
    fn wrong_key_or_nonce_base_is_corrupt() {
        let key = Key::random();
        let base = random_nonce_base();
        let plain = pattern(CHUNK + 3);
        let sealed = seal(&key, base, &plain, &[7]);
        assert_eq!(
            open(&Key::random(), base, plain.len(), &sealed),
            Err(SseError::Corrupt)
        );
        let mut other = base;
        other[0] ^= 1;
        assert_eq!(open(&key, other, plain.len(), &sealed), Err(SseError::Corrupt));
    }

    #[test]
    fn chunk_indexes_past_31_bits_are_too_large() {
        assert!(chunk_nonce([0; 8], u64::from(FINAL_FLAG) - 1, true).is_ok());
        assert!(matches!(
            chunk_nonce([0; 8], u64::from(FINAL_FLAG), false),
            Err(SseError::TooLarge)
        ));
        let key = Key::random();
        let huge = (MAX_CHUNKS + 2) * CHUNK_U64;
        let mut opener = Opener::new(&key, [0; 8], FINAL_FLAG, huge);
        let mut out = Vec::new();
        assert_eq!(
            opener.update(&vec![0; SEALED_CHUNK], &mut out),
            Err(SseError::TooLarge)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn keys_are_exactly_32_bytes_and_debug_hides_them() {
        assert!(Key::from_bytes(&[1; 31]).is_none());
        assert!(Key::from_bytes(&[1; 33]).is_none());
        let key = Key::from_bytes(&[0xAB; 32]).unwrap();
        assert_eq!(key.as_bytes(), &[0xAB; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.to_lowercase().contains("ab"), "{shown}");
        assert_ne!(Key::random().as_bytes(), Key::random().as_bytes());
        assert_ne!(random_nonce_base(), random_nonce_base());
    }

    #[test]
    fn wrapped_keys_round_trip_and_bind_kek_and_context() {
        let kek = Key::random();
        let data_key = Key::random();
        let wrapped = wrap_key(&kek, &data_key, b"bucket/key").unwrap();
        assert_eq!(wrapped.len(), 60);
        assert_ne!(wrap_key(&kek, &data_key, b"bucket/key").unwrap(), wrapped);
        let unwrapped = unwrap_key(&kek, &wrapped, b"bucket/key").unwrap();
        assert_eq!(unwrapped.as_bytes(), data_key.as_bytes());
        assert_eq!(
            unwrap_key(&Key::random(), &wrapped, b"bucket/key").unwrap_err(),
            SseError::Unwrap
        );
        assert_eq!(
            unwrap_key(&kek, &wrapped, b"bucket/other").unwrap_err(),
            SseError::Unwrap
        );
        assert_eq!(
            unwrap_key(&kek, &wrapped[..59], b"bucket/key").unwrap_err(),
            SseError::Unwrap
        );
        for pos in [0, 11, 12, 43, 44, 59] {
            let mut bad = wrapped.clone();
            bad[pos] ^= 0x80;
            assert_eq!(
                unwrap_key(&kek, &bad, b"bucket/key").unwrap_err(),
                SseError::Unwrap,
                "flip {pos}"
            );
        }
    }

    #[test]
    fn customer_keys_are_checked() {
        // Computed independently: base64 of 32 bytes of 7, and the base64 MD5 of those bytes.
        let key_b64 = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        let md5 = "y4HAEFCYWuvAXWFTtA1Qpg==";
        let key = customer_key("AES256", key_b64, md5).unwrap();
        assert_eq!(key.as_bytes(), &[7; 32]);
        assert_eq!(key_md5(&key), md5);
        assert_eq!(
            customer_key("AES128", key_b64, md5).unwrap_err(),
            SseError::BadAlgorithm
        );
        assert_eq!(
            customer_key("aws:kms", key_b64, md5).unwrap_err(),
            SseError::BadAlgorithm
        );
        assert_eq!(
            customer_key("", key_b64, md5).unwrap_err(),
            SseError::BadAlgorithm
        );
        // 31 bytes of 7.
        let short = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==";
        assert_eq!(customer_key("AES256", short, md5).unwrap_err(), SseError::BadKey);
        assert_eq!(
            customer_key("AES256", "not base64!", md5).unwrap_err(),
            SseError::BadKey
        );
        let other_md5 = key_md5(&Key::from_bytes(&[8; 32]).unwrap());
        assert_eq!(
            customer_key("AES256", key_b64, &other_md5).unwrap_err(),
            SseError::KeyMd5Mismatch
        );
        assert_eq!(
            customer_key("AES256", key_b64, "%%%").unwrap_err(),
            SseError::KeyMd5Mismatch
        );
        assert_eq!(
            customer_key("AES256", key_b64, "").unwrap_err(),
            SseError::KeyMd5Mismatch
        );
    }
}
