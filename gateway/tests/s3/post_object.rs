//! PostObject: browser form uploads signed with a SigV4 (or SigV2) POST policy.
//!
//! The SDK has no presigned-POST helper, so the tests build what a browser sends: the policy
//! document and its signature (hex HMAC-SHA256 of the base64 policy under the SigV4 signing
//! key, as AWS documents it), and a hand-written multipart/form-data body posted over a plain
//! TCP connection. Objects are then checked through the SDK.

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::common::{bucket, data, Gw, AK, AK2, SK, SK2};

const BOUNDARY: &str = "----glusters3FormBoundaryQ7r";

/// An HTTP response as the test reads it.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn code(&self) -> Option<&str> {
        let start = self.body.find("<Code>")? + "<Code>".len();
        let end = self.body[start..].find("</Code>")? + start;
        Some(&self.body[start..end])
    }
}

/// A file part: (filename, content type, bytes).
type File<'a> = (&'a str, &'a str, &'a [u8]);

/// A multipart/form-data body: `fields`, then the file (if any), then `after` (fields a browser
/// puts after the file, such as the submit button).
fn form_body(fields: &[(String, String)], file: Option<File>, after: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text_part = |name: &str, value: &str| {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    for (k, v) in fields {
        text_part(k, v);
    }
    if let Some((filename, ctype, bytes)) = file {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                 Content-Type: {ctype}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    for (k, v) in after {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// POSTs `body` to `path` over a fresh connection to the gateway, with `host` as the Host
/// header (the gateway's address when `None`).
async fn post(gw: &Gw, host: Option<String>, path: &str, content_type: &str, body: Vec<u8>) -> Response {
    let addr = gw.endpoint.trim_start_matches("http://").to_owned();
    let host = host.unwrap_or_else(|| addr.clone());
    let (path, content_type) = (path.to_owned(), content_type.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_owned(),
        }
    })
    .await
    .unwrap()
}

/// The SigV4 fields of a form: the credential fields, the base64 policy (which gets conditions
/// covering the credential fields added, as a real policy has), and its signature with `sk`.
fn signed_fields(mut policy: Value, ak: &str, sk: &str) -> Vec<(String, String)> {
    let now = OffsetDateTime::now_utc();
    let day = format!("{:04}{:02}{:02}", now.year(), u8::from(now.month()), now.day());
    let amz_date = format!("{day}T000000Z");
    let credential = format!("{ak}/{day}/us-east-1/s3/aws4_request");
    if let Some(conditions) = policy["conditions"].as_array_mut() {
        conditions.push(json!({ "x-amz-credential": credential }));
        conditions.push(json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }));
        conditions.push(json!({ "x-amz-date": amz_date }));
    }
    let policy_b64 = B64.encode(policy.to_string());
    // Signature = hex(HMAC-SHA256(signing key, base64 policy)).
    let key = gateway::s3::sigv4::signing_key(sk, &day, "us-east-1", "s3");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(policy_b64.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    vec![
        ("X-Amz-Credential".into(), credential),
        ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("X-Amz-Date".into(), amz_date),
        ("Policy".into(), policy_b64),
        ("X-Amz-Signature".into(), signature),
    ]
}

/// `2030-01-01T12:00:00.000Z`, `offset` from now.
fn expiration(offset: Duration) -> String {
    let t = OffsetDateTime::now_utc() + offset;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(bytes))
}

