//! Tests: one evaluation table (principal x action x resource x condition, with and without
//! `RestrictPublicBuckets`), then the `MalformedPolicy` messages, then `is_public`.
//!
//! Callers: `alice` (access key `AKIDALICE`), `bob` (access key `AKIDBOB`) and anonymous. The
//! bucket is `bkt`.

use super::*;

const BUCKET: &str = "bkt";

const ALICE: Option<(&str, &str)> = Some(("alice", "AKIDALICE"));
const BOB: Option<(&str, &str)> = Some(("bob", "AKIDBOB"));
const ANON: Option<(&str, &str)> = None;

const BUCKET_ARN: &str = "arn:aws:s3:::bkt";
const PUBLIC_OBJECT: &str = "arn:aws:s3:::bkt/public/a.txt";
const PRIVATE_OBJECT: &str = "arn:aws:s3:::bkt/private/a.txt";

const NOW: &str = "2026-12-03T10:00:00.000Z";

/// One request against one policy, and the decision expected.
struct Case {
    name: &'static str,
    policy: &'static str,
    /// `(canonical id, access key)`; `None` is anonymous.
    caller: Option<(&'static str, &'static str)>,
    action: &'static str,
    resource: &'static str,
    /// Condition keys (lowercased) and values; a key may repeat (multi-valued key).
    context: &'static [(&'static str, &'static str)],
    public_ignored: bool,
    expected: Decision,
}

// ---------------------------------------------------------------------------------------------
// Policies of the evaluation table
// ---------------------------------------------------------------------------------------------

// Principals.

const ANYONE_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
    "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const AWS_STAR_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const AWS_STAR_LIST_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const ALICE_ID_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":["alice"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const BOB_KEY_PUT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"AKIDBOB"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const ALICE_ROOT_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"arn:aws:iam::alice:root"},"Action":"s3:*",
    "Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}]}"#;

const BOB_USER_ARN_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"arn:aws:iam::bob:user/AKIDBOB"},"Action":"s3:GetObject",
    "Resource":"arn:aws:s3:::bkt/*"}]}"#;

const CANONICAL_ALICE_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"CanonicalUser":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

/// `CanonicalUser` compares the canonical id only, never the access key.
const CANONICAL_KEY_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"CanonicalUser":"AKIDALICE"},"Action":"s3:GetObject",
    "Resource":"arn:aws:s3:::bkt/*"}]}"#;

const NOT_ALICE_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "NotPrincipal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const ONLY_ALICE_DELETES: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":["alice","bob"]},"Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"Action":"s3:DeleteObject",
     "Resource":"arn:aws:s3:::bkt/*"}]}"#;

// Actions.

const ALICE_GET_STAR: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:Get*","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const BOB_EVERYTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}]}"#;

const MIXED_CASE_ACTION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"S3:getobject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const ALICE_GET_PUT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":["s3:GetObject","s3:PutObject"],
    "Resource":"arn:aws:s3:::bkt/*"}]}"#;

const ALICE_ALL_BUT_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

// Resources.

const EXACT_OBJECT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/a.txt"}]}"#;

