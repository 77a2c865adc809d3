//! `SigV2` vectors from AWS's "Signing and authenticating REST requests" examples (bucket
//! `johnsmith`, the documentation's example keys), and the module's own rules.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// 2007-03-27T19:36:42Z, the time of the first example (the others are within hours).
const EXAMPLE_DAY: u64 = 1_175_024_202;

fn lookup(ak: &str) -> Option<String> {
    (ak == AK).then(|| SECRET.to_owned())
}

struct Case<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    vhost: Option<&'a str>,
}

impl Case<'_> {
    fn req(&self) -> Request<'_> {
        Request {
            method: self.method,
            raw_path: self.path,
            raw_query: self.query,
            headers: &self.headers,
            vhost_bucket: self.vhost,
        }
    }
}

/// Each example: the request, the string to sign AWS shows, and AWS's signature.
#[test]
#[allow(clippy::too_many_lines)] // a table of AWS's examples, one field per line after rustfmt
fn aws_documentation_examples() {
    let cases = [
        (
            Case {
                method: "GET",
                path: "/photos/puppy.jpg",
                query: "",
                headers: vec![
                    ("Host", "johnsmith.s3.amazonaws.com"),
                    ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
                ],
                vhost: Some("johnsmith"),
            },
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
        ),
        (
            Case {
                method: "PUT",
                path: "/photos/puppy.jpg",
                query: "",
                headers: vec![
                    ("Content-Type", "image/jpeg"),
                    ("Content-Length", "94328"),
                    ("Host", "johnsmith.s3.amazonaws.com"),
                    ("Date", "Tue, 27 Mar 2007 21:15:45 +0000"),
                ],
                vhost: Some("johnsmith"),
            },
            "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
            "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
        ),
        (
            // A listing: prefix, max-keys and marker are not sub-resources.
            Case {
                method: "GET",
                path: "/",
                query: "prefix=photos&max-keys=50&marker=puppy",
                headers: vec![
                    ("User-Agent", "Mozilla/5.0"),
                    ("Host", "johnsmith.s3.amazonaws.com"),
                    ("Date", "Tue, 27 Mar 2007 19:42:41 +0000"),
                ],
                vhost: Some("johnsmith"),
            },
            "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
            "htDYFYduRNen8P9ZfE/s9SuKy0U=",
        ),
        (
            Case {
                method: "GET",
                path: "/",
                query: "acl",
                headers: vec![
                    ("Host", "johnsmith.s3.amazonaws.com"),
                    ("Date", "Tue, 27 Mar 2007 19:44:46 +0000"),
                ],
                vhost: Some("johnsmith"),
            },
            "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
            "c2WLPFtWHVgbEmeEG93a4cG37dM=",
        ),
        (
            // Path style, and x-amz-date: the Date line is empty.
            Case {
                method: "DELETE",
                path: "/johnsmith/photos/puppy.jpg",
                query: "",
                headers: vec![
                    ("User-Agent", "dotnet"),
                    ("Host", "s3.amazonaws.com"),
                    ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
                    ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
                ],
                vhost: None,
            },
            "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
            "R4dJ53KECjStyBO5iTBJZ4XVOaI=",
        ),
        (
            // A CNAME'd bucket; x-amz-* lower-cased, sorted, repeated values joined by ','.
            Case {
                method: "PUT",
                path: "/db-backup.dat.gz",
                query: "",
                headers: vec![
                    ("User-Agent", "curl/7.15.5"),
                    ("Host", "static.johnsmith.net:8080"),
                    ("Date", "Tue, 27 Mar 2007 21:06:08 +0000"),
                    ("x-amz-acl", "public-read"),
                    ("content-type", "application/x-download"),
                    ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
                    ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
                    ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
                    ("X-Amz-Meta-FileChecksum", "0x02661779"),
                    ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
                    ("Content-Disposition", "attachment; filename=database.dat"),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", "5913339"),
                ],
                vhost: Some("static.johnsmith.net"),
            },
            "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n\
             x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n\
             x-amz-meta-filechecksum:0x02661779\n\
             x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n\
             /static.johnsmith.net/db-backup.dat.gz",
            "ilyl83RwaSoYIEdixDQcA4OnAnc=",
        ),
        (
            Case {
                method: "GET",
                path: "/",
                query: "",
                headers: vec![
                    ("Host", "s3.amazonaws.com"),
                    ("Date", "Wed, 28 Mar 2007 01:29:59 +0000"),
                ],
                vhost: None,
            },
            "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
            "qGdzdERIC03wnaRNKh6OqZehG9s=",
        ),
        (
            // Unicode keys: the path is signed exactly as sent (lower-case escapes kept).
            Case {
                method: "GET",
                path: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                query: "",
                headers: vec![
                    ("Host", "s3.amazonaws.com"),
                    ("Date", "Wed, 28 Mar 2007 01:49:49 +0000"),
                ],
                vhost: None,
            },
            "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
            "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
        ),
    ];
    for (case, sts, sig) in cases {
        let date_line = if case.headers.iter().any(|(n, _)| *n == "x-amz-date") {
            ""
        } else {
            case.req().header("date").unwrap()
        };
        assert_eq!(string_to_sign(&case.req(), date_line, false), sts);
        assert_eq!(signature(SECRET, sts), sig, "{sts}");
        // The whole check, as the request arrives with its Authorization header.
        let sent = case
            .req()
            .header("x-amz-date")
            .or(case.req().header("date"))
            .and_then(parse_date)
            .unwrap();
        let mut c = case;
        let auth = format!("AWS {AK}:{sig}");
        c.headers.push(("Authorization", &auth));
        let v = verify(&c.req(), at(sent.unsigned_abs() + 60), lookup).unwrap();
        assert_eq!(v.access_key, AK);
        assert!(!v.presigned);
        assert_eq!(v.payload, Payload::Unsigned);
    }
}

