//! The S3 API: one pipeline for every request (DESIGN §2): route -> authenticate -> decode the
//! body -> authorize (once, `access`) -> handle. Owns the shared state handed to handlers ([`AppState`], [`Ctx`]).
//! Must not depend on the HTTP framework: `crate::http` adapts actix to [`handle`].

pub mod access;
pub mod acl;
pub mod body;
pub mod checksum;
pub mod chunked;
pub mod cors;
pub mod dates;
pub mod encryption;
pub mod error;
pub mod handlers;
pub mod lifecycle;
pub mod policy;
pub mod post_object;
pub mod request;
pub mod response;
pub mod router;
pub mod sigv2;
pub mod sigv4;
pub mod sse;
pub mod xml;

use std::sync::Arc;
use std::time::SystemTime;

use metadata::{BucketRecord, Registry};

use crate::blocking;
use crate::config::{Config, User};
use crate::store::BlobStore;
use body::{BodyStream, RequestBody};
use error::{Code, S3Error, S3Result};
use request::RequestInfo;
use response::S3Response;
use router::Endpoint;

/// Everything a request may need, shared by all workers.
pub struct AppState {
    /// Resolved configuration.
    pub config: Config,
    /// The registry (bucket and object records).
    pub registry: Registry,
    /// The blob stores, one per volume (`store::Stores`); a bucket's is [`Ctx::store`].
    pub stores: crate::store::Stores,
    /// The memory upload bodies may hold on their way to the store.
    pub budget: body::UploadBudget,
    /// The Prometheus series of this gateway (requests are recorded by [`handle`]).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The event hub: history, live fan-out, the gateway's own S3 events (`events`).
    pub events: crate::events::Events,
    /// Requests and errors per minute over the last hour, for the console (`console::rates`).
    pub rates: Arc<crate::console::rates::Rates>,
}

/// One authorized request in progress.
pub struct Ctx {
    /// Shared state.
    pub state: Arc<AppState>,
    /// The request.
    pub req: RequestInfo,
    /// The caller: a configured user, or [`User::anonymous`] for an unsigned request.
    pub user: User,
    /// True for an unsigned request.
    pub anonymous: bool,
    /// The addressed bucket's record and access settings, read once by the authorization step
    /// (none for ListBuckets and CreateBucket).
    pub access: Option<access::BucketAccess>,
    /// An object ACL permission the addressed object must grant, checked when the handler
    /// reads the object ([`Ctx::bucket_and_object`]).
    pending: Option<acl::Permission>,
}

impl Ctx {
    /// The authorization step: builds the context of a request the caller may make, reading
    /// the addressed bucket once (and the object, when only its ACL can allow the request).
    /// `NoSuchBucket` for an absent bucket, `AccessDenied` when nothing allows the request.
    pub async fn authorize(
        state: Arc<AppState>,
        req: RequestInfo,
        user: Option<User>,
        endpoint: &Endpoint,
    ) -> S3Result<Ctx> {
        let anonymous = user.is_none();
        let mut ctx = Ctx {
            state,
            req,
            user: user.unwrap_or_else(User::anonymous),
            anonymous,
            access: None,
            pending: None,
        };
        let action = access::action(endpoint, &ctx.req);
        let (bucket, key) = endpoint.target();
        let Some(name) = bucket else {
            // ListBuckets lists the caller's own buckets: any user, no anonymous caller.
            return if anonymous && !matches!(endpoint, Endpoint::Unsupported { .. }) {
                Err(S3Error::new(Code::AccessDenied))
            } else {
                Ok(ctx)
            };
        };
        match endpoint {
            Endpoint::CreateBucket { .. } if anonymous => return Err(S3Error::new(Code::AccessDenied)),
            Endpoint::CreateBucket { .. }
            | Endpoint::Unsupported { .. }
            | Endpoint::PreflightRequest { .. } => return Ok(ctx),
            _ => {}
        }
        let reg = ctx.state.registry.clone();
        let n = name.to_owned();
        let b = blocking::try_run(move || Ok(reg.get_bucket(&n)?)).await?;
        let b = b.ok_or_else(|| no_such_bucket(name))?;
        let access = access::BucketAccess::new(b);
        // DeleteObjects is decided key by key, by its handler (`Ctx::may`).
        let key = if matches!(endpoint, Endpoint::DeleteObjects { .. }) {
            None
        } else {
            key
        };
        let verdict = match endpoint {
            Endpoint::DeleteObjects { .. } => access::Verdict::Allowed,
            _ => access.decide(ctx.principal(), action, key, &ctx.req),
        };
        match verdict {
            access::Verdict::Allowed => {}
            access::Verdict::Denied => return Err(S3Error::new(Code::AccessDenied)),
            access::Verdict::ObjectAcl(wanted) => ctx.pending = Some(wanted),
        }
        ctx.access = Some(access);
        Ok(ctx)
    }

