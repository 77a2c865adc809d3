//! Time formats of the S3 wire: milliseconds since the epoch in records, RFC 7231 dates in
//! headers (`Last-Modified`, `If-Modified-Since`), ISO 8601 with milliseconds in XML
//! (`2009-10-12T17:50:30.000Z`). Must not read the clock except in [`now_ms`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Milliseconds since the epoch as a `SystemTime`.
pub fn to_system_time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The last instant an HTTP date can show: 9999-12-31T23:59:59Z, in milliseconds.
const MAX_HTTP_DATE_MS: u64 = 253_402_300_799_000;

/// `Sun, 06 Nov 1994 08:49:37 GMT` (second precision, as HTTP dates are). A time past the year
/// 9999 (only a damaged record holds one) shows as the last second of 9999, not a panic.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(to_system_time(ms.min(MAX_HTTP_DATE_MS)))
}

/// Parses an HTTP date into milliseconds (whole seconds).
pub fn parse_http_date(s: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs() * 1000)
}

/// `2009-10-12T17:50:30.000Z`.
pub fn iso8601(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Parses an ISO 8601 / RFC 3339 time (`2030-01-01T00:00:00Z`, `2030-01-01T00:00:00.000Z`, an
/// offset) into milliseconds since the epoch; `None` for anything else or a time before 1970.
pub fn parse_iso8601(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_255_369_830_123), "2009-10-12T17:50:30.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    /// Found by the `headers` fuzz target: an object whose mtime is past 9999 made
    /// `httpdate` panic while answering a conditional GET with 304.
    #[test]
    fn dates_past_9999_do_not_panic() {
        assert_eq!(http_date(299_205_588_858_500), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(u64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(MAX_HTTP_DATE_MS), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