/// AWS's query-string example: the Date line is `Expires`.
#[test]
fn aws_presigned_example() {
    let case = Case {
        method: "GET",
        path: "/photos/puppy.jpg",
        query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
        headers: vec![("Host", "johnsmith.s3.amazonaws.com")],
        vhost: Some("johnsmith"),
    };
    assert_eq!(
        string_to_sign(&case.req(), "1175139620", true),
        "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg"
    );
    assert!(is_sigv2(&case.headers, case.query));
    let verified = verify(&case.req(), at(1_175_139_620 - 60), lookup).unwrap();
    assert!(verified.presigned);
    // One second after Expires: AccessDenied "Request has expired", with the times.
    let err = verify(&case.req(), at(1_175_139_621), lookup).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert_eq!(err.message(), "Request has expired");
    assert_eq!(
        err.details(),
        vec![
            ("Expires", "2007-03-29T03:40:20Z".to_owned()),
            ("ServerTime", "2007-03-29T03:40:21Z".to_owned())
        ]
    );
    // Tampering with Expires breaks the signature.
    let tampered = Case {
        query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139621&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
        ..case
    };
    let err = verify(&tampered.req(), at(1_175_139_000), lookup).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    // Missing parameters.
    let missing = Case {
        query: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x",
        ..tampered
    };
    let err = verify(&missing.req(), at(1_175_139_000), lookup).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
}

/// AWS's DELETE example signs x-amz-date's value on the Date line (and not among the x-amz-*
/// headers): `lx3byBScXR6KzyMaifNkardMwNk=`. Both forms are accepted.
#[test]
fn aws_delete_example_with_x_amz_date_on_the_date_line() {
    let c = Case {
        method: "DELETE",
        path: "/johnsmith/photos/puppy.jpg",
        query: "",
        headers: vec![
            ("User-Agent", "dotnet"),
            ("Host", "s3.amazonaws.com"),
            ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
            ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
            (
                "Authorization",
                "AWS AKIAIOSFODNN7EXAMPLE:lx3byBScXR6KzyMaifNkardMwNk=",
            ),
        ],
        vhost: None,
    };
    assert_eq!(
        signature(
            SECRET,
            "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
        ),
        "lx3byBScXR6KzyMaifNkardMwNk="
    );
    verify(&c.req(), at(1_175_030_426), lookup).unwrap();
}

#[test]
fn sub_resources_are_sorted_decoded_and_filtered() {
    let c = Case {
        method: "GET",
        path: "/b/k",
        query: "versionId=v%2F1&uploadId=u&response-content-type=text%2Fplain&foo=bar&acl&partNumber=2",
        headers: vec![],
        vhost: None,
    };
    assert_eq!(
        string_to_sign(&c.req(), "D", false),
        "GET\n\n\nD\n/b/k?acl&partNumber=2&response-content-type=text/plain&uploadId=u&versionId=v/1"
    );
    // An empty path is the root; a virtual host prefixes the bucket.
    let r = Case {
        path: "",
        query: "uploads",
        vhost: Some("bkt"),
        ..c
    };
    assert_eq!(string_to_sign(&r.req(), "D", false), "GET\n\n\nD\n/bkt/?uploads");
}