    /// The caller, `None` when anonymous.
    pub fn principal(&self) -> Option<&User> {
        (!self.anonymous).then_some(&self.user)
    }

    /// True if the caller may do `action` on `key` of the addressed bucket, as far as the
    /// bucket policy, owner and bucket ACL decide (DeleteObjects, key by key).
    pub fn may(&self, action: &str, key: &str) -> bool {
        self.access.as_ref().is_some_and(|a| {
            a.decide(self.principal(), action, Some(key), &self.req) == access::Verdict::Allowed
        })
    }

    /// The addressed bucket, as read and authorized by [`Ctx::authorize`].
    pub fn bucket(&self, name: &str) -> S3Result<BucketRecord> {
        if self.pending.is_some() {
            return Err(S3Error::new(Code::AccessDenied));
        }
        self.authorized_bucket(name)
    }

    fn authorized_bucket(&self, name: &str) -> S3Result<BucketRecord> {
        match &self.access {
            Some(a) if a.bucket.name == name => Ok(a.bucket.clone()),
            _ => Err(S3Error::internal(format!(
                "bucket {name} was not authorized for this request"
            ))),
        }
    }

    /// The addressed bucket and an object record in it: version `version` (S3 form) when
    /// given, else the latest version, which in a versioned bucket may be a delete marker.
    /// Completes the authorization when the object's ACL decides it: `AccessDenied` unless
    /// it grants the permission; a missing object is reported (as `None`) only to a caller who
    /// may list the bucket.
    pub async fn bucket_and_object(
        &self,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> S3Result<(BucketRecord, Option<metadata::ObjectRecord>)> {
        let b = self.authorized_bucket(name)?;
        let rec = self.lookup(&b, key, version).await?;
        if let (Some(wanted), Some(access)) = (self.pending, &self.access) {
            self.object_acl_check(access, rec.as_ref(), wanted)?;
        }
        Ok((b, rec))
    }

    /// The object-level half of a decision: `rec`'s ACL must grant `wanted`; a missing object
    /// (or a delete marker) is reported only to a caller who may list the bucket.
    fn object_acl_check(
        &self,
        access: &access::BucketAccess,
        rec: Option<&metadata::ObjectRecord>,
        wanted: acl::Permission,
    ) -> S3Result<()> {
        let allowed = match rec {
            Some(r) if !r.delete_marker => access.object_allows(self.principal(), r, wanted),
            _ => {
                access.decide(self.principal(), "s3:ListBucket", None, &self.req) == access::Verdict::Allowed
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(S3Error::new(Code::AccessDenied))
        }
    }

    /// A copy source: bucket `name` and its object `key` (version `version`), which the caller
    /// must be allowed to read (`s3:GetObject`, or `s3:GetObjectVersion` for a named version).
    pub async fn copy_source(
        &self,
        name: &str,
        key: &str,
        version: Option<&str>,
    ) -> S3Result<(BucketRecord, Option<metadata::ObjectRecord>)> {
        let reg = self.state.registry.clone();
        let n = name.to_owned();
        let b = blocking::try_run(move || Ok(reg.get_bucket(&n)?))
            .await?
            .ok_or_else(|| no_such_bucket(name))?;
        let access = access::BucketAccess::new(b);
        let action = if version.is_some() {
            "s3:GetObjectVersion"
        } else {
            "s3:GetObject"
        };
        let rec = self.lookup(&access.bucket, key, version).await?;
        match access.decide(self.principal(), action, Some(key), &self.req) {
            access::Verdict::Allowed => {}
            access::Verdict::Denied => return Err(S3Error::new(Code::AccessDenied)),
            access::Verdict::ObjectAcl(wanted) => self.object_acl_check(&access, rec.as_ref(), wanted)?,
        }
        Ok((access.bucket, rec))
    }

    /// Reads object `key` of bucket `b`: version `version` when given, else the latest.
    async fn lookup(
        &self,
        b: &BucketRecord,
        key: &str,
        version: Option<&str>,
    ) -> S3Result<Option<metadata::ObjectRecord>> {
        let reg = self.state.registry.clone();
        let (id, versioning, k) = (b.id, b.versioning, key.as_bytes().to_vec());
        let version = version.map(str::to_owned);
        blocking::try_run(move || {
            Ok(match &version {
                Some(v) => reg.get_version(id, &k, v)?,
                None if versioning == metadata::Versioning::Unversioned => reg.get_object(id, &k)?,
                None => reg.latest_version(id, &k)?,
            })
        })
        .await
    }

    /// The blob store of bucket `b`'s volume: 503 when this gateway does not serve that volume
    /// (a registry shared with a gateway configured with more volumes).
    pub fn store(&self, b: &BucketRecord) -> S3Result<BlobStore> {
        self.state.stores.get(&b.volume).cloned().ok_or_else(|| {
            S3Error::unavailable(format!(
                "The bucket's volume {} is not served by this gateway.",
                b.volume
            ))
        })
    }

    /// The blob store holding object `rec`'s blobs (its bucket's volume): 503 as [`Ctx::store`].
    pub fn blobs_store(&self, rec: &metadata::ObjectRecord) -> S3Result<BlobStore> {
        let volume = rec.blobs.first().map_or("", |b| b.volume.as_str());
        self.state.stores.get(volume).cloned().ok_or_else(|| {
            S3Error::unavailable(format!(
                "The object's volume {volume} is not served by this gateway."
            ))
        })
    }
}

/// `NoSuchBucket` naming `name`.
fn no_such_bucket(name: &str) -> S3Error {
    S3Error::new(Code::NoSuchBucket)
        .resource(format!("/{name}"))
        .extra("BucketName", name.to_owned())
}

/// Runs one request through the pipeline, and records it in the metrics: by operation (the
/// routed [`Endpoint::name`], or `Unknown` when routing failed), status class, S3 error code,
/// duration to the response head, and body bytes in and out.
pub async fn handle(state: Arc<AppState>, req: RequestInfo, raw_body: BodyStream) -> S3Result<S3Response> {
    let metrics = state.metrics.clone();
    let rates = state.rates.clone();
    let _in_flight = metrics.in_flight();
    let started = std::time::Instant::now();
    let mut operation = crate::metrics::UNKNOWN_OPERATION;
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = received.clone();
    let raw_body: BodyStream = Box::pin(futures_util::StreamExt::inspect(raw_body, move |item| {
        if let Ok(b) = item {
            counted.fetch_add(b.len() as u64, std::sync::atomic::Ordering::Relaxed);
        }
    }));
    // A browser's request from another origin gets the bucket's CORS headers, errors included.
    let origin = req.header("origin").map(str::to_owned);
    let method = req.method.as_str().to_owned();
    let mut routed_bucket = None;
    let cors_state = state.clone();
    let mut result = run(state, req, raw_body, &mut operation, &mut routed_bucket).await;
    if let (Some(origin), Some(bucket)) = (origin, routed_bucket) {
        add_cors_headers(&cors_state, &bucket, &origin, &method, &mut result).await;
    }
    let (status, code) = match &result {
        Ok(r) => (r.status, None),
        Err(e) => (e.status(), Some(e.code)),
    };
    metrics.request(operation, status, code, started.elapsed());
    rates.record(status);
    metrics
        .bytes_received(operation)
        .inc_by(received.load(std::sync::atomic::Ordering::Relaxed));
    if let Ok(r) = &mut result {
        let sent = metrics.bytes_sent(operation);
        match &mut r.body {
            response::Body::Full(b) => sent.inc_by(b.len() as u64),
            response::Body::Stream { stream, .. } => {
                let inner = std::mem::replace(stream, Box::pin(futures_util::stream::empty()));
                *stream = Box::pin(futures_util::StreamExt::inspect(inner, move |item| {
                    if let Ok(b) = item {
                        sent.inc_by(b.len() as u64);
                    }
                }));
            }
            response::Body::Empty | response::Body::HeadOnly(_) => {}
        }
    }
    result
}

/// Adds the `Access-Control-*` headers of the bucket's first CORS rule that allows `method`
/// from `origin` to a response or an error. A bucket that cannot be read adds nothing.
async fn add_cors_headers(
    state: &AppState,
    bucket: &str,
    origin: &str,
    method: &str,
    result: &mut S3Result<S3Response>,
) {
    let reg = state.registry.clone();
    let n = bucket.to_owned();
    let Ok(Some(b)) = blocking::try_run(move || Ok(reg.get_bucket(&n)?)).await else {
        return;
    };
    let Some(conf) = cors::stored(b.config(cors::CONFIG_KIND)) else {
        return;
    };
    let Some(rule) = cors::matching(&conf, origin, method, &[]) else {
        return;
    };
    for (name, value) in cors::headers(rule, origin, None) {
        match result {
            Ok(r) => r.headers.push((name.into(), value)),
            Err(e) => e.headers.push((name, value)),
        }
    }
}

/// The pipeline; sets `operation` once the request is routed, and `routed_bucket` to the
/// addressed bucket (for its CORS headers).
async fn run(
    state: Arc<AppState>,
    req: RequestInfo,
    raw_body: BodyStream,
    operation: &mut &'static str,
    routed_bucket: &mut Option<String>,
) -> S3Result<S3Response> {
    // A client that stops sending its body mid-way fails with RequestTimeout instead of
    // holding its connection, its temp file and its share of the upload budget forever.
    let raw_body: BodyStream = Box::pin(body::ReadTimeout::new(raw_body, state.config.body_read_timeout));
    let endpoint = router::route(&req, &state.config.domains)?;
    *operation = endpoint.name();
    if !matches!(endpoint, Endpoint::PreflightRequest { .. }) {
        *routed_bucket = endpoint.target().0.map(str::to_owned);
    }
    if let Endpoint::PostObject { bucket } = &endpoint {
        // A browser form upload carries its credentials in the form, not in headers: it
        // authenticates itself from the body.
        return post_object::post_object(state, req, bucket, raw_body).await;
    }
    if let Endpoint::PreflightRequest { bucket, .. } = &endpoint {
        // A preflight is never authenticated, even when it carries a presigned URL's query
        // (browsers send the URL as it is): it only reads the bucket's CORS rules.
        let ctx = Ctx::authorize(state, req, None, &endpoint).await?;
        return handlers::cors::preflight(&ctx, bucket).await;
    }
    let (user, body) = authenticate(&state, &req, raw_body)?;
    let mut req = req;
    if req.is_presigned() {
        req.adopt_signed_query_headers();
    }
    let ctx = Ctx::authorize(state, req, user, &endpoint).await?;
    dispatch(&ctx, endpoint, body).await
}

/// The most an HTTP chunked body without Content-Length may carry: AWS's largest single PUT.
const MAX_CHUNKED_BODY: u64 = 5 << 30;

/// True if a request carries no credentials at all: an anonymous request, which the
/// authorization step allows only where a grant or a policy lets everyone in.
fn is_unsigned(req: &RequestInfo) -> bool {
    req.header("authorization").is_none()
        && [
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Algorithm",
            "Signature",
            "AWSAccessKeyId",
        ]
        .iter()
        .all(|q| req.query(q).is_none())
}

/// Checks the signature and sets up the body checks it implies; `None` for an unsigned
/// request, whose body gets only the plain length checks.
fn authenticate(
    state: &AppState,
    req: &RequestInfo,
    raw_body: BodyStream,
) -> S3Result<(Option<User>, RequestBody)> {
    if is_unsigned(req) {
        return Ok((None, plain_body(req, raw_body)?));
    }
    // Signatures cover the text the client signed (see `request::header_text`).
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), request::header_text(v)))
        .collect();
    let secret = |ak: &str| state.config.user(ak).map(|u| u.secret_key.clone());
    let config = &state.config;
    let verified = if config.sigv2 && sigv2::is_sigv2(&headers, &req.raw_query) {
        let vhost_bucket = router::vhost_bucket(req, &config.domains);
        let sreq = sigv2::Request {
            method: req.method.as_str(),
            raw_path: &req.raw_path,
            raw_query: &req.raw_query,
            headers: &headers,
            vhost_bucket: vhost_bucket.as_deref(),
        };
        sigv2::verify(&sreq, SystemTime::now(), secret)
    } else {
        // With SigV2 off, sigv4 answers a SigV2 request with 400 InvalidRequest.
        let sreq = sigv4::Request {
            method: req.method.as_str(),
            raw_path: &req.raw_path,
            raw_query: &req.raw_query,
            headers: &headers,
        };
        sigv4::verify_with(
            &sreq,
            &config.region,
            config.region_agnostic,
            SystemTime::now(),
            secret,
        )
    }
    .map_err(|e| auth_error(&e))?;
    let user = state
        .config
        .user(&verified.access_key)
        .cloned()
        .ok_or_else(|| S3Error::new(Code::InvalidAccessKeyId))?;
    let body = match verified.payload {
        sigv4::Payload::Unsigned => plain_body(req, raw_body)?,
        sigv4::Payload::Sha256(h) => {
            let mut b = plain_body(req, raw_body)?;
            b.sha256 = Some(h);
            b
        }
        sigv4::Payload::Streaming(signer) => {
            chunked::request_body(raw_body, chunked::Mode::Signed(signer), req)?
        }
        sigv4::Payload::StreamingTrailer(signer) => {
            chunked::request_body(raw_body, chunked::Mode::SignedTrailer(signer), req)?
        }
        sigv4::Payload::StreamingUnsignedTrailer => {
            chunked::request_body(raw_body, chunked::Mode::UnsignedTrailer, req)?
        }
    };
    Ok((Some(user), body))
}

