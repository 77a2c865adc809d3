//! Server-side encryption of requests: which encryption a write gets (SSE-C headers,
//! `x-amz-server-side-encryption: AES256`, or the bucket's default), the keys a read needs
//! (checking SSE-C headers against what the object was stored with), the stored form of an
//! object's encryption, and the response headers. The cryptography is `s3::sse`; the bucket
//! default is the `encryption` configuration document (Put/Get/DeleteBucketEncryption).
//! Customer keys are never stored: only their MD5 (which AWS returns) and data keys wrapped
//! under them. Must not do I/O.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::request::RequestInfo;
use crate::s3::sse::{self, Key, SseError};

/// The bucket configuration kind holding the default encryption (canonical XML).
pub const CONFIG_KIND: &str = "encryption";

/// How an object is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// SSE-S3: the data key is wrapped under the gateway's master key.
    S3,
    /// SSE-C: the data key is wrapped under the customer's key, sent with every request.
    C,
}

/// The stored form of an object's (or an upload's) encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// SSE-S3 or SSE-C.
    pub mode: Mode,
    /// The data key, wrapped (base64).
    pub wrapped: String,
    /// SSE-C: the base64 MD5 of the customer key (returned in responses).
    pub key_md5: Option<String>,
    /// The nonce base of each blob, in blob order (hex); empty for an upload.
    pub nonces: Vec<String>,
}

impl Stored {
    /// The stored form (JSON).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored form.
    ///
    /// # Errors
    /// `InternalError` for a document the gateway did not write.
    pub fn decode(text: &str) -> S3Result<Stored> {
        serde_json::from_str(text)
            .map_err(|e| S3Error::internal(format!("unreadable encryption record: {e}")))
    }

    /// The response headers naming this encryption.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self.mode {
            Mode::S3 => vec![("x-amz-server-side-encryption", "AES256".to_owned())],
            Mode::C => vec![
                (
                    "x-amz-server-side-encryption-customer-algorithm",
                    "AES256".to_owned(),
                ),
                (
                    "x-amz-server-side-encryption-customer-key-md5",
                    self.key_md5.clone().unwrap_or_default(),
                ),
            ],
        }
    }

    /// The nonce bases, decoded.
    ///
    /// # Errors
    /// `InternalError` for a malformed record.
    pub fn nonce_bases(&self) -> S3Result<Vec<[u8; 8]>> {
        self.nonces.iter().map(|n| parse_nonce(n)).collect()
    }
}

/// Reads a hex nonce base.
///
/// # Errors
/// `InternalError` when it is not 16 hex characters.
pub fn parse_nonce(text: &str) -> S3Result<[u8; 8]> {
    let mut out = [0u8; 8];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| S3Error::internal("malformed nonce in an encryption record"))?;
    Ok(out)
}

/// The encryption a write will apply: the data key, and what to store.
pub struct Write {
    /// The data key the blobs are sealed with.
    pub data_key: Key,
    /// What the record keeps (nonces are added blob by blob).
    pub stored: Stored,
}

impl Write {
    /// A new data key for `mode`, wrapped under `kek` for `context` (bucket and key).
    ///
    /// # Errors
    /// `InternalError` if the cryptography fails.
    fn new(mode: Mode, kek: &Key, key_md5: Option<String>, context: &[u8]) -> S3Result<Write> {
        let data_key = Key::random();
        let wrapped = sse::wrap_key(kek, &data_key, context).map_err(crypto_error)?;
        Ok(Write {
            data_key,
            stored: Stored {
                mode,
                wrapped: B64.encode(wrapped),
                key_md5,
                nonces: Vec::new(),
            },
        })
    }

    /// An ETag for a blob of this encryption whose plaintext MD5 is `md5`: the MD5 for SSE-S3,
    /// as AWS; for SSE-C a keyed digest, so the ETag does not reveal the plaintext's MD5.
    pub fn etag(&self, md5: &[u8; 16]) -> String {
        etag_for(self.stored.mode, &self.data_key, md5)
    }
}

/// See [`Write::etag`].
pub fn etag_for(mode: Mode, data_key: &Key, md5: &[u8; 16]) -> String {
    use hmac::Mac as _;
    match mode {
        Mode::S3 => hex::encode(md5),
        Mode::C => {
            let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(data_key.as_bytes()) else {
                return hex::encode(md5);
            };
            mac.update(md5);
            hex::encode(&mac.finalize().into_bytes()[..16])
        }
    }
}

/// The associated data binding a wrapped data key to its object.
pub fn context(bucket: &str, key: &str) -> Vec<u8> {
    format!("{bucket}/{key}").into_bytes()
}

fn crypto_error(e: SseError) -> S3Error {
    S3Error::internal(format!("encryption failed: {e}"))
}