const PUBLIC_PREFIX: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/*"}]}"#;

const ONE_CHAR_TXT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/?.txt"}]}"#;

const LIST_ON_OBJECT_ARN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const LIST_ON_BUCKET_ARN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt"}]}"#;

const ALL_BUCKETS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}"#;

const ONLY_PUBLIC_READABLE: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bkt/public/*"}]}"#;

// Deny over Allow.

const DENY_FIRST: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const DENY_BOB_PRIVATE: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"s3:GetObject",
     "Resource":"arn:aws:s3:::bkt/private/*"}]}"#;

// Conditions.

const PREFIX_EQUALS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringEquals":{"s3:prefix":"public/"}}}]}"#;

const PREFIX_EQUALS_ANY_OF: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringEquals":{"s3:prefix":["public/","shared/"]}}}]}"#;

const ACL_MUST_BE_OWNER_FULL: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
     "Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;

const PREFIX_LIKE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringLike":{"s3:prefix":["home/alice/*","logs/202?/"]}}}]}"#;

const PREFIX_NOT_LIKE: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt"},
    {"Effect":"Deny","Principal":{"AWS":"alice"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
     "Condition":{"StringNotLike":{"s3:prefix":"home/alice/*"}}}]}"#;

const ACL_IGNORE_CASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"bob"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;

const ACL_EXACT_CASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"bob"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;

const FROM_NETWORKS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}]}"#;

const FROM_ONE_ADDRESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}}]}"#;

const DENY_OUTSIDE_NETWORK: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*",
     "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;

const TLS_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
     "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;

const REFERER_LIKE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}}}]}"#;

const DATE_WINDOW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},
                 "DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}]}"#;

/// The same window with an epoch-seconds bound (1798761600 is 2027-01-01) and a plain date.
const DATE_WINDOW_OTHER_FORMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"DateLessThan":{"aws:CurrentTime":"1798761600"},
                 "DateGreaterThan":{"aws:CurrentTime":"2026-12-01"}}}]}"#;

const MAX_KEYS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"NumericLessThanEquals":{"s3:max-keys":"100"}}}]}"#;

const MAX_KEYS_IF_EXISTS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"NumericLessThanEqualsIfExists":{"s3:max-keys":"100"}}}]}"#;

const PREFIX_AND_DELIMITER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringEquals":{"s3:prefix":"public/","s3:delimiter":"/"}}}]}"#;

const PREFIX_AND_NETWORK: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringEquals":{"s3:prefix":"public/"},
                 "IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}"#;

const PREFIX_IF_EXISTS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"StringEqualsIfExists":{"s3:prefix":"public/"}}}]}"#;

const DENY_WITHOUT_REFERER: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
     "Condition":{"Null":{"aws:Referer":"true"}}}]}"#;

const SOURCE_IP_PRESENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
    "Condition":{"Null":{"aws:SourceIp":"false"}}}]}"#;

const FOR_ALL_PREFIXES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"ForAllValues:StringEquals":{"s3:prefix":["a/","b/"]}}}]}"#;

const FOR_ANY_PREFIX: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
    "Principal":{"AWS":"alice"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt",
    "Condition":{"ForAnyValue:StringEquals":{"s3:prefix":"c/"}}}]}"#;

// RestrictPublicBuckets.

const ANYONE_AND_ALICE_GET: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#;

const DENY_ANYONE_ALLOW_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"},
    {"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"}]}"#;

// ---------------------------------------------------------------------------------------------
// The evaluation table
// ---------------------------------------------------------------------------------------------

const CASES: &[Case] = &[
    // Principal "*" and {"AWS":"*"} reach everyone, anonymous included.
    Case {
        name: "Principal * allows an anonymous caller",
        policy: ANYONE_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Principal * allows a named caller",
        policy: ANYONE_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Principal * does not grant another action: neutral",
        policy: ANYONE_GET,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "{AWS:*} allows an anonymous caller",
        policy: AWS_STAR_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "{AWS:*} allows a named caller",
        policy: AWS_STAR_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    // Named principals.
    Case {
        name: "{AWS:[alice]} matches alice by canonical id",
        policy: ALICE_ID_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "{AWS:[alice]} does not match bob",
        policy: ALICE_ID_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "{AWS:[alice]} never matches an anonymous caller",
        policy: ALICE_ID_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "{AWS:AKIDBOB} matches bob by access key",
        policy: BOB_KEY_PUT,
        caller: BOB,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "{AWS:AKIDBOB} does not match alice",
        policy: BOB_KEY_PUT,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "arn:aws:iam::alice:root matches alice; s3:* covers DeleteBucket on the bucket ARN",
        policy: ALICE_ROOT_ALL,
        caller: ALICE,
        action: "s3:DeleteBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "arn:aws:iam::alice:root does not match bob",
        policy: ALICE_ROOT_ALL,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "arn:aws:iam::bob:user/AKIDBOB matches bob",
        policy: BOB_USER_ARN_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "{CanonicalUser:alice} matches alice",
        policy: CANONICAL_ALICE_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "{CanonicalUser:alice} never matches an anonymous caller",
        policy: CANONICAL_ALICE_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "{CanonicalUser:AKIDALICE} does not match alice (canonical ids only)",
        policy: CANONICAL_KEY_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // NotPrincipal.
    Case {
        name: "Allow NotPrincipal alice: bob is allowed",
        policy: NOT_ALICE_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Allow NotPrincipal alice: an anonymous caller is allowed",
        policy: NOT_ALICE_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Allow NotPrincipal alice: alice is left neutral",
        policy: NOT_ALICE_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "Deny NotPrincipal alice: bob may not delete",
        policy: ONLY_ALICE_DELETES,
        caller: BOB,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "Deny NotPrincipal alice: alice may delete",
        policy: ONLY_ALICE_DELETES,
        caller: ALICE,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Deny NotPrincipal alice: bob may still read",
        policy: ONLY_ALICE_DELETES,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    // Actions.
    Case {
        name: "s3:Get* covers s3:GetObjectAcl",
        policy: ALICE_GET_STAR,
        caller: ALICE,
        action: "s3:GetObjectAcl",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "s3:Get* does not cover s3:PutObject",
        policy: ALICE_GET_STAR,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "Action * and Resource * cover DeleteBucket on the bucket",
        policy: BOB_EVERYTHING,
        caller: BOB,
        action: "s3:DeleteBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "action names compare case-insensitively (S3:getobject)",
        policy: MIXED_CASE_ACTION,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "an action list covers its second action",
        policy: ALICE_GET_PUT,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "an action list does not cover an unlisted action",
        policy: ALICE_GET_PUT,
        caller: ALICE,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "NotAction DeleteObject covers GetObject",
        policy: ALICE_ALL_BUT_DELETE,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "NotAction DeleteObject leaves DeleteObject neutral",
        policy: ALICE_ALL_BUT_DELETE,
        caller: ALICE,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // Resources.
    Case {
        name: "an exact object ARN matches that object",
        policy: EXACT_OBJECT,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "an exact object ARN does not match a longer key",
        policy: EXACT_OBJECT,
        caller: ANON,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bkt/public/a.txt.bak",
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "bkt/public/* matches a key under public/",
        policy: PUBLIC_PREFIX,
        caller: ANON,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bkt/public/deep/b.txt",
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "bkt/public/* does not match a key under private/",
        policy: PUBLIC_PREFIX,
        caller: ANON,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "resource patterns are case-sensitive (Public/ vs public/*)",
        policy: PUBLIC_PREFIX,
        caller: ANON,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bkt/Public/a.txt",
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "bkt/?.txt matches a one-character name",
        policy: ONE_CHAR_TXT,
        caller: ANON,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bkt/a.txt",
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "bkt/?.txt does not match a two-character name",
        policy: ONE_CHAR_TXT,
        caller: ANON,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bkt/ab.txt",
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "ListBucket on the bucket ARN is not matched by bkt/*",
        policy: LIST_ON_OBJECT_ARN,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "ListBucket on the bucket ARN is matched by the bucket ARN",
        policy: LIST_ON_BUCKET_ARN,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "the bucket ARN does not match an object ARN",
        policy: LIST_ON_BUCKET_ARN,
        caller: ANON,
        action: "s3:ListBucket",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "arn:aws:s3:::* matches an object of the bucket",
        policy: ALL_BUCKETS,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Deny NotResource public/*: a private object is denied",
        policy: ONLY_PUBLIC_READABLE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "Deny NotResource public/*: a public object is allowed",
        policy: ONLY_PUBLIC_READABLE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    // Explicit Deny over Allow.
    Case {
        name: "a Deny listed before the Allow wins",
        policy: DENY_FIRST,
        caller: ALICE,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "a Deny for another action leaves the Allow",
        policy: DENY_FIRST,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "a Deny listed after the Allow wins",
        policy: DENY_BOB_PRIVATE,
        caller: BOB,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "a Deny on another resource leaves the Allow",
        policy: DENY_BOB_PRIVATE,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "a Deny to bob does not reach alice",
        policy: DENY_BOB_PRIVATE,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "a Deny to bob does not reach an anonymous caller",
        policy: DENY_BOB_PRIVATE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PRIVATE_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    // StringEquals / multiple values.
    Case {
        name: "StringEquals s3:prefix: equal value",
        policy: PREFIX_EQUALS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringEquals s3:prefix: other value",
        policy: PREFIX_EQUALS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "private/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringEquals s3:prefix: missing key does not match",
        policy: PREFIX_EQUALS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringEquals with two values: the second one matches (OR)",
        policy: PREFIX_EQUALS_ANY_OF,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "shared/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringEquals with two values: neither matches",
        policy: PREFIX_EQUALS_ANY_OF,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "other/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // StringNotEquals (negated: a missing key holds).
    Case {
        name: "StringNotEquals x-amz-acl: the required ACL escapes the Deny",
        policy: ACL_MUST_BE_OWNER_FULL,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[("s3:x-amz-acl", "bucket-owner-full-control")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringNotEquals x-amz-acl: another ACL is denied",
        policy: ACL_MUST_BE_OWNER_FULL,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[("s3:x-amz-acl", "public-read")],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "StringNotEquals x-amz-acl: a missing key holds, so denied",
        policy: ACL_MUST_BE_OWNER_FULL,
        caller: ALICE,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    // StringLike / StringNotLike.
    Case {
        name: "StringLike home/alice/* matches a sub-prefix",
        policy: PREFIX_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "home/alice/docs/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringLike logs/202?/ matches one character",
        policy: PREFIX_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "logs/2026/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringLike logs/202?/ does not match two characters",
        policy: PREFIX_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "logs/20266/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringLike: another user's home does not match",
        policy: PREFIX_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "home/bob/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringNotLike: inside home/alice/ the Deny does not apply",
        policy: PREFIX_NOT_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "home/alice/x/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringNotLike: outside home/alice/ is denied",
        policy: PREFIX_NOT_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "home/bob/")],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "StringNotLike: a missing s3:prefix holds, so denied",
        policy: PREFIX_NOT_LIKE,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    // StringEqualsIgnoreCase.
    Case {
        name: "StringEqualsIgnoreCase x-amz-acl ignores case",
        policy: ACL_IGNORE_CASE,
        caller: BOB,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[("s3:x-amz-acl", "Bucket-Owner-Full-Control")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringEqualsIgnoreCase x-amz-acl: another value",
        policy: ACL_IGNORE_CASE,
        caller: BOB,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[("s3:x-amz-acl", "private")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringEquals x-amz-acl is case-sensitive",
        policy: ACL_EXACT_CASE,
        caller: BOB,
        action: "s3:PutObject",
        resource: PUBLIC_OBJECT,
        context: &[("s3:x-amz-acl", "Bucket-Owner-Full-Control")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // IpAddress / NotIpAddress.
    Case {
        name: "IpAddress: an IPv4 address inside the /24",
        policy: FROM_NETWORKS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "192.0.2.77")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "IpAddress: an IPv4 address outside the /24",
        policy: FROM_NETWORKS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "198.51.100.1")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "IpAddress: an IPv6 address inside 2001:db8::/32",
        policy: FROM_NETWORKS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "2001:db8::1")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "IpAddress: an IPv6 address outside 2001:db8::/32",
        policy: FROM_NETWORKS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "2001:db9::1")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "IpAddress: a missing aws:SourceIp does not match",
        policy: FROM_NETWORKS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "IpAddress with a bare address: the same address",
        policy: FROM_ONE_ADDRESS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "203.0.113.5")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "IpAddress with a bare address: the next address",
        policy: FROM_ONE_ADDRESS,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "203.0.113.6")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "NotIpAddress: inside 10.0.0.0/8 escapes the Deny",
        policy: DENY_OUTSIDE_NETWORK,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "10.1.2.3")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "NotIpAddress: outside 10.0.0.0/8 is denied",
        policy: DENY_OUTSIDE_NETWORK,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "192.0.2.1")],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "NotIpAddress: a missing aws:SourceIp holds, so denied",
        policy: DENY_OUTSIDE_NETWORK,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    // Bool aws:SecureTransport.
    Case {
        name: "Bool SecureTransport false: plain HTTP is denied",
        policy: TLS_ONLY,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:securetransport", "false")],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "Bool SecureTransport false: HTTPS is allowed",
        policy: TLS_ONLY,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:securetransport", "true")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Bool SecureTransport false: a missing key does not match the Deny",
        policy: TLS_ONLY,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    // aws:Referer with wildcards.
    Case {
        name: "StringLike Referer: a page of example.com",
        policy: REFERER_LIKE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:referer", "http://example.com/index.html")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringLike Referer: a look-alike host does not match",
        policy: REFERER_LIKE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:referer", "http://www.example.com.evil.org/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringLike Referer: a missing Referer does not match",
        policy: REFERER_LIKE,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // Dates (two operators: AND).
    Case {
        name: "DateGreaterThan + DateLessThan: inside the window",
        policy: DATE_WINDOW,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:currenttime", NOW)],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "DateLessThan: after the window",
        policy: DATE_WINDOW,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:currenttime", "2027-02-01T00:00:00.000Z")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "DateGreaterThan: before the window",
        policy: DATE_WINDOW,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:currenttime", "2025-06-01T00:00:00.000Z")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "dates as epoch seconds and plain date: inside",
        policy: DATE_WINDOW_OTHER_FORMS,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:currenttime", NOW)],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "dates as epoch seconds and plain date: before the plain date",
        policy: DATE_WINDOW_OTHER_FORMS,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:currenttime", "2026-11-30T23:59:59.000Z")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // Numeric.
    Case {
        name: "NumericLessThanEquals max-keys: equal bound",
        policy: MAX_KEYS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:max-keys", "100")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "NumericLessThanEquals max-keys: above the bound",
        policy: MAX_KEYS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:max-keys", "1000")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "NumericLessThanEquals max-keys: not a number",
        policy: MAX_KEYS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:max-keys", "many")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "NumericLessThanEquals max-keys: a missing key does not match",
        policy: MAX_KEYS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "NumericLessThanEqualsIfExists max-keys: a missing key holds",
        policy: MAX_KEYS_IF_EXISTS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "NumericLessThanEqualsIfExists max-keys: a present key is still tested",
        policy: MAX_KEYS_IF_EXISTS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:max-keys", "1000")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // Multiple keys (AND), multiple operators (AND), IfExists.
    Case {
        name: "two keys in one operator: both match",
        policy: PREFIX_AND_DELIMITER,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/"), ("s3:delimiter", "/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "two keys in one operator: the second is missing",
        policy: PREFIX_AND_DELIMITER,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "two keys in one operator: the second differs",
        policy: PREFIX_AND_DELIMITER,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/"), ("s3:delimiter", "|")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "two operators: both hold",
        policy: PREFIX_AND_NETWORK,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/"), ("aws:sourceip", "192.0.2.10")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "two operators: the IpAddress one fails",
        policy: PREFIX_AND_NETWORK,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "public/"), ("aws:sourceip", "198.51.100.10")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "StringEqualsIfExists: a missing key holds",
        policy: PREFIX_IF_EXISTS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "StringEqualsIfExists: a present key must match",
        policy: PREFIX_IF_EXISTS,
        caller: ANON,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "private/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // Null.
    Case {
        name: "Null Referer true: no Referer is denied",
        policy: DENY_WITHOUT_REFERER,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Deny,
    },
    Case {
        name: "Null Referer true: a Referer escapes the Deny",
        policy: DENY_WITHOUT_REFERER,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:referer", "http://example.com/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Null SourceIp false: a present key matches",
        policy: SOURCE_IP_PRESENT,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[("aws:sourceip", "192.0.2.1")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "Null SourceIp false: a missing key does not match",
        policy: SOURCE_IP_PRESENT,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // ForAllValues / ForAnyValue (a key may carry several values).
    Case {
        name: "ForAllValues: every value is listed",
        policy: FOR_ALL_PREFIXES,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "a/"), ("s3:prefix", "b/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "ForAllValues: one value is not listed",
        policy: FOR_ALL_PREFIXES,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "a/"), ("s3:prefix", "c/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "ForAllValues: no values at all holds",
        policy: FOR_ALL_PREFIXES,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "ForAnyValue: one value matches",
        policy: FOR_ANY_PREFIX,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "a/"), ("s3:prefix", "c/")],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "ForAnyValue: no value matches",
        policy: FOR_ANY_PREFIX,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[("s3:prefix", "a/"), ("s3:prefix", "b/")],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    Case {
        name: "ForAnyValue: no values at all does not match",
        policy: FOR_ANY_PREFIX,
        caller: ALICE,
        action: "s3:ListBucket",
        resource: BUCKET_ARN,
        context: &[],
        public_ignored: false,
        expected: Decision::Neutral,
    },
    // public_ignored (RestrictPublicBuckets): Allow statements to a wildcard principal count for
    // nothing; Deny statements and named principals still apply.
    Case {
        name: "public ignored: Principal * no longer allows an anonymous caller",
        policy: ANYONE_GET,
        caller: ANON,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Neutral,
    },
    Case {
        name: "public ignored: {AWS:*} no longer allows a named caller",
        policy: AWS_STAR_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Neutral,
    },
    Case {
        name: "public ignored: {AWS:[*]} (a list) is a wildcard too",
        policy: AWS_STAR_LIST_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Neutral,
    },
    Case {
        name: "public not ignored: {AWS:[*]} (a list) allows",
        policy: AWS_STAR_LIST_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: false,
        expected: Decision::Allow,
    },
    Case {
        name: "public ignored: a named principal still allows",
        policy: ALICE_ID_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Allow,
    },
    Case {
        name: "public ignored: alice keeps her own statement",
        policy: ANYONE_AND_ALICE_GET,
        caller: ALICE,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Allow,
    },
    Case {
        name: "public ignored: bob had only the public statement",
        policy: ANYONE_AND_ALICE_GET,
        caller: BOB,
        action: "s3:GetObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Neutral,
    },
    Case {
        name: "public ignored: a Deny to everyone still denies",
        policy: DENY_ANYONE_ALLOW_ALICE,
        caller: ALICE,
        action: "s3:DeleteObject",
        resource: PUBLIC_OBJECT,
        context: &[],
        public_ignored: true,
        expected: Decision::Deny,
    },
];

#[test]
fn evaluation_table() {
    assert!(CASES.len() >= 60, "the table has only {} cases", CASES.len());
    for (index, case) in CASES.iter().enumerate() {
        let name = case.name;
        let policy = BucketPolicy::parse(case.policy, BUCKET)
            .unwrap_or_else(|err| panic!("case {index} ({name}): the policy does not parse: {err:?}"));
        let ctx: Vec<(&'static str, String)> = case
            .context
            .iter()
            .map(|&(key, value)| (key, value.to_owned()))
            .collect();
        let request = Request {
            caller: case.caller.map(|(id, ak)| Caller { id, access_key: ak }),
            action: case.action,
            resource: case.resource,
            context: &ctx,
        };
        let got = policy.evaluate(&request, case.public_ignored);
        assert_eq!(
            got, case.expected,
            "case {index} ({name}): caller {:?}, {} on {}, context {:?}, public_ignored {}",
            case.caller, case.action, case.resource, case.context, case.public_ignored
        );
    }
}

// ---------------------------------------------------------------------------------------------
// MalformedPolicy
// ---------------------------------------------------------------------------------------------

/// (description, document, AWS's message).
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        "not JSON",
        "this is not json",
        "This policy contains invalid Json",
    ),
    (
        "a JSON array",
        r#"[{"Statement":[]}]"#,
        "This policy contains invalid Json",
    ),
    (
        "no Statement",
        r#"{"Version":"2012-10-17"}"#,
        "Missing required field Statement",
    ),
    (
        "an empty Statement array",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        "Missing required field Statement",
    ),
    (
        "Effect Maybe",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Invalid effect: Maybe",
    ),
    (
        "no Effect",
        r#"{"Version":"2012-10-17","Statement":[{"Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Missing required field Effect",
    ),
    (
        "no Principal",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Missing required field Principal",
    ),
    (
        "no Action",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Missing required field Action",
    ),
    (
        "no Resource",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject"}]}"#,
        "Missing required field Resource",
    ),
    (
        "unknown action s3:Fly",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:Fly","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Policy has invalid action",
    ),
    (
        "an action without the s3: prefix",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"iam:PassRole","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Policy has invalid action",
    ),
    (
        "a resource of another bucket",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
        "Policy has invalid resource",
    ),
    (
        "a resource that is not an ARN",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"bkt/*"}]}"#,
        "Policy has invalid resource",
    ),
    (
        "Version 2020-01-01",
        r#"{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "The policy must contain a valid version string",
    ),
    (
        "unknown condition operator",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*",
            "Condition":{"StringSortOf":{"s3:prefix":"a"}}}]}"#,
        "Invalid Condition type : StringSortOf",
    ),
    (
        "a Service principal",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"x"},
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        "Invalid principal in policy",
    ),
];

/// Valid documents: (description, document).
const VALID: &[(&str, &str)] = &[
    (
        "wildcard action s3:Get*",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:Get*","Resource":"arn:aws:s3:::bkt/*"}]}"#,
    ),
    (
        "the bucket ARN",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt"}]}"#,
    ),
    (
        "every bucket arn:aws:s3:::*",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}"#,
    ),
    (
        "a single Statement object",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}"#,
    ),
    (
        "Version 2008-10-17",
        r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
    ),
];

/// A valid policy whose `Sid` is `padding`.
fn padded_policy(padding: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{padding}","Effect":"Allow",
            "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}]}}"#
    )
}

fn expect_malformed(description: &str, text: &str, message: &str) {
    match BucketPolicy::parse(text, BUCKET) {
        Ok(policy) => panic!("{description}: expected MalformedPolicy, parsed {policy:?}"),
        Err(err) => {
            assert_eq!(err.code, Code::MalformedPolicy, "{description}: {err:?}");
            assert_eq!(err.message, message, "{description}");
        }
    }
}

#[test]
fn malformed_policies() {
    for &(description, text, message) in MALFORMED {
        expect_malformed(description, text, message);
    }

    let base_len = padded_policy("").len();
    let too_big = padded_policy(&"x".repeat(MAX_POLICY_SIZE + 1 - base_len));
    assert_eq!(too_big.len(), MAX_POLICY_SIZE + 1);
    expect_malformed(
        "a document over 20 KiB",
        &too_big,
        "Policy exceeds the maximum allowed document size.",
    );
    let at_limit = padded_policy(&"x".repeat(MAX_POLICY_SIZE - base_len));
    assert_eq!(at_limit.len(), MAX_POLICY_SIZE);
    if let Err(err) = BucketPolicy::parse(&at_limit, BUCKET) {
        panic!("a document of exactly 20 KiB: {err:?}");
    }

    for &(description, text) in VALID {
        if let Err(err) = BucketPolicy::parse(text, BUCKET) {
            panic!("{description}: expected a valid policy, got {err:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// is_public
// ---------------------------------------------------------------------------------------------

#[test]
fn public_policies() {
    let cases: &[(&str, &str, bool)] = &[
        ("Allow to Principal * without a condition", ANYONE_GET, true),
        ("Allow to {AWS:*}", AWS_STAR_GET, true),
        (
            "Deny only",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
            false,
        ),
        ("Allow to a named principal", ALICE_ID_GET, false),
        (
            "Allow to Principal * from some networks (aws:SourceIp)",
            FROM_NETWORKS,
            false,
        ),
        (
            "Allow to Principal * with only a StringEquals s3:prefix condition",
            PREFIX_EQUALS,
            true,
        ),
    ];
    for &(description, text, expected) in cases {
        let policy = BucketPolicy::parse(text, BUCKET)
            .unwrap_or_else(|err| panic!("{description}: the policy does not parse: {err:?}"));
        assert_eq!(policy.is_public(), expected, "{description}");
    }
}