async fn get_bytes(c: &aws_sdk_s3::Client, b: &str, k: &str) -> Vec<u8> {
    let o = c.get_object().bucket(b).key(k).send().await.unwrap();
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn key_count(c: &aws_sdk_s3::Client, b: &str) -> i32 {
    let l = c.list_objects_v2().bucket(b).send().await.unwrap();
    l.key_count().unwrap_or(0)
}

#[actix_web::test]
async fn form_upload_stores_file_headers_and_metadata() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("post");
    c.create_bucket().bucket(&b).send().await.unwrap();

    let policy = json!({
        "expiration": expiration(Duration::hours(1)),
        "conditions": [
            { "bucket": b },
            ["starts-with", "$key", "uploads/"],
            ["starts-with", "$Content-Type", "text/"],
            { "x-amz-meta-color": "blue" },
            ["eq", "$Cache-Control", "max-age=60"],
            { "success_action_status": "201" },
            ["content-length-range", 1, 1024],
        ]
    });
    let mut fields = pairs(&[
        ("key", "uploads/${filename}"),
        ("Content-Type", "text/plain"),
        ("x-amz-meta-color", "blue"),
        ("Cache-Control", "max-age=60"),
        ("success_action_status", "201"),
        ("x-ignore-tracking", "not in the policy, and need not be"),
    ]);
    fields.extend(signed_fields(policy, AK, SK));
    let content = b"hello from a browser form\r\n--not the boundary\r\n".to_vec();
    let body = form_body(
        &fields,
        Some(("hello.txt", "application/octet-stream", &content)),
        &[("submit", "Upload")], // after the file: ignored, as AWS does
    );
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let etag = format!("\"{}\"", md5_hex(&content));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let location = r.header("location").unwrap_or_default();
    assert!(
        location.ends_with(&format!("/{b}/uploads/hello.txt")),
        "{location}"
    );
    assert!(r.body.contains("<Key>uploads/hello.txt</Key>"), "{}", r.body);
    assert!(r.body.contains(&format!("<Bucket>{b}</Bucket>")), "{}", r.body);
    assert!(r.body.contains("<PostResponse>"), "{}", r.body);

    assert_eq!(get_bytes(&c, &b, "uploads/hello.txt").await, content);
    let h = c
        .head_object()
        .bucket(&b)
        .key("uploads/hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/plain"));
    assert_eq!(h.cache_control(), Some("max-age=60"));
    assert_eq!(h.e_tag(), Some(etag.as_str()));
    let meta = h.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.len(), 1, "{meta:?}");
    gw.stop().await;
}

#[actix_web::test]
async fn default_status_redirects_virtual_hosts_and_large_files() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("post");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    // Every condition holds, the redirect one too: an absent field must match it.
    let policy = |redirect_prefix: &str| {
        json!({
            "expiration": expiration(Duration::minutes(10)),
            "conditions": [
                { "bucket": b },
                ["starts-with", "$key", ""],
                ["starts-with", "$success_action_redirect", redirect_prefix],
            ]
        })
    };

    // No status asked: 204, and the Content-Type is the file part's.
    let mut fields = pairs(&[("key", "plain.png")]);
    fields.extend(signed_fields(policy(""), AK, SK));
    let png = data(300, 7);
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        &ct,
        form_body(&fields, Some(("x.png", "image/png", &png)), &[]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.header("location").is_some());
    let h = c.head_object().bucket(&b).key("plain.png").send().await.unwrap();
    assert_eq!(h.content_type(), Some("image/png"));
    assert_eq!(get_bytes(&c, &b, "plain.png").await, png);

    // success_action_redirect: 303 to the URL with bucket, key and the quoted ETag appended.
    let mut fields = pairs(&[
        ("key", "dir/r ${filename}"),
        ("success_action_redirect", "http://app.example/done?x=1"),
    ]);
    fields.extend(signed_fields(policy("http://app.example/"), AK, SK));
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        &ct,
        form_body(&fields, Some(("a.txt", "text/plain", b"r")), &[]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(
            format!(
                "http://app.example/done?x=1&bucket={b}&key=dir%2Fr%20a.txt&etag=%22{}%22",
                md5_hex(b"r")
            )
            .as_str()
        )
    );
    assert_eq!(get_bytes(&c, &b, "dir/r a.txt").await, b"r");

    // Virtual-host style: POST / on bucket.localhost.
    let mut fields = pairs(&[("key", "vhost.bin")]);
    fields.extend(signed_fields(policy(""), AK, SK));
    let port = gw.endpoint.rsplit(':').next().unwrap_or_default().to_owned();
    let r = post(
        &gw,
        Some(format!("{b}.localhost:{port}")),
        "/",
        &ct,
        form_body(&fields, Some(("v", "application/octet-stream", b"v")), &[]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("http://{b}.localhost:{port}/vhost.bin").as_str())
    );
    assert_eq!(get_bytes(&c, &b, "vhost.bin").await, b"v");

    // A file of several MiB streams through (and may contain boundary-like bytes).
    let mut big = data(3 << 20, 11);
    big[1 << 20..(1 << 20) + 8].copy_from_slice(b"\r\n--\r\n--");
    let mut fields = pairs(&[("key", "big.bin")]);
    fields.extend(signed_fields(policy(""), AK, SK));
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        &ct,
        form_body(&fields, Some(("big", "application/octet-stream", &big)), &[]),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(get_bytes(&c, &b, "big.bin").await, big);
    gw.stop().await;
}