#[test]
fn presigned_takes_amz_headers_and_content_type_from_the_query() {
    // botocore moves x-amz-* (and Content-Type) of a presigned request into the query.
    let c = Case {
        method: "PUT",
        path: "/b/k",
        query: "x-amz-meta-a=1&content-type=text%2Fplain&AWSAccessKeyId=AK&Expires=100&Signature=s",
        headers: vec![("x-amz-acl", "private")],
        vhost: None,
    };
    assert_eq!(
        string_to_sign(&c.req(), "100", true),
        "PUT\n\ntext/plain\n100\nx-amz-acl:private\nx-amz-meta-a:1\n/b/k"
    );
    // In header auth the query is not read for them.
    assert_eq!(
        string_to_sign(&c.req(), "100", false),
        "PUT\n\n\n100\nx-amz-acl:private\n/b/k"
    );
}

#[test]
fn skew_keys_and_mismatch_details() {
    let sts = "GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/b/k";
    let auth = format!("AWS {AK}:{}", signature(SECRET, sts));
    let case = Case {
        method: "GET",
        path: "/b/k",
        query: "",
        headers: vec![
            ("Date", "Tue, 27 Mar 2007 19:36:42 GMT"),
            ("Authorization", &auth),
        ],
        vhost: None,
    };
    verify(&case.req(), at(EXAMPLE_DAY + 15 * 60), lookup).unwrap();
    let err = verify(&case.req(), at(EXAMPLE_DAY + 15 * 60 + 1), lookup).unwrap_err();
    assert_eq!(err.code(), "RequestTimeTooSkewed");
    let err = verify(&case.req(), at(EXAMPLE_DAY - 16 * 60), lookup).unwrap_err();
    assert_eq!(err.code(), "RequestTimeTooSkewed");
    // Unknown key.
    let err = verify(&case.req(), at(EXAMPLE_DAY), |_| None).unwrap_err();
    assert_eq!(err.code(), "InvalidAccessKeyId");
    // Wrong secret: the string to sign, as text and bytes.
    let err = verify(&case.req(), at(EXAMPLE_DAY), |_| Some("other".into())).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    let details = err.details();
    assert_eq!(details[0], ("AWSAccessKeyId", AK.to_owned()));
    assert_eq!(details[1], ("StringToSign", sts.to_owned()));
    assert_eq!(details[2].0, "SignatureProvided");
    assert_eq!(details[3].0, "StringToSignBytes");
    assert!(details[3].1.starts_with("47 45 54 0a 0a"), "{}", details[3].1);
    // An unsigned x-amz-* header is part of the string to sign: adding one breaks it.
    let mut headers = case.headers.clone();
    headers.push(("x-amz-copy-source", "/b/other"));
    let added = Case { headers, ..case };
    assert_eq!(
        verify(&added.req(), at(EXAMPLE_DAY), lookup).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
    // No date at all.
    let no_date = Case {
        headers: vec![("Authorization", &auth)],
        ..added
    };
    assert_eq!(
        verify(&no_date.req(), at(EXAMPLE_DAY), lookup)
            .unwrap_err()
            .code(),
        "AccessDenied"
    );
    // Malformed header.
    let bad = [
        ("Authorization", "AWS nocolon"),
        ("Date", "Tue, 27 Mar 2007 19:36:42 GMT"),
    ];
    let malformed = Case {
        headers: bad.to_vec(),
        ..no_date
    };
    assert_eq!(
        verify(&malformed.req(), at(EXAMPLE_DAY), lookup)
            .unwrap_err()
            .code(),
        "InvalidArgument"
    );
}

#[test]
fn which_requests_are_sigv2() {
    assert!(is_sigv2(&[("authorization", "AWS a:b")], ""));
    assert!(!is_sigv2(
        &[("authorization", "AWS4-HMAC-SHA256 Credential=..")],
        ""
    ));
    assert!(is_sigv2(&[], "AWSAccessKeyId=a&Signature=b&Expires=1"));
    assert!(!is_sigv2(&[], "X-Amz-Algorithm=x&Signature=b"));
    // Two mechanisms at once are left to sigv4's refusal.
    assert!(!is_sigv2(&[("authorization", "AWS a:b")], "Signature=b"));
    assert!(!is_sigv2(&[], ""));
}
