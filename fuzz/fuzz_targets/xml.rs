//! Every request-body XML parser (`s3::xml`): CreateBucketConfiguration, Delete,
//! CompleteMultipartUpload, Tagging, VersioningConfiguration, ObjectLockConfiguration,
//! Retention, LegalHold, LifecycleConfiguration, on arbitrary bytes.
//! Properties: no panic; a parsed Delete, CompleteMultipartUpload or Tagging written back with
//! `to_xml` parses to the same value.
#![no_main]

use gateway::s3::xml::{
    CompleteMultipartUpload, CreateBucketConfiguration, Delete, LegalHold, LifecycleConfiguration,
    ObjectLockConfiguration, Retention, Tagging, VersioningConfiguration,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = VersioningConfiguration::from_xml(data);
    let _ = ObjectLockConfiguration::from_xml(data);
    let _ = Retention::from_xml(data);
    let _ = LegalHold::from_xml(data);
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