/// The SSE-C key of a request's `prefix` headers (`x-amz-server-side-encryption-customer-`
/// or `x-amz-copy-source-server-side-encryption-customer-`), if it sends any.
///
/// # Errors
/// `InvalidArgument` for a missing, malformed or mismatched value (AWS's messages).
fn customer_key(req: &RequestInfo, prefix: &str) -> S3Result<Option<Key>> {
    let get = |name: &str| req.header(&format!("{prefix}{name}"));
    let (alg, key, md5) = (get("algorithm"), get("key"), get("key-md5"));
    if alg.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    let invalid = |msg: &str, name: &str| {
        S3Error::with_message(Code::InvalidArgument, msg.to_owned())
            .extra("ArgumentName", format!("{prefix}{name}"))
    };
    let alg = alg.ok_or_else(|| {
        invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
            "algorithm",
        )
    })?;
    let key = key.ok_or_else(|| {
        invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
            "key",
        )
    })?;
    let md5 = md5.ok_or_else(|| {
        invalid(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
            "key-MD5",
        )
    })?;
    sse::customer_key(alg.trim(), key.trim(), md5.trim())
        .map(Some)
        .map_err(|e| match e {
            SseError::BadAlgorithm => {
                invalid("The encryption algorithm specified is not valid.", "algorithm")
            }
            SseError::KeyMd5Mismatch => invalid(
                "The calculated MD5 hash of the key did not match the hash that was provided.",
                "key-MD5",
            ),
            _ => invalid("The secret key was invalid for the specified algorithm.", "key"),
        })
}

/// The encryption a write (PUT, POST, Copy destination, CreateMultipartUpload) asks for:
/// SSE-C headers, `x-amz-server-side-encryption`, or the bucket's default (`default`: its
/// stored `encryption` document). `context` binds the data key to the object.
///
/// # Errors
/// `InvalidArgument` for a bad value or both kinds at once; 501 for `aws:kms` and for SSE-S3
/// without a master key.
pub fn for_write(
    req: &RequestInfo,
    master: Option<&Key>,
    default: Option<&str>,
    context: &[u8],
) -> S3Result<Option<Write>> {
    let customer = customer_key(req, "x-amz-server-side-encryption-customer-")?;
    let asked = req.header("x-amz-server-side-encryption").map(str::trim);
    if let Some(key) = customer {
        if asked.is_some() {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            )
            .extra("ArgumentName", "x-amz-server-side-encryption"));
        }
        return Write::new(Mode::C, &key, Some(sse::key_md5(&key)), context).map(Some);
    }
    let wanted = match asked {
        Some("AES256") => true,
        Some(v) if v.starts_with("aws:kms") => {
            return Err(S3Error::not_implemented(
                "SSE-KMS (x-amz-server-side-encryption: aws:kms)",
            ))
        }
        Some(v) => {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                "The encryption method specified is not supported",
            )
            .extra("ArgumentName", "x-amz-server-side-encryption")
            .extra("ArgumentValue", v.to_owned()))
        }
        None => default.is_some(),
    };
    if !wanted {
        return Ok(None);
    }
    let master = master.ok_or_else(|| {
        S3Error::not_implemented("SSE-S3 (this gateway has no sse_master_key_file configured)")
    })?;
    Write::new(Mode::S3, master, None, context).map(Some)
}

/// The data key of a stored object (or upload) for a read, checking the request's SSE-C
/// headers (`prefix`: the plain or the `x-amz-copy-source-` ones) against how it was stored.
///
/// # Errors
/// `InvalidRequest` when SSE-C headers are missing for an SSE-C object or sent for another;
/// `AccessDenied` for the wrong customer key; `InternalError` for an unreadable record or a
/// missing master key.
pub fn data_key(
    req: &RequestInfo,
    prefix: &str,
    stored: Option<&Stored>,
    master: Option<&Key>,
    context: &[u8],
) -> S3Result<Option<Key>> {
    let customer = customer_key(req, prefix)?;
    let Some(stored) = stored else {
        if customer.is_some() {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                "The encryption parameters are not applicable to this object.",
            ));
        }
        return Ok(None);
    };
    let wrapped = B64
        .decode(&stored.wrapped)
        .map_err(|_| S3Error::internal("malformed wrapped key in an encryption record"))?;
    let kek = match (stored.mode, customer) {
        (Mode::C, Some(key)) => {
            if stored.key_md5.as_deref() != Some(sse::key_md5(&key).as_str()) {
                return Err(S3Error::with_message(
                    Code::AccessDenied,
                    "The provided customer key does not match the key the object was stored with.",
                ));
            }
            key
        }
        (Mode::C, None) => {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
            ))
        }
        (Mode::S3, Some(_)) => {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                "The encryption parameters are not applicable to this object.",
            ))
        }
        (Mode::S3, None) => master
            .cloned()
            .ok_or_else(|| S3Error::internal("an SSE-S3 object, and no sse_master_key_file to open it"))?,
    };
    sse::unwrap_key(&kek, &wrapped, context).map(Some).map_err(|_| {
        S3Error::with_message(
            Code::AccessDenied,
            "The object's data key cannot be opened with this key.",
        )
    })
}

/// Reads a `ServerSideEncryptionConfiguration` (PutBucketEncryption): the one rule must be
/// `AES256` (`aws:kms` answers 501); returns the canonical document.
///
/// # Errors
/// `MalformedXML` for a document without exactly one rule; `InvalidArgument` for another
/// algorithm.
pub fn parse_default(doc: &[u8]) -> S3Result<String> {
    let conf = crate::s3::xml::ServerSideEncryptionConfiguration::from_xml(doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    match conf
        .rule
        .apply_server_side_encryption_by_default
        .sse_algorithm
        .as_str()
    {
        "AES256" => Ok(conf.to_xml()),
        a if a.starts_with("aws:kms") => Err(S3Error::not_implemented("SSE-KMS bucket default encryption")),
        other => Err(S3Error::with_message(
            Code::InvalidArgument,
            "The encryption method specified is not supported",
        )
        .extra("ArgumentName", "SSEAlgorithm")
        .extra("ArgumentValue", other.to_owned())),
    }
}