/// The body of a request without aws-chunked framing: bounded by Content-Length, or, with
/// HTTP chunked framing (already removed by actix) and no Content-Length, capped as it
/// streams.
fn plain_body(req: &RequestInfo, raw_body: BodyStream) -> S3Result<RequestBody> {
    let content_length = match req.header("content-length") {
        Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
            S3Error::with_message(Code::InvalidArgument, "Content-Length is not a number")
                .extra("ArgumentName", "Content-Length")
        })?),
        None => None,
    };
    let chunked = content_length.is_none()
        && req
            .header("transfer-encoding")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("chunked")));
    let mut b = if chunked {
        RequestBody::new(body::capped(raw_body, MAX_CHUNKED_BODY), None)
    } else {
        RequestBody::new(raw_body, content_length)
    };
    b.chunked = chunked;
    Ok(b)
}

/// Maps a signature failure to the S3 error, with AWS's extra elements.
fn auth_error(e: &sigv4::AuthError) -> S3Error {
    let code = Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == e.code())
        .unwrap_or(Code::AccessDenied);
    let mut err = S3Error::with_message(code, e.message());
    err.extra = e.details();
    err
}

async fn dispatch(ctx: &Ctx, endpoint: Endpoint, body: RequestBody) -> S3Result<S3Response> {
    use handlers::{
        attributes, bucket, copy, delete_objects, lifecycle, list, multipart, object, object_lock, tagging,
        versioning,
    };
    match endpoint {
        Endpoint::ListBuckets => bucket::list_buckets(ctx).await,
        Endpoint::CreateBucket { bucket } => bucket::create_bucket(ctx, &bucket, body).await,
        Endpoint::DeleteBucket { bucket } => bucket::delete_bucket(ctx, &bucket).await,
        Endpoint::HeadBucket { bucket } => bucket::head_bucket(ctx, &bucket).await,
        Endpoint::GetBucketLocation { bucket } => bucket::get_bucket_location(ctx, &bucket).await,
        Endpoint::GetBucketVersioning { bucket } => versioning::get_bucket_versioning(ctx, &bucket).await,
        Endpoint::PutBucketVersioning { bucket } => {
            versioning::put_bucket_versioning(ctx, &bucket, body).await
        }
        Endpoint::PutBucketLifecycleConfiguration { bucket } => {
            lifecycle::put_bucket_lifecycle_configuration(ctx, &bucket, body).await
        }
        Endpoint::GetBucketLifecycleConfiguration { bucket } => {
            lifecycle::get_bucket_lifecycle_configuration(ctx, &bucket).await
        }
        Endpoint::DeleteBucketLifecycleConfiguration { bucket } => {
            lifecycle::delete_bucket_lifecycle_configuration(ctx, &bucket).await
        }
        Endpoint::GetObjectAttributes { bucket, key } => {
            attributes::get_object_attributes(ctx, &bucket, &key).await
        }
        Endpoint::PutObjectLockConfiguration { bucket } => {
            object_lock::put_object_lock_configuration(ctx, &bucket, body).await
        }
        Endpoint::GetObjectLockConfiguration { bucket } => {
            object_lock::get_object_lock_configuration(ctx, &bucket).await
        }
        Endpoint::PutObjectRetention { bucket, key } => {
            object_lock::put_object_retention(ctx, &bucket, &key, body).await
        }
        Endpoint::GetObjectRetention { bucket, key } => {
            object_lock::get_object_retention(ctx, &bucket, &key).await
        }
        Endpoint::PutObjectLegalHold { bucket, key } => {
            object_lock::put_object_legal_hold(ctx, &bucket, &key, body).await
        }
        Endpoint::GetObjectLegalHold { bucket, key } => {
            object_lock::get_object_legal_hold(ctx, &bucket, &key).await
        }
        Endpoint::ListObjects { bucket } => list::list_objects(ctx, &bucket).await,
        Endpoint::ListObjectsV2 { bucket } => list::list_objects_v2(ctx, &bucket).await,
        Endpoint::ListObjectVersions { bucket } => list::list_object_versions(ctx, &bucket).await,
        Endpoint::DeleteObjects { bucket } => delete_objects::delete_objects(ctx, &bucket, body).await,
        Endpoint::PutObject { bucket, key } => object::put_object(ctx, &bucket, &key, body).await,
        Endpoint::GetObject { bucket, key } => object::get_object(ctx, &bucket, &key).await,
        Endpoint::HeadObject { bucket, key } => object::head_object(ctx, &bucket, &key).await,
        Endpoint::DeleteObject { bucket, key } => object::delete_object(ctx, &bucket, &key).await,
        Endpoint::CopyObject { bucket, key } => copy::copy_object(ctx, &bucket, &key).await,
        Endpoint::CreateMultipartUpload { bucket, key } => {
            multipart::create_multipart_upload(ctx, &bucket, &key).await
        }
        Endpoint::UploadPart { bucket, key } => multipart::upload_part(ctx, &bucket, &key, body).await,
        Endpoint::UploadPartCopy { bucket, key } => multipart::upload_part_copy(ctx, &bucket, &key).await,
        Endpoint::CompleteMultipartUpload { bucket, key } => {
            multipart::complete_multipart_upload(ctx, &bucket, &key, body).await
        }
        Endpoint::AbortMultipartUpload { bucket, key } => {
            multipart::abort_multipart_upload(ctx, &bucket, &key).await
        }
        Endpoint::ListParts { bucket, key } => multipart::list_parts(ctx, &bucket, &key).await,
        Endpoint::ListMultipartUploads { bucket } => multipart::list_multipart_uploads(ctx, &bucket).await,
        Endpoint::PutObjectTagging { bucket, key } => {
            tagging::put_object_tagging(ctx, &bucket, &key, body).await
        }
        Endpoint::GetObjectTagging { bucket, key } => tagging::get_object_tagging(ctx, &bucket, &key).await,
        Endpoint::DeleteObjectTagging { bucket, key } => {
            tagging::delete_object_tagging(ctx, &bucket, &key).await
        }
        Endpoint::PutBucketTagging { bucket } => tagging::put_bucket_tagging(ctx, &bucket, body).await,
        Endpoint::GetBucketTagging { bucket } => tagging::get_bucket_tagging(ctx, &bucket).await,
        Endpoint::DeleteBucketTagging { bucket } => tagging::delete_bucket_tagging(ctx, &bucket).await,
        other => dispatch_access(ctx, other, body).await,
    }
}