#[actix_web::test]
async fn refused_forms_store_nothing() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("post");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let policy = |expires: Duration, max: u64| {
        json!({
            "expiration": expiration(expires),
            "conditions": [
                { "bucket": b },
                ["starts-with", "$key", "uploads/"],
                ["content-length-range", 2, max],
            ]
        })
    };
    let file = data(100, 3);
    let form = |key: &str, extra: &[(&str, &str)], signed: Vec<(String, String)>, file: Option<File>| {
        let mut fields = pairs(&[("key", key)]);
        fields.extend(pairs(extra));
        fields.extend(signed);
        form_body(&fields, file, &[])
    };
    let with_file = Some(("f.bin", "application/octet-stream", file.as_slice()));
    let one_byte = Some(("f.bin", "application/octet-stream", &b"x"[..]));
    let hour = Duration::hours(1);

    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        (
            "expired policy",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(-hour, 1000), AK, SK),
                with_file,
            ),
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
        ),
        (
            "content-length-range exceeded",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(hour, 10), AK, SK),
                with_file,
            ),
            400,
            "EntityTooLarge",
            "<MaxSizeAllowed>10</MaxSizeAllowed>",
        ),
        (
            "content-length-range not reached",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(hour, 1000), AK, SK),
                one_byte,
            ),
            400,
            "EntityTooSmall",
            "<MinSizeAllowed>2</MinSizeAllowed>",
        ),
        (
            "condition violated",
            form(
                "elsewhere/a",
                &[],
                signed_fields(policy(hour, 1000), AK, SK),
                with_file,
            ),
            403,
            "AccessDenied",
            "Policy Condition failed: [&quot;starts-with&quot;, &quot;$key&quot;, &quot;uploads/&quot;]",
        ),
        (
            "field not covered by the policy",
            form(
                "uploads/a",
                &[("x-amz-meta-sneaky", "1")],
                signed_fields(policy(hour, 1000), AK, SK),
                with_file,
            ),
            403,
            "AccessDenied",
            "Extra input fields: x-amz-meta-sneaky",
        ),
        (
            "wrong signature",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(hour, 1000), AK, "not-the-secret"),
                with_file,
            ),
            403,
            "SignatureDoesNotMatch",
            "",
        ),
        (
            "unknown access key",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(hour, 1000), "NOSUCHKEY", SK),
                with_file,
            ),
            403,
            "InvalidAccessKeyId",
            "",
        ),
        (
            "another owner's bucket",
            form(
                "uploads/a",
                &[],
                signed_fields(policy(hour, 1000), AK2, SK2),
                with_file,
            ),
            403,
            "AccessDenied",
            "",
        ),
        (
            "no file",
            form("uploads/a", &[], signed_fields(policy(hour, 1000), AK, SK), None),
            400,
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
        ),
        (
            "unsigned form",
            form("uploads/a", &[], Vec::new(), with_file),
            403,
            "AccessDenied",
            "",
        ),
    ];
    for (what, body, status, code, detail) in cases {
        let r = post(&gw, None, &format!("/{b}"), &ct, body).await;
        assert_eq!((r.status, r.code()), (status, Some(code)), "{what}: {}", r.body);
        assert!(r.body.contains(detail), "{what}: {}", r.body);
        assert_eq!(key_count(&c, &b).await, 0, "{what} stored something");
    }

    // A policy that is not base64 JSON, correctly signed.
    let mut signed = signed_fields(json!({}), AK, SK);
    let bad = B64.encode("{not json");
    let day = signed[0].1.split('/').nth(1).unwrap_or_default().to_owned();
    let key = gateway::s3::sigv4::signing_key(SK, &day, "us-east-1", "s3");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(bad.as_bytes());
    signed[3].1 = bad;
    signed[4].1 = hex::encode(mac.finalize().into_bytes());
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        &ct,
        form("uploads/a", &[], signed, with_file),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, Some("InvalidPolicyDocument")),
        "{}",
        r.body
    );

    // Not a form at all.
    let r = post(
        &gw,
        None,
        &format!("/{b}"),
        "application/x-www-form-urlencoded",
        b"key=a".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (412, Some("PreconditionFailed")),
        "{}",
        r.body
    );
    assert!(r.body.contains("multipart/form-data"), "{}", r.body);

    // A body cut inside the file part.
    let mut cut = form(
        "uploads/a",
        &[],
        signed_fields(policy(hour, 1000), AK, SK),
        with_file,
    );
    cut.truncate(cut.len() - 40);
    let r = post(&gw, None, &format!("/{b}"), &ct, cut).await;
    assert_eq!(
        (r.status, r.code()),
        (400, Some("MalformedPOSTRequest")),
        "{}",
        r.body
    );

    assert_eq!(key_count(&c, &b).await, 0);
    gw.stop().await;
}

