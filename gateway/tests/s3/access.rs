//! Access control through the SDK, with three users and anonymous (unsigned) requests: canned
//! ACLs and grants on buckets and objects, ACL documents, object ownership, bucket policies
//! (principals, Deny over Allow, conditions, malformed documents), the public access block,
//! DeleteObjects key by key, and copy sources.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, Delete, Grant, Grantee, ObjectCannedAcl, ObjectIdentifier,
    ObjectOwnership, Owner, OwnershipControls, OwnershipControlsRule, Permission,
    PublicAccessBlockConfiguration, Type,
};
use aws_sdk_s3::Client;

use crate::common::{bucket, code, Gw, AK2, AK3, SK2, SK3};

const OWNER: &str = "owner-one";
const OTHER: &str = AK2; // the second user has no owner id: its access key is its canonical id
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

/// The HTTP status of a failed call (HEAD errors have no code, only a status).
fn status<E, R: std::fmt::Debug>(e: &SdkError<E, aws_smithy_runtime_api::http::Response<R>>) -> u16 {
    e.raw_response().map_or(0, |r| r.status().as_u16())
}

/// Asserts that a call was refused with `AccessDenied` (403).
macro_rules! denied {
    ($call:expr, $what:expr) => {{
        match $call.send().await {
            Ok(_) => panic!("{} was allowed", $what),
            Err(e) => {
                assert_eq!(status(&e), 403, "{}: {e:?}", $what);
                if let Some(c) = code(&e) {
                    assert_eq!(c, "AccessDenied", "{}", $what);
                }
            }
        }
    }};
}

/// Asserts that a call succeeded.
macro_rules! allowed {
    ($call:expr, $what:expr) => {{
        $call
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} was refused: {e:?}", $what))
    }};
}

struct Users {
    one: Client,
    two: Client,
    three: Client,
    anon: Client,
}

fn users(gw: &Gw) -> Users {
    let path = !crate::common::vhost_run();
    Users {
        one: gw.client(),
        two: gw.client_as(AK2, SK2, path),
        three: gw.client_as(AK3, SK3, path),
        anon: gw.anonymous(),
    }
}

async fn put(c: &Client, b: &str, k: &str) {
    c.put_object()
        .bucket(b)
        .key(k)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {b}/{k}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn canned_acls_open_buckets_and_objects() {
    let gw = Gw::start().await;
    let u = users(&gw);
    let b = bucket("acl-canned");
    u.one.create_bucket().bucket(&b).send().await.unwrap();
    put(&u.one, &b, "private.txt").await;

    // Private by default: nobody but the owner.
    for (c, who) in [(&u.two, "user2"), (&u.anon, "anonymous")] {
        denied!(
            c.get_object().bucket(&b).key("private.txt"),
            format!("{who} GetObject")
        );
        denied!(
            c.head_object().bucket(&b).key("private.txt"),
            format!("{who} HeadObject")
        );
        denied!(c.list_objects_v2().bucket(&b), format!("{who} ListObjectsV2"));
        denied!(
            c.put_object()
                .bucket(&b)
                .key("x")
                .body(ByteStream::from_static(b"x")),
            format!("{who} PutObject")
        );
        denied!(c.get_bucket_acl().bucket(&b), format!("{who} GetBucketAcl"));
    }
    denied!(u.anon.list_buckets(), "anonymous ListBuckets");
    denied!(
        u.anon.create_bucket().bucket(bucket("anon")),
        "anonymous CreateBucket"
    );
    let missing = u
        .anon
        .get_object()
        .bucket(bucket("missing"))
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing).as_deref(), Some("NoSuchBucket"));

    object_canned_acls(&u, &b).await;
    bucket_canned_acls(&u, &b).await;
    gw.stop().await;
}

