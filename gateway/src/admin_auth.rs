//! The admin API's bearer token: [`AdminToken`] (never printed) and [`check_bearer`], the one
//! check every `/admin/v1/` route runs before doing anything. Compares in constant time
//! (`subtle`), so the answer's timing does not tell how much of a guess was right. Must not
//! know about routes, S3 users or SigV4: the admin API has its own credential.

use std::fmt;

use subtle::ConstantTimeEq;

/// The configured token. Its `Debug` is redacted, so a logged `Config` does not leak it.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    /// A token; an empty string is no token.
    pub fn new(token: String) -> Option<AdminToken> {
        (!token.is_empty()).then_some(AdminToken(token))
    }

    /// The token's bytes, as the HMAC key of Gluster's webhook JWTs (`events`). Not for display.
    pub fn secret(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether `presented` is this token, in time that depends only on the lengths.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer ...` header (or no token configured at all).
    Missing,
    /// A bearer token that is not the configured one.
    Wrong,
}

/// Checks an `Authorization` header value against the configured token. With no token
/// configured every request is refused: an admin API that anyone may call is never a default.
pub fn check_bearer(authorization: Option<&str>, token: Option<&AdminToken>) -> Result<(), Refusal> {
    let Some(token) = token else {
        return Err(Refusal::Missing);
    };
    let presented = authorization
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
        })
        .ok_or(Refusal::Missing)?;
    if token.matches(presented) {
        Ok(())
    } else {
        Err(Refusal::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let t = AdminToken::new("s3cr3t".into()).unwrap();
        assert_eq!(check_bearer(Some("Bearer s3cr3t"), Some(&t)), Ok(()));
        assert_eq!(check_bearer(Some("bearer  s3cr3t "), Some(&t)), Ok(()));
        assert_eq!(check_bearer(Some("Bearer s3cr3"), Some(&t)), Err(Refusal::Wrong));
        assert_eq!(
            check_bearer(Some("Bearer s3cr3tt"), Some(&t)),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            check_bearer(Some("Basic s3cr3t"), Some(&t)),
            Err(Refusal::Missing)
        );
        assert_eq!(check_bearer(None, Some(&t)), Err(Refusal::Missing));
        assert_eq!(check_bearer(Some("Bearer s3cr3t"), None), Err(Refusal::Missing));
        assert!(AdminToken::new(String::new()).is_none());
        assert_eq!(format!("{t:?}"), "AdminToken(<redacted>)");
    }
}
