//! CORS: a bucket's rules (validated as AWS validates `PutBucketCors`), and which rule, if any,
//! lets a browser on some origin make a request, with the `Access-Control-*` headers the answer
//! carries. Stored as the bucket's [`CONFIG_KIND`] configuration document (the canonical XML).
//! Pure functions only: this module must not read the registry or decide authorization.

use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::xml::{CorsConfiguration, CorsRule};

/// The bucket configuration kind holding the CORS rules.
pub const CONFIG_KIND: &str = "cors";

/// AWS's limit on rules per bucket.
const MAX_RULES: usize = 100;

/// The methods a CORS rule may allow.
const METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "DELETE"];

/// Reads and validates a `CORSConfiguration` document; returns it and its canonical form.
///
/// # Errors
/// `MalformedXML` for a document that does not parse, has no rule, more than 100 rules, or a
/// rule without a method or origin; `InvalidRequest` with AWS's message for an unsupported
/// method or an origin or header with more than one `*`.
pub fn parse(doc: &[u8]) -> S3Result<(CorsConfiguration, String)> {
    let conf = CorsConfiguration::from_xml(doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    if conf.rules.is_empty() || conf.rules.len() > MAX_RULES {
        return Err(S3Error::new(Code::MalformedXML));
    }
    for rule in &conf.rules {
        if rule.allowed_method.is_empty() || rule.allowed_origin.is_empty() {
            return Err(S3Error::new(Code::MalformedXML));
        }
        if let Some(m) = rule
            .allowed_method
            .iter()
            .find(|m| !METHODS.contains(&m.as_str()))
        {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!("Found unsupported HTTP method in CORS config. Unsupported method is {m}"),
            ));
        }
        if let Some(o) = rule.allowed_origin.iter().find(|o| o.matches('*').count() > 1) {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!("AllowedOrigin \"{o}\" can not have more than one wildcard."),
            ));
        }
        if let Some(h) = rule.allowed_header.iter().find(|h| h.matches('*').count() > 1) {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!("AllowedHeader \"{h}\" can not have more than one wildcard."),
            ));
        }
    }
    let canonical = conf.to_xml();
    Ok((conf, canonical))
}

/// Reads stored rules (a stored document is valid; an unreadable one allows nothing).
pub fn stored(doc: Option<&str>) -> Option<CorsConfiguration> {
    doc.and_then(|d| CorsConfiguration::from_xml(d.as_bytes()).ok())
}

/// `*` matches any run of characters; at most one `*` (validated at PUT).
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            value.len() >= head.len() + tail.len() && value.starts_with(head) && value.ends_with(tail)
        }
    }
}

/// The first rule allowing `method` from `origin` with the request headers `headers`
/// (lowercase names; a preflight's `Access-Control-Request-Headers`).
pub fn matching<'a>(
    conf: &'a CorsConfiguration,
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'a CorsRule> {
    conf.rules.iter().find(|r| {
        r.allowed_origin.iter().any(|o| wildcard_match(o, origin))
            && r.allowed_method.iter().any(|m| m == method)
            && headers.iter().all(|h| {
                r.allowed_header
                    .iter()
                    .any(|a| wildcard_match(&a.to_ascii_lowercase(), h))
            })
    })
}

/// The `Access-Control-*` headers of an answer `rule` allows, for a request from `origin`;
/// `requested_headers` echoes a preflight's `Access-Control-Request-Headers`.
pub fn headers(
    rule: &CorsRule,
    origin: &str,
    requested_headers: Option<&str>,
) -> Vec<(&'static str, String)> {
    let any_origin = rule.allowed_origin.iter().any(|o| o == "*");
    let mut out = vec![(
        "access-control-allow-origin",
        if any_origin {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    )];
    out.push(("access-control-allow-methods", rule.allowed_method.join(", ")));
    if !any_origin {
        out.push(("access-control-allow-credentials", "true".to_owned()));
    }
    if let Some(h) = requested_headers.filter(|h| !h.trim().is_empty()) {
        out.push(("access-control-allow-headers", h.to_owned()));
    }
    if !rule.expose_header.is_empty() {
        out.push(("access-control-expose-headers", rule.expose_header.join(", ")));
    }
    if let Some(age) = rule.max_age_seconds {
        out.push(("access-control-max-age", age.to_string()));
    }
    out.push((
        "vary",
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_owned(),
    ));
    out
}

/// Splits an `Access-Control-Request-Headers` value into lowercase names.
pub fn requested_headers(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>
        <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>
        <AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds>
        </CORSRule><CORSRule><ID>all</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
        </CORSConfiguration>";

    #[test]
    fn rules_match_origin_method_and_headers() {
        let (conf, canonical) = parse(DOC.as_bytes()).unwrap();
        assert_eq!(parse(canonical.as_bytes()).unwrap().0, conf);
        let hdrs = requested_headers(Some("Content-Type, X-Amz-Date"));
        let rule = matching(&conf, "https://app.example.com", "PUT", &hdrs).unwrap();
        assert_eq!(rule.max_age_seconds, Some(300));
        assert!(matching(&conf, "https://app.example.com", "PUT", &["authorization".into()]).is_none());
        assert!(matching(&conf, "https://evil.com", "PUT", &[]).is_none());
        let any = matching(&conf, "https://evil.com", "GET", &[]).unwrap();
        assert_eq!(any.id.as_deref(), Some("all"));
        let h = headers(any, "https://evil.com", None);
        assert!(h.contains(&("access-control-allow-origin", "*".to_owned())));
        assert!(!h.iter().any(|(n, _)| *n == "access-control-allow-credentials"));
        let h = headers(rule, "https://app.example.com", Some("content-type"));
        assert!(h.contains(&(
            "access-control-allow-origin",
            "https://app.example.com".to_owned()
        )));
        assert!(h.contains(&("access-control-expose-headers", "ETag".to_owned())));
        assert!(h.contains(&("access-control-allow-headers", "content-type".to_owned())));
    }

    #[test]
    fn validation_follows_aws() {
        let bad = |doc: &str| parse(doc.as_bytes()).unwrap_err();
        let e = bad("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>");
        assert_eq!(e.code, Code::InvalidRequest);
        assert!(e.message.contains("Unsupported method is PATCH"), "{}", e.message);
        let e = bad("<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>");
        assert_eq!(e.code, Code::InvalidRequest);
        assert_eq!(
            bad("<CORSConfiguration></CORSConfiguration>").code,
            Code::MalformedXML
        );
        assert_eq!(
            bad("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>").code,
            Code::MalformedXML
        );
        assert_eq!(bad("<Nope/>").code, Code::MalformedXML);
        assert!(wildcard_match("a*c", "abbc") && !wildcard_match("a*c", "ac-") && wildcard_match("*", ""));
        assert!(!wildcard_match("ab*ba", "aba"));
    }
}