fn grant(id: Option<&str>, uri: Option<&str>, p: Permission) -> Grant {
    let grantee = match (id, uri) {
        (Some(id), _) => Grantee::builder()
            .r#type(Type::CanonicalUser)
            .id(id)
            .build()
            .unwrap(),
        (None, Some(uri)) => Grantee::builder().r#type(Type::Group).uri(uri).build().unwrap(),
        (None, None) => unreachable!(),
    };
    Grant::builder().grantee(grantee).permission(p).build()
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_documents_and_object_ownership() {
    let gw = Gw::start().await;
    let u = users(&gw);
    let b = bucket("acl-grants");
    u.one.create_bucket().bucket(&b).send().await.unwrap();

    // Grant headers: READ to user2 lets user2 list; user3 still cannot.
    u.one
        .put_bucket_acl()
        .bucket(&b)
        .grant_read(format!("id=\"{OTHER}\""))
        .grant_write(format!("id=\"{OTHER}\""))
        .grant_full_control(format!("id=\"{OWNER}\""))
        .send()
        .await
        .unwrap();
    allowed!(u.two.list_objects_v2().bucket(&b), "user2 list with READ");
    denied!(u.three.list_objects_v2().bucket(&b), "user3 list");
    let acl = u.one.get_bucket_acl().bucket(&b).send().await.unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(OWNER));
    let mut perms: Vec<(String, String)> = acl
        .grants()
        .iter()
        .map(|g| {
            let who = g.grantee().and_then(|x| x.id()).unwrap_or_default().to_owned();
            (
                who,
                g.permission().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    perms.sort();
    assert_eq!(
        perms,
        vec![
            (OTHER.to_owned(), "READ".to_owned()),
            (OTHER.to_owned(), "WRITE".to_owned()),
            (OWNER.to_owned(), "FULL_CONTROL".to_owned()),
        ]
    );
    // An unknown canonical id is refused.
    let e = u
        .one
        .put_bucket_acl()
        .bucket(&b)
        .grant_read("id=\"nobody\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));

    object_writers(&u, &b).await;
    acl_documents(&u, &b).await;
    bucket_owner_enforced(&u, &b).await;
    gw.stop().await;
}

async fn set_policy(c: &Client, b: &str, doc: &str) {
    c.put_bucket_policy()
        .bucket(b)
        .policy(doc.replace("BKT", b))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutBucketPolicy {doc}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_policies_decide_with_deny_over_allow() {
    let gw = Gw::start().await;
    let u = users(&gw);
    let b = bucket("policy");
    u.one.create_bucket().bucket(&b).send().await.unwrap();
    for k in ["public/a.txt", "public/secret/b.txt", "private/c.txt"] {
        put(&u.one, &b, k).await;
    }
    let e = u.one.get_bucket_policy().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucketPolicy"));

    // Anyone may read public/, except public/secret/ (an explicit Deny, even for the owner).
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BKT/public/*"},
        {"Sid":"no","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BKT/public/secret/*"}]}"#;
    set_policy(&u.one, &b, doc).await;
    allowed!(
        u.anon.get_object().bucket(&b).key("public/a.txt"),
        "anonymous GET public/"
    );
    denied!(
        u.anon.get_object().bucket(&b).key("private/c.txt"),
        "anonymous GET private/"
    );
    denied!(
        u.two.get_object().bucket(&b).key("public/secret/b.txt"),
        "user2 GET public/secret/"
    );
    denied!(
        u.one.get_object().bucket(&b).key("public/secret/b.txt"),
        "owner GET under a Deny"
    );
    let got: serde_json::Value = serde_json::from_str(
        u.one
            .get_bucket_policy()
            .bucket(&b)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let sent: serde_json::Value = serde_json::from_str(&doc.replace("BKT", &b)).unwrap();
    assert_eq!(got, sent);
    let status = u.one.get_bucket_policy_status().bucket(&b).send().await.unwrap();
    assert_eq!(
        status
            .policy_status()
            .and_then(aws_sdk_s3::types::PolicyStatus::is_public),
        Some(true)
    );
    denied!(
        u.two
            .put_bucket_policy()
            .bucket(&b)
            .policy(doc.replace("BKT", &b)),
        "user2 PutBucketPolicy"
    );

    // Named principals, a prefix condition, NotAction; a Deny-all cannot lock the owner out of
    // the policy itself.
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":["GLOTHERACCESSKEY"]},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::BKT",
         "Condition":{"StringEquals":{"s3:prefix":"public/"}}},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::owner-three:root"},"NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::BKT/*"}]}"#;
    set_policy(&u.one, &b, doc).await;
    allowed!(
        u.two.list_objects_v2().bucket(&b).prefix("public/"),
        "user2 list public/"
    );
    denied!(
        u.two.list_objects_v2().bucket(&b),
        "user2 list without the prefix"
    );
    denied!(
        u.three.list_objects_v2().bucket(&b).prefix("public/"),
        "user3 list"
    );
    allowed!(
        u.three.get_object().bucket(&b).key("private/c.txt"),
        "user3 GET under NotAction"
    );
    allowed!(
        u.three
            .put_object()
            .bucket(&b)
            .key("from-three")
            .body(ByteStream::from_static(b"3")),
        "user3 PUT under NotAction"
    );
    denied!(
        u.three.delete_object().bucket(&b).key("private/c.txt"),
        "user3 DELETE excluded by NotAction"
    );
    // DeleteObjects decides key by key.
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("private/c.txt").build().unwrap())
        .build()
        .unwrap();
    let out = u
        .three
        .delete_objects()
        .bucket(&b)
        .delete(del)
        .send()
        .await
        .unwrap();
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("AccessDenied"));
    allowed!(
        u.one.head_object().bucket(&b).key("private/c.txt"),
        "the refused key is still there"
    );

    let deny_all = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BKT","arn:aws:s3:::BKT/*"]}]}"#;
    set_policy(&u.one, &b, deny_all).await;
    denied!(u.one.list_objects_v2().bucket(&b), "owner list under Deny-all");
    allowed!(
        u.one.get_bucket_policy().bucket(&b),
        "owner GetBucketPolicy under Deny-all"
    );
    allowed!(
        u.one.delete_bucket_policy().bucket(&b),
        "owner DeleteBucketPolicy under Deny-all"
    );
    allowed!(
        u.one.list_objects_v2().bucket(&b),
        "owner list after the policy is gone"
    );

    // Malformed documents, with AWS's messages.
    for (doc, message) in [
        ("not json", "This policy contains invalid Json"),
        (r#"{"Version":"2012-10-17"}"#, "Missing required field Statement"),
        (
            r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BKT/*"}]}"#,
            "Invalid effect: Maybe",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Fly","Resource":"arn:aws:s3:::BKT/*"}]}"#,
            "Policy has invalid action",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::another-bucket/*"}]}"#,
            "Policy has invalid resource",
        ),
    ] {
        let e = u
            .one
            .put_bucket_policy()
            .bucket(&b)
            .policy(doc.replace("BKT", &b))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e).as_deref(), Some("MalformedPolicy"), "{doc}");
        assert_eq!(e.message(), Some(message), "{doc}");
    }
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn public_access_block_limits_acls_and_policies() {
    let gw = Gw::start().await;
    let u = users(&gw);
    let b = bucket("pab");
    u.one
        .create_bucket()
        .bucket(&b)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    u.one
        .put_object()
        .bucket(&b)
        .key("open.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"o"))
        .send()
        .await
        .unwrap();
    allowed!(
        u.anon.get_object().bucket(&b).key("open.txt"),
        "anonymous GET before the block"
    );
    let e = u
        .one
        .get_public_access_block()
        .bucket(&b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchPublicAccessBlockConfiguration"));

    let block = |acls: bool, ignore: bool, policy: bool, restrict: bool| {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(acls)
            .ignore_public_acls(ignore)
            .block_public_policy(policy)
            .restrict_public_buckets(restrict)
            .build()
    };
    // IgnorePublicAcls: the grants stay, and count for nothing.
    u.one
        .put_public_access_block()
        .bucket(&b)
        .public_access_block_configuration(block(false, true, false, false))
        .send()
        .await
        .unwrap();
    denied!(
        u.anon.get_object().bucket(&b).key("open.txt"),
        "anonymous GET with IgnorePublicAcls"
    );
    denied!(
        u.anon.list_objects_v2().bucket(&b),
        "anonymous list with IgnorePublicAcls"
    );
    let got = u.one.get_public_access_block().bucket(&b).send().await.unwrap();
    let conf = got.public_access_block_configuration().unwrap();
    assert_eq!(
        (conf.block_public_acls(), conf.ignore_public_acls()),
        (Some(false), Some(true))
    );

    // BlockPublicAcls: setting a public ACL is refused.
    u.one
        .put_public_access_block()
        .bucket(&b)
        .public_access_block_configuration(block(true, false, true, false))
        .send()
        .await
        .unwrap();
    let e = u
        .one
        .put_object()
        .bucket(&b)
        .key("new.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"n"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    let e = u
        .one
        .put_bucket_acl()
        .bucket(&b)
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    // BlockPublicPolicy: a public policy is refused, a named one is fine.
    let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BKT/*"}]}"#;
    let e = u
        .one
        .put_bucket_policy()
        .bucket(&b)
        .policy(public.replace("BKT", &b))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    set_policy(
        &u.one,
        &b,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"GLOTHERACCESSKEY"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BKT/*"}]}"#,
    )
    .await;
    let status = u.one.get_bucket_policy_status().bucket(&b).send().await.unwrap();
    assert_eq!(
        status
            .policy_status()
            .and_then(aws_sdk_s3::types::PolicyStatus::is_public),
        Some(false)
    );
    allowed!(
        u.two.get_object().bucket(&b).key("open.txt"),
        "user2 GET by a named policy"
    );

    // RestrictPublicBuckets: a public policy serves only the owner.
    u.one
        .put_public_access_block()
        .bucket(&b)
        .public_access_block_configuration(block(false, false, false, true))
        .send()
        .await
        .unwrap();
    set_policy(&u.one, &b, public).await;
    put(&u.one, &b, "plain.txt").await; // private ACL: only the policy can open it
    denied!(
        u.three.get_object().bucket(&b).key("plain.txt"),
        "user3 GET under RestrictPublicBuckets"
    );
    denied!(
        u.anon.get_object().bucket(&b).key("plain.txt"),
        "anonymous GET under RestrictPublicBuckets"
    );
    allowed!(
        u.one.get_object().bucket(&b).key("plain.txt"),
        "owner GET under RestrictPublicBuckets"
    );
    u.one
        .delete_public_access_block()
        .bucket(&b)
        .send()
        .await
        .unwrap();
    allowed!(
        u.three.get_object().bucket(&b).key("plain.txt"),
        "user3 GET by the public policy"
    );
    allowed!(
        u.anon.get_object().bucket(&b).key("plain.txt"),
        "anonymous GET by the public policy"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_sources_and_posts_are_authorized() {
    let gw = Gw::start().await;
    let u = users(&gw);
    let (src, dst) = (bucket("copy-src"), bucket("copy-dst"));
    u.one.create_bucket().bucket(&src).send().await.unwrap();
    u.two.create_bucket().bucket(&dst).send().await.unwrap();
    put(&u.one, &src, "secret.txt").await;
    // user2 may write its own bucket but not read user1's object.
    denied!(
        u.two
            .copy_object()
            .bucket(&dst)
            .key("stolen")
            .copy_source(format!("{src}/secret.txt")),
        "user2 copy of a private object"
    );
    u.one
        .put_object_acl()
        .bucket(&src)
        .key("secret.txt")
        .grant_read(format!("id=\"{OTHER}\""))
        .send()
        .await
        .unwrap();
    allowed!(
        u.two
            .copy_object()
            .bucket(&dst)
            .key("granted")
            .copy_source(format!("{src}/secret.txt")),
        "user2 copy with a READ grant"
    );
    // The copy is user2's, in user2's bucket; its ACL is not the source's.
    let acl = u
        .two
        .get_object_acl()
        .bucket(&dst)
        .key("granted")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(OTHER));
    assert_eq!(acl.grants().len(), 1);
    gw.stop().await;
}

/// Canned ACLs on objects: public-read, authenticated-read, a bad name.
async fn object_canned_acls(u: &Users, b: &str) {
    // public-read on one object: anonymous reads it, and nothing else.
    u.one
        .put_object()
        .bucket(b)
        .key("public.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"public"))
        .send()
        .await
        .unwrap();
    let got = allowed!(
        u.anon.get_object().bucket(b).key("public.txt"),
        "anonymous GET public"
    );
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"public");
    denied!(
        u.anon.get_object().bucket(b).key("private.txt"),
        "anonymous GET private"
    );
    denied!(
        u.anon.get_object_acl().bucket(b).key("public.txt"),
        "anonymous GetObjectAcl"
    );
    // A missing key is AccessDenied to those who may not list.
    denied!(u.anon.get_object().bucket(b).key("nope"), "anonymous GET missing");

    // authenticated-read: any user, not anonymous.
    u.one
        .put_object()
        .bucket(b)
        .key("auth.txt")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap();
    allowed!(
        u.three.get_object().bucket(b).key("auth.txt"),
        "user3 GET authenticated-read"
    );
    denied!(
        u.anon.get_object().bucket(b).key("auth.txt"),
        "anonymous GET authenticated-read"
    );

    // A bad canned ACL is 400 InvalidArgument and writes nothing.
    let e = u
        .one
        .put_object()
        .bucket(b)
        .key("bad.txt")
        .acl(ObjectCannedAcl::from("public-everything"))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));
    let e = u
        .one
        .head_object()
        .bucket(b)
        .key("bad.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 404);
}

/// Canned ACLs on a bucket: public-read lists, public-read-write writes.
async fn bucket_canned_acls(u: &Users, b: &str) {
    // public-read bucket: anonymous lists (and a missing key is now 404), cannot write.
    u.one
        .put_bucket_acl()
        .bucket(b)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let list = allowed!(
        u.anon.list_objects_v2().bucket(b),
        "anonymous list public-read bucket"
    );
    assert_eq!(list.key_count(), Some(3));
    let e = u
        .anon
        .get_object()
        .bucket(b)
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    denied!(
        u.anon
            .put_object()
            .bucket(b)
            .key("w")
            .body(ByteStream::from_static(b"w")),
        "anonymous PUT into public-read bucket"
    );
    // public-read-write: anonymous writes; the object is the anonymous user's.
    u.one
        .put_bucket_acl()
        .bucket(b)
        .acl(BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap();
    allowed!(
        u.anon
            .put_object()
            .bucket(b)
            .key("anon.txt")
            .acl(ObjectCannedAcl::PublicRead)
            .body(ByteStream::from_static(b"from anonymous")),
        "anonymous PUT into public-read-write bucket"
    );
    denied!(
        u.anon.get_bucket_acl().bucket(b),
        "anonymous GetBucketAcl without READ_ACP"
    );
}

/// Objects another user writes are theirs: the bucket owner reads them only when granted.
async fn object_writers(u: &Users, b: &str) {
    // WRITE lets user2 write; the object is user2's, and the bucket owner cannot read it
    // unless user2 grants it (bucket-owner-full-control).
    put(&u.two, b, "by-two.txt").await;
    denied!(
        u.one.get_object().bucket(b).key("by-two.txt"),
        "bucket owner GET of user2's private object"
    );
    allowed!(
        u.one.delete_object().bucket(b).key("by-two.txt"),
        "bucket owner DELETE of user2's object"
    );
    u.two
        .put_object()
        .bucket(b)
        .key("shared.txt")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"s"))
        .send()
        .await
        .unwrap();
    allowed!(
        u.one.get_object().bucket(b).key("shared.txt"),
        "bucket owner GET with bucket-owner-full-control"
    );
    let acl = u
        .two
        .get_object_acl()
        .bucket(b)
        .key("shared.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.owner().and_then(Owner::id), Some(OTHER));
    assert!(acl
        .grants()
        .iter()
        .any(|g| g.grantee().and_then(|x| x.id()) == Some(OWNER)
            && g.permission() == Some(&Permission::FullControl)));
}

/// PutObjectAcl and GetObjectAcl with AccessControlPolicy documents.
async fn acl_documents(u: &Users, b: &str) {
    // PutObjectAcl with a document: READ to user3 and to everyone.
    put(&u.one, b, "doc.txt").await;
    denied!(
        u.three.get_object().bucket(b).key("doc.txt"),
        "user3 GET before the grant"
    );
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(OWNER).build())
        .grants(grant(Some(OWNER), None, Permission::FullControl))
        .grants(grant(Some("owner-three"), None, Permission::Read))
        .grants(grant(None, Some(ALL_USERS), Permission::Read))
        .build();
    u.one
        .put_object_acl()
        .bucket(b)
        .key("doc.txt")
        .access_control_policy(policy)
        .send()
        .await
        .unwrap();
    allowed!(
        u.three.get_object().bucket(b).key("doc.txt"),
        "user3 GET after the grant"
    );
    allowed!(
        u.anon.get_object().bucket(b).key("doc.txt"),
        "anonymous GET after the AllUsers grant"
    );
    let acl = u
        .one
        .get_object_acl()
        .bucket(b)
        .key("doc.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.grants().len(), 3);
    assert!(acl
        .grants()
        .iter()
        .any(|g| g.grantee().and_then(|x| x.uri()) == Some(ALL_USERS)
            && g.grantee().map(Grantee::r#type) == Some(&Type::Group)));
    // A document naming another owner is refused.
    let bad = AccessControlPolicy::builder()
        .owner(Owner::builder().id(OTHER).build())
        .grants(grant(Some(OTHER), None, Permission::FullControl))
        .build();
    let e = u
        .one
        .put_object_acl()
        .bucket(b)
        .key("doc.txt")
        .access_control_policy(bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
}

/// BucketOwnerEnforced turns ACLs off, and back on when deleted.
async fn bucket_owner_enforced(u: &Users, b: &str) {
    // BucketOwnerEnforced: ACLs off. The bucket ACL must be private first.
    let enforced = OwnershipControls::builder()
        .rules(
            OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let e = u
        .one
        .put_bucket_ownership_controls()
        .bucket(b)
        .ownership_controls(enforced.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidBucketAclWithObjectOwnership"));
    u.one
        .put_bucket_acl()
        .bucket(b)
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    u.one
        .put_bucket_ownership_controls()
        .bucket(b)
        .ownership_controls(enforced)
        .send()
        .await
        .unwrap();
    let got = u
        .one
        .get_bucket_ownership_controls()
        .bucket(b)
        .send()
        .await
        .unwrap();
    let rule = &got.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership(), &ObjectOwnership::BucketOwnerEnforced);
    let e = u
        .one
        .put_object()
        .bucket(b)
        .key("p")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessControlListNotSupported"));
    allowed!(
        u.one
            .put_object()
            .bucket(b)
            .key("p")
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from_static(b"p")),
        "bucket-owner-full-control on an enforced bucket"
    );
    // With ACLs off, the earlier grants count for nothing.
    denied!(
        u.anon.get_object().bucket(b).key("doc.txt"),
        "anonymous GET with ACLs disabled"
    );
    u.one
        .delete_bucket_ownership_controls()
        .bucket(b)
        .send()
        .await
        .unwrap();
    let e = u
        .one
        .get_bucket_ownership_controls()
        .bucket(b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("OwnershipControlsNotFoundError"));
    allowed!(
        u.anon.get_object().bucket(b).key("doc.txt"),
        "anonymous GET with ACLs on again"
    );
}