/// The access-control operations: ACLs, ownership, policies, public access block, CORS.
async fn dispatch_access(ctx: &Ctx, endpoint: Endpoint, body: RequestBody) -> S3Result<S3Response> {
    use handlers::{acl, cors, encryption, policy};
    match endpoint {
        Endpoint::GetBucketAcl { bucket } => acl::get_bucket_acl(ctx, &bucket).await,
        Endpoint::PutBucketAcl { bucket } => acl::put_bucket_acl(ctx, &bucket, body).await,
        Endpoint::GetObjectAcl { bucket, key } => acl::get_object_acl(ctx, &bucket, &key).await,
        Endpoint::PutObjectAcl { bucket, key } => acl::put_object_acl(ctx, &bucket, &key, body).await,
        Endpoint::GetBucketOwnershipControls { bucket } => {
            acl::get_bucket_ownership_controls(ctx, &bucket).await
        }
        Endpoint::PutBucketOwnershipControls { bucket } => {
            acl::put_bucket_ownership_controls(ctx, &bucket, body).await
        }
        Endpoint::DeleteBucketOwnershipControls { bucket } => {
            acl::delete_bucket_ownership_controls(ctx, &bucket).await
        }
        Endpoint::PutBucketPolicy { bucket } => policy::put_bucket_policy(ctx, &bucket, body).await,
        Endpoint::GetBucketPolicy { bucket } => policy::get_bucket_policy(ctx, &bucket).await,
        Endpoint::DeleteBucketPolicy { bucket } => policy::delete_bucket_policy(ctx, &bucket).await,
        Endpoint::GetBucketPolicyStatus { bucket } => policy::get_bucket_policy_status(ctx, &bucket).await,
        Endpoint::PutPublicAccessBlock { bucket } => {
            policy::put_public_access_block(ctx, &bucket, body).await
        }
        Endpoint::GetPublicAccessBlock { bucket } => policy::get_public_access_block(ctx, &bucket).await,
        Endpoint::DeletePublicAccessBlock { bucket } => {
            policy::delete_public_access_block(ctx, &bucket).await
        }
        Endpoint::PutBucketCors { bucket } => cors::put_bucket_cors(ctx, &bucket, body).await,
        Endpoint::GetBucketCors { bucket } => cors::get_bucket_cors(ctx, &bucket).await,
        Endpoint::DeleteBucketCors { bucket } => cors::delete_bucket_cors(ctx, &bucket).await,
        Endpoint::PutBucketEncryption { bucket } => {
            encryption::put_bucket_encryption(ctx, &bucket, body).await
        }
        Endpoint::GetBucketEncryption { bucket } => encryption::get_bucket_encryption(ctx, &bucket).await,
        Endpoint::DeleteBucketEncryption { bucket } => {
            encryption::delete_bucket_encryption(ctx, &bucket).await
        }
        other => Err(S3Error::not_implemented(other.name())),
    }
}
