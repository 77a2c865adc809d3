//! S3 request and error rates over the last hour, for the console's chart: a ring of 60
//! one-minute slots (requests, 4xx, 5xx), recorded once per request by `s3::handle` and read by
//! `GET /admin/v1/stats/requests`. The lock is held for a few additions only, so recording costs
//! nanoseconds; the clock is injected so tests move time by hand. Must not label anything by
//! request input (the slots are plain counters) nor keep more than the hour.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Minutes kept.
pub const MINUTES: usize = 60;

/// Unix seconds now, from the system clock.
fn system_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One minute's counts, as served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Minute {
    /// Unix seconds of the minute's start.
    pub start: u64,
    /// Requests answered.
    pub requests: u64,
    /// Of which 4xx.
    pub client_errors: u64,
    /// Of which 5xx.
    pub server_errors: u64,
}

/// The ring. A slot belongs to the minute in its `start`; a slot whose minute is not the one
/// asked for counts as zeros (a gap, or more than an hour old).
pub struct Rates {
    slots: Mutex<[Minute; MINUTES]>,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
}

impl Default for Rates {
    fn default() -> Self {
        Rates::new()
    }
}

impl std::fmt::Debug for Rates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rates")
    }
}

impl Rates {
    /// A ring on the system clock.
    pub fn new() -> Rates {
        Rates::with_clock(system_now)
    }

    /// A ring on `clock` (Unix seconds).
    pub fn with_clock(clock: impl Fn() -> u64 + Send + Sync + 'static) -> Rates {
        Rates {
            slots: Mutex::new([Minute::default(); MINUTES]),
            clock: Box::new(clock),
        }
    }

    /// The slots. A poisoned lock only means a recorder panicked mid-addition: keep counting.
    fn lock(&self) -> std::sync::MutexGuard<'_, [Minute; MINUTES]> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one answered request with HTTP status `status`.
    pub fn record(&self, status: u16) {
        let start = (self.clock)() / 60 * 60;
        let i = slot(start);
        let mut slots = self.lock();
        let s = &mut slots[i];
        if s.start != start {
            *s = Minute {
                start,
                ..Minute::default()
            };
        }
        s.requests += 1;
        match status {
            400..=499 => s.client_errors += 1,
            500..=599 => s.server_errors += 1,
            _ => {}
        }
    }

    /// The last [`MINUTES`] minutes, oldest first, the current one last; minutes without a
    /// request are zeros.
    pub fn minutes(&self) -> Vec<Minute> {
        let current = (self.clock)() / 60 * 60;
        let slots = *self.lock();
        (0..MINUTES as u64)
            .rev()
            .map(|back| {
                let start = current.saturating_sub(back * 60);
                let s = slots[slot(start)];
                if s.start == start && s.requests > 0 {
                    s
                } else {
                    Minute {
                        start,
                        ..Minute::default()
                    }
                }
            })
            .collect()
    }
}

/// The slot of the minute starting at `start`.
fn slot(start: u64) -> usize {
    // The remainder is below 60: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let i = (start / 60 % MINUTES as u64) as usize;
    i
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A ring and the hand that moves its clock.
    fn ring(t0: u64) -> (Rates, Arc<AtomicU64>) {
        let now = Arc::new(AtomicU64::new(t0));
        let n = now.clone();
        (Rates::with_clock(move || n.load(Ordering::Relaxed)), now)
    }

    const T0: u64 = 1_800_000_000; // a minute boundary (divisible by 60)

    #[test]
    fn counts_by_class_in_the_current_minute() {
        let (r, now) = ring(T0 + 5);
        for status in [200, 204, 304, 403, 404, 500, 503] {
            r.record(status);
        }
        now.store(T0 + 59, Ordering::Relaxed);
        r.record(200);
        let m = r.minutes();
        assert_eq!(m.len(), MINUTES);
        assert_eq!(
            m[MINUTES - 1],
            Minute {
                start: T0,
                requests: 8,
                client_errors: 2,
                server_errors: 2
            }
        );
        // Oldest first, one minute apart, ending with the current one.
        assert_eq!(m[0].start, T0 - 59 * 60);
        assert!(m.windows(2).all(|w| w[1].start == w[0].start + 60));
        assert!(m[..MINUTES - 1].iter().all(|x| x.requests == 0));
    }

    #[test]
    fn rollover_and_gaps() {
        let (r, now) = ring(T0);
        r.record(200);
        now.store(T0 + 60, Ordering::Relaxed);
        r.record(500);
        r.record(500);
        // Three silent minutes, then one more request.
        now.store(T0 + 5 * 60 + 1, Ordering::Relaxed);
        r.record(404);
        let m = r.minutes();
        let tail: Vec<(u64, u64, u64, u64)> = m[MINUTES - 6..]
            .iter()
            .map(|x| (x.start - T0, x.requests, x.client_errors, x.server_errors))
            .collect();
        assert_eq!(
            tail,
            [
                (0, 1, 0, 0),
                (60, 2, 0, 2),
                (120, 0, 0, 0),
                (180, 0, 0, 0),
                (240, 0, 0, 0),
                (300, 1, 1, 0)
            ]
        );
    }

    #[test]
    fn an_hour_later_the_slot_is_reused_and_old_counts_are_gone() {
        let (r, now) = ring(T0);
        r.record(200);
        r.record(200);
        // 59 minutes later the first minute is still the oldest of the window.
        now.store(T0 + 59 * 60, Ordering::Relaxed);
        assert_eq!(
            r.minutes()[0],
            Minute {
                start: T0,
                requests: 2,
                client_errors: 0,
                server_errors: 0
            }
        );
        // 60 minutes later it has left the window, though nothing overwrote its slot yet.
        now.store(T0 + 60 * 60, Ordering::Relaxed);
        let m = r.minutes();
        assert_eq!(m[0].start, T0 + 60);
        assert!(m.iter().all(|x| x.requests == 0), "{m:?}");
        // A request now lands in the same slot and starts it afresh.
        r.record(503);
        let m = r.minutes();
        assert_eq!(
            m[MINUTES - 1],
            Minute {
                start: T0 + 3600,
                requests: 1,
                client_errors: 0,
                server_errors: 1
            }
        );
        assert_eq!(m.iter().map(|x| x.requests).sum::<u64>(), 1);
    }

    #[test]
    fn a_clock_going_back_reads_no_future_minute() {
        let (r, now) = ring(T0 + 600);
        r.record(200);
        now.store(T0, Ordering::Relaxed);
        // The minute at T0+600 is not in the window ending at T0.
        assert!(r.minutes().iter().all(|x| x.requests == 0));
        assert_eq!(r.minutes()[MINUTES - 1].start, T0);
    }
}
