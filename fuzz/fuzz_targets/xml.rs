//! Every request-body XML parser (`s3::xml`): CreateBucketConfiguration, Delete,
//! CompleteMultipartUpload, Tagging, VersioningConfiguration, ObjectLockConfiguration,
//! Retention, LegalHold, LifecycleConfiguration, AccessControlPolicy, PublicAccessBlock,
//! OwnershipControls, CORSConfiguration, and bucket policies (JSON), on arbitrary bytes.
//! Properties: no panic; a parsed Delete, CompleteMultipartUpload or Tagging written back with
//! `to_xml` parses to the same value, and so do CORS rules in their stored form.
#![no_main]

use gateway::s3::xml::{
    AccessControlPolicy, CompleteMultipartUpload, CreateBucketConfiguration, Delete, LegalHold,
    LifecycleConfiguration, ObjectLockConfiguration, OwnershipControls, PublicAccessBlockConfiguration,
    Retention, Tagging, VersioningConfiguration,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = VersioningConfiguration::from_xml(data);
    let _ = ObjectLockConfiguration::from_xml(data);
    let _ = Retention::from_xml(data);
    let _ = LegalHold::from_xml(data);
    let _ = PublicAccessBlockConfiguration::from_xml(data);
    let _ = OwnershipControls::from_xml(data);
    if let Ok(doc) = AccessControlPolicy::from_xml(data) {
        let _ = gateway::s3::acl::Acl::from_document(doc, "owner", &|id: &str| id == "owner");
    }
    if let Ok((conf, canonical)) = gateway::s3::cors::parse(data) {
        // The stored (canonical) form reads back as the same rules.
        assert_eq!(gateway::s3::cors::parse(canonical.as_bytes()).ok().map(|c| c.0), Some(conf));
    }
    // Bucket policies are JSON, read by the same kind of untrusted request body.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gateway::s3::policy::BucketPolicy::parse(text, "bkt");
    }
    if LifecycleConfiguration::from_xml(data).is_ok() {
        // Validation (rules, dates, filters) on what parses.
        let _ = gateway::s3::lifecycle::parse(data);
    }
    if let Err(e) = CreateBucketConfiguration::from_xml(data) {
        let _ = (e.code(), e.to_string());
    }
    if let Ok(d) = Delete::from_xml(data) {
        assert_eq!(
            Delete::from_xml(d.to_xml().as_bytes()),
            Ok(d),
            "Delete does not round-trip"
        );
    }
    if let Ok(c) = CompleteMultipartUpload::from_xml(data) {
        assert_eq!(
            CompleteMultipartUpload::from_xml(c.to_xml().as_bytes()),
            Ok(c),
            "CompleteMultipartUpload does not round-trip"
        );
    }
    if let Ok(t) = Tagging::from_xml(data) {
        assert_eq!(
            Tagging::from_xml(t.to_xml().as_bytes()),
            Ok(t),
            "Tagging does not round-trip"
        );
    }
});