/// A SigV2 form (AWS: "Browser-based uploads using POST (AWS signature version 2)"):
/// `AWSAccessKeyId`, `policy`, `signature` = base64(HMAC-SHA1(secret, base64 policy)).
fn signed_fields_v2(policy: &Value, ak: &str, sk: &str) -> Vec<(String, String)> {
    let policy_b64 = B64.encode(policy.to_string());
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(policy_b64.as_bytes());
    vec![
        ("AWSAccessKeyId".into(), ak.to_owned()),
        ("policy".into(), policy_b64),
        ("signature".into(), B64.encode(mac.finalize().into_bytes())),
    ]
}

#[actix_web::test]
async fn sigv2_form_upload() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("postv2");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let policy = json!({
        "expiration": expiration(Duration::hours(1)),
        "conditions": [{ "bucket": b }, ["starts-with", "$key", "v2/"]]
    });
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let content = data(3000, 9);
    let mut fields = pairs(&[("key", "v2/${filename}")]);
    fields.extend(signed_fields_v2(&policy, AK, SK));
    let body = form_body(
        &fields,
        Some(("f.bin", "application/octet-stream", &content)),
        &[],
    );
    let r = post(&gw, None, &format!("/{b}"), &ct, body).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(get_bytes(&c, &b, "v2/f.bin").await, content);

    // Signed with another secret: SignatureDoesNotMatch, nothing stored.
    let mut fields = pairs(&[("key", "v2/bad")]);
    fields.extend(signed_fields_v2(&policy, AK, SK2));
    let body = form_body(
        &fields,
        Some(("f.bin", "application/octet-stream", &content)),
        &[],
    );
    let r = post(&gw, None, &format!("/{b}"), &ct, body).await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        r.body
    );
    assert_eq!(key_count(&c, &b).await, 1);
    gw.stop().await;

    // With SigV2 off: 400 InvalidRequest, as before.
    let gw = Gw::start_with(|c| c.sigv2 = false).await;
    let c = gw.client();
    c.create_bucket().bucket(&b).send().await.unwrap();
    let mut fields = pairs(&[("key", "v2/x")]);
    fields.extend(signed_fields_v2(&policy, AK, SK));
    let body = form_body(
        &fields,
        Some(("f.bin", "application/octet-stream", &content)),
        &[],
    );
    let r = post(&gw, None, &format!("/{b}"), &ct, body).await;
    assert_eq!((r.status, r.code()), (400, Some("InvalidRequest")), "{}", r.body);
    assert_eq!(key_count(&c, &b).await, 0);
    gw.stop().await;
}

#[actix_web::test]
async fn form_tagging_field_tags_the_object() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("posttag");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let doc = "<Tagging><TagSet><Tag><Key>from</Key><Value>form</Value></Tag>\
               <Tag><Key>n</Key><Value>2</Value></Tag></TagSet></Tagging>";
    let upload = |key: &str, tagging: &str| {
        let policy = json!({
            "expiration": expiration(Duration::hours(1)),
            "conditions": [
                { "bucket": b },
                { "key": key },
                ["starts-with", "$tagging", ""],
            ]
        });
        let mut fields = pairs(&[("key", key), ("tagging", tagging)]);
        fields.extend(signed_fields(policy, AK, SK));
        form_body(&fields, Some(("f.txt", "text/plain", b"tagged")), &[])
    };
    let ctype = format!("multipart/form-data; boundary={BOUNDARY}");
    let r = post(&gw, None, &format!("/{b}"), &ctype, upload("tagged", doc)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let tags = c
        .get_object_tagging()
        .bucket(&b)
        .key("tagged")
        .send()
        .await
        .unwrap();
    let tags: Vec<(&str, &str)> = tags.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("from", "form"), ("n", "2")]);
    let h = c.head_object().bucket(&b).key("tagged").send().await.unwrap();
    assert_eq!(h.tag_count(), Some(2));

    // A bad document or a bad tag stores nothing.
    for (tagging, want) in [
        ("<Tagging><TagSet>", "MalformedXML"),
        (
            "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>",
            "InvalidTag",
        ),
    ] {
        let r = post(&gw, None, &format!("/{b}"), &ctype, upload("refused", tagging)).await;
        assert_eq!((r.status, r.code()), (400, Some(want)), "{}", r.body);
    }
    assert_eq!(key_count(&c, &b).await, 1);
    gw.stop().await;
}
