//! The judgement of `make soak`: least-squares slopes of the gateway's resource samples after
//! the warm-up, and whether each series is flat.
//!
//! Owns the [`Sample`] row, the fit ([`fit`]: ordinary least squares, with the slope's standard
//! error widened for the autocorrelation of the residuals), the rules that call a series
//! growing ([`Limits`], [`judge`]) and the Markdown tables of the result. Must not do I/O, read
//! the clock or know how the samples were taken: it is pure, so the rules are unit-tested on
//! made-up series.

use std::fmt::Write as _;

/// One sample of the gateway process and the load, taken every interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Seconds since the load started.
    pub t_s: f64,
    /// Resident set (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: u64,
    /// Threads.
    pub threads: u64,
    /// Blobs queued for the garbage sweep (the gateway's gauge; 0 when not sampled).
    pub gc_queue: u64,
    /// Requests completed in the interval before this sample, per second.
    pub rate: f64,
    /// Unexpected errors so far (all requests that were not what the load expected).
    pub errors: u64,
}

/// A straight line through points, with the slope's uncertainty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Points fitted.
    pub n: usize,
    /// Change of y per unit of x.
    pub slope: f64,
    /// y at x = 0.
    pub intercept: f64,
    /// Standard error of the slope, widened by `sqrt((1 + r) / (1 - r))` for a positive lag-1
    /// autocorrelation `r` of the residuals (capped at 0.9): samples 10 s apart are not
    /// independent (the heap grows and shrinks in steps), and the plain OLS error would call
    /// a slow wander a trend.
    pub se: f64,
}

/// Ordinary least squares of `ys` on `xs`; `None` with fewer than 3 points or no spread in x.
pub fn fit(xs: &[f64], ys: &[f64]) -> Option<Fit> {
    let n = xs.len().min(ys.len());
    if n < 3 {
        return None;
    }
    let (xs, ys) = (&xs[..n], &ys[..n]);
    let nf = n as f64;
    let mx = xs.iter().sum::<f64>() / nf;
    let my = ys.iter().sum::<f64>() / nf;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx <= f64::EPSILON {
        return None;
    }
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let resid: Vec<f64> = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| y - (intercept + slope * x))
        .collect();
    let sse: f64 = resid.iter().map(|e| e * e).sum();
    let mut se = (sse / (nf - 2.0) / sxx).sqrt();
    if sse > f64::EPSILON {
        let lag1: f64 = resid.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / sse;
        let r = lag1.clamp(0.0, 0.9);
        se *= ((1.0 + r) / (1.0 - r)).sqrt();
    }
    Some(Fit {
        n,
        slope,
        intercept,
        se,
    })
}

/// When a series counts as growing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest tolerated RSS slope, MiB per hour.
    pub rss_mib_per_h: f64,
    /// A count (fds, threads) grows when its fitted rise over the judged window is at least this
    /// and at least [`Limits::count_rel`] of its mean.
    pub count_rise: f64,
    /// The relative part of a count's rise that counts: pools that follow the load's peaks
    /// (tokio's blocking pool, whose idle threads exit after 10 s; client connections) drift by
    /// a few percent while they find their high-water mark; a leak keeps climbing past it.
    pub count_rel: f64,
    /// How many standard errors the slope must clear: a series grows only when
    /// `slope - sigmas * se` is above its limit, i.e. when the growth is beyond the noise.
    pub sigmas: f64,
    /// Fewer samples after the warm-up than this: no verdict, the run fails.
    pub min_samples: usize,
    /// Memory is judged only over a window at least this long (hours). Under load the resident
    /// set swings by tens of MiB with the bodies in flight (32 clients, objects up to 6 MiB) and
    /// drifts for minutes at a time; over a few minutes such a drift is a slope of hundreds of
    /// MiB/h that reverts at rest (measured: +45 MiB in the 2 minutes judged of a 3-minute run,
    /// back at the start value 10 s after the load). A shorter run reports the slope, unjudged.
    pub min_memory_window_h: f64,
}

impl Limits {
    /// The smallest fitted rise of a count with this mean that counts as growth.
    pub fn min_rise(&self, mean: f64) -> f64 {
        self.count_rise.max(self.count_rel * mean)
    }
}

/// What a count must come back to at rest, once the load has stopped and idle pools drained:
/// `after` at most `slack` above `before` (the gateway before the load). Returns the failure.
pub fn rest_failures(name: &str, before: u64, after: u64, slack: u64) -> Option<String> {
    (after > before + slack)
        .then(|| format!("{name} at rest {after}, {before} before the load (a leak keeps them)"))
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            rss_mib_per_h: 8.0,
            count_rise: 2.0,
            count_rel: 0.1,
            sigmas: 3.0,
            min_samples: 6,
            min_memory_window_h: 1.0 / 3.0,
        }
    }
}

/// How a series is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Memory: the slope must stay under [`Limits::rss_mib_per_h`].
    Memory,
    /// A count (fds, threads): no significant upward trend of [`Limits::count_rise`] or more.
    Count,
    /// Reported, never judged (the request rate).
    Info,
}

/// One series after the warm-up, fitted and judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Name in the report.
    pub name: &'static str,
    /// Unit of the values.
    pub unit: &'static str,
    /// How it is judged.
    pub kind: Kind,
    /// Samples judged.
    pub n: usize,
    /// First, smallest, mean, largest and last value judged.
    pub first: f64,
    /// Smallest value.
    pub min: f64,
    /// Mean value.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
    /// Last value.
    pub last: f64,
    /// The fit, x in hours (slope per hour), when there are enough points.
    pub fit: Option<Fit>,
    /// Hours between the first and the last sample judged.
    pub window_h: f64,
    /// Why it fails, or `None` when it is flat (or only reported).
    pub failure: Option<String>,
}

impl Series {
    /// Whether the rules apply (memory needs a long enough window; the rate is never judged).
    pub fn judged(&self, limits: &Limits) -> bool {
        match self.kind {
            Kind::Memory => self.window_h >= limits.min_memory_window_h,
            Kind::Count => true,
            Kind::Info => false,
        }
    }

    /// The smallest slope per hour this run would have called growth (noise included).
    pub fn detectable(&self, limits: &Limits) -> Option<f64> {
        let f = self.fit?;
        if self.kind == Kind::Memory && !self.judged(limits) {
            return None;
        }
        let floor = match self.kind {
            Kind::Memory => limits.rss_mib_per_h,
            Kind::Count => limits.min_rise(self.mean) / self.window_h.max(f64::EPSILON),
            Kind::Info => return None,
        };
        Some(floor + limits.sigmas * f.se)
    }
}

/// Fits and judges one series of `(hours, value)` points.
pub fn judge_series(
    name: &'static str,
    unit: &'static str,
    kind: Kind,
    pts: &[(f64, f64)],
    limits: &Limits,
) -> Series {
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let n = pts.len();
    let first = ys.first().copied().unwrap_or(0.0);
    let last = ys.last().copied().unwrap_or(0.0);
    let min = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = if n == 0 {
        0.0
    } else {
        ys.iter().sum::<f64>() / n as f64
    };
    let window_h = xs.last().copied().unwrap_or(0.0) - xs.first().copied().unwrap_or(0.0);
    let f = fit(&xs, &ys);
    let failure = match (kind, f) {
        (Kind::Info, _) => None,
        _ if n < limits.min_samples => Some(format!(
            "{n} samples after the warm-up, {} needed: no verdict",
            limits.min_samples
        )),
        (_, None) => Some("no fit".to_owned()),
        (Kind::Memory, Some(_)) if window_h < limits.min_memory_window_h => None,
        (Kind::Memory, Some(f)) => (f.slope - limits.sigmas * f.se > limits.rss_mib_per_h).then(|| {
            format!(
                "grows {:.1} {unit}/h (± {:.1}), over the {} {unit}/h limit beyond the noise",
                f.slope, f.se, limits.rss_mib_per_h
            )
        }),
        (Kind::Count, Some(f)) => {
            let rise = f.slope * window_h;
            (f.slope - limits.sigmas * f.se > 0.0 && rise >= limits.min_rise(mean)).then(|| {
                format!(
                    "rises {rise:.1} over {:.0} min ({:.1}/h ± {:.1})",
                    window_h * 60.0,
                    f.slope,
                    f.se
                )
            })
        }
    };
    Series {
        name,
        unit,
        kind,
        n,
        first,
        min: if n == 0 { 0.0 } else { min },
        mean,
        max: if n == 0 { 0.0 } else { max },
        last,
        fit: f,
        window_h,
        failure,
    }
}

/// The samples taken at or after `warmup_s`, judged series by series: RSS (MiB), open fds,
/// threads, and the request rate (reported only).
pub fn judge(samples: &[Sample], warmup_s: f64, limits: &Limits) -> Vec<Series> {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.t_s >= warmup_s).collect();
    let pts = |f: &dyn Fn(&Sample) -> f64| -> Vec<(f64, f64)> {
        after.iter().map(|s| (s.t_s / 3600.0, f(s))).collect()
    };
    vec![
        judge_series(
            "resident memory (VmRSS)",
            "MiB",
            Kind::Memory,
            &pts(&|s| s.rss_kib as f64 / 1024.0),
            limits,
        ),
        judge_series(
            "open file descriptors",
            "fds",
            Kind::Count,
            &pts(&|s| s.fds as f64),
            limits,
        ),
        judge_series(
            "threads",
            "threads",
            Kind::Count,
            &pts(&|s| s.threads as f64),
            limits,
        ),
        judge_series(
            "blobs queued for GC",
            "blobs",
            Kind::Count,
            &pts(&|s| s.gc_queue as f64),
            limits,
        ),
        judge_series("request rate", "req/s", Kind::Info, &pts(&|s| s.rate), limits),
    ]
}

/// The Markdown table of judged series.
pub fn series_table(series: &[Series], limits: &Limits) -> String {
    let mut out = String::from(
        "| series | first | min | mean | max | last | slope per hour (± SE) | would catch | verdict |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for s in series {
        let slope = s.fit.map_or_else(
            || "-".to_owned(),
            |f| format!("{:+.2} {}/h (± {:.2})", f.slope, s.unit, f.se),
        );
        let catch = s
            .detectable(limits)
            .map_or_else(|| "-".to_owned(), |d| format!("> {d:.1} {}/h", s.unit));
        let verdict = match (&s.failure, s.kind) {
            (Some(why), _) => format!("**GROWS**: {why}"),
            (None, Kind::Info) => "reported".to_owned(),
            (None, _) if !s.judged(limits) => format!(
                "not judged: {:.0} min after the warm-up, {:.0} needed",
                s.window_h * 60.0,
                limits.min_memory_window_h * 60.0
            ),
            (None, _) => "flat".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {slope} | {catch} | {verdict} |",
            s.name, s.first, s.min, s.mean, s.max, s.last
        );
    }
    out
}

/// At most `rows` samples (evenly spaced, the first and the last included) as a Markdown table.
pub fn samples_table(samples: &[Sample], rows: usize) -> String {
    let mut out = String::from(
        "| t (s) | RSS (MiB) | fds | threads | GC queue | req/s | errors so far |\n|---|---|---|---|---|---|---|\n",
    );
    let n = samples.len();
    let step = n.div_ceil(rows.max(2)).max(1);
    for (i, s) in samples.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = writeln!(
                out,
                "| {:.0} | {:.1} | {} | {} | {} | {:.1} | {} |",
                s.t_s,
                s.rss_kib as f64 / 1024.0,
                s.fds,
                s.threads,
                s.gc_queue,
                s.rate,
                s.errors
            );
        }
    }
    out
}

/// All samples as CSV.
pub fn samples_csv(samples: &[Sample]) -> String {
    let mut out = String::from("t_s,rss_kib,fds,threads,gc_queue,req_per_s,errors\n");
    for s in samples {
        let _ = writeln!(
            out,
            "{:.1},{},{},{},{},{:.2},{}",
            s.t_s, s.rss_kib, s.fds, s.threads, s.gc_queue, s.rate, s.errors
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise in [-1, 1] (xorshift), so the tests do not depend on a seed crate.
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 2001) as f64 / 1000.0 - 1.0
            })
            .collect()
    }

    fn samples(
        n: usize,
        every_s: f64,
        rss_mib: impl Fn(usize, f64) -> f64,
        fds: impl Fn(usize) -> u64,
    ) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let t = i as f64 * every_s;
                Sample {
                    t_s: t,
                    rss_kib: (rss_mib(i, t) * 1024.0) as u64,
                    fds: fds(i),
                    threads: 40,
                    gc_queue: 3,
                    rate: 50.0,
                    errors: 0,
                }
            })
            .collect()
    }

    #[test]
    fn fit_recovers_a_line() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 + 2.0 * x).collect();
        let f = fit(&xs, &ys).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-9 && (f.intercept - 3.0).abs() < 1e-9);
        assert!(f.se < 1e-6, "a perfect line has no error: {f:?}");
        assert_eq!(f.n, 10);
        let flat = fit(&xs, &[5.0; 10]).unwrap();
        assert!(flat.slope.abs() < 1e-12 && flat.se < 1e-12);
        assert!(fit(&[1.0, 2.0], &[1.0, 2.0]).is_none(), "two points are no trend");
        assert!(
            fit(&[1.0; 5], &[1.0, 2.0, 3.0, 4.0, 5.0]).is_none(),
            "no spread in x"
        );
    }

    #[test]
    fn fit_error_grows_with_noise_and_with_autocorrelation() {
        let xs: Vec<f64> = (0..100).map(f64::from).collect();
        let n = noise(100, 7);
        let white: Vec<f64> = xs.iter().zip(&n).map(|(x, e)| x * 0.5 + e).collect();
        let f = fit(&xs, &white).unwrap();
        assert!((f.slope - 0.5).abs() < 0.02, "{f:?}");
        assert!(f.se > 0.0);
        // The same amplitude, but in long steps (like a heap): same slope scale, wider error.
        let steps: Vec<f64> = xs.iter().map(|x| x * 0.5 + n[(*x as usize) / 20]).collect();
        let g = fit(&xs, &steps).unwrap();
        assert!(g.se > f.se, "steps {g:?} vs white {f:?}");
    }

    #[test]
    fn a_flat_noisy_run_passes_and_a_leak_fails() {
        let lim = Limits::default();
        let n = noise(400, 3);
        // One hour every 10 s: RSS 120 MiB +- 6 MiB of noise, flat.
        let flat = samples(361, 10.0, |i, _| 120.0 + 6.0 * n[i], |_| 45);
        let v = judge(&flat, 360.0, &lim);
        assert!(v.iter().all(|s| s.failure.is_none()), "{v:#?}");
        assert_eq!(v[0].n, 325);
        // The same noise on a leak of 30 MiB/h.
        let leak = samples(361, 10.0, |i, t| 120.0 + 30.0 * t / 3600.0 + 6.0 * n[i], |_| 45);
        let v = judge(&leak, 360.0, &lim);
        let why = v[0].failure.as_deref().unwrap_or_default();
        assert!(why.contains("grows"), "{v:#?}");
        assert!(v[1..].iter().all(|s| s.failure.is_none()));
        // A heap that leaks in steps (5 MiB every 10 minutes = 30 MiB/h) is growth too.
        let stairs = samples(361, 10.0, |i, t| 120.0 + 5.0 * (t / 600.0).floor() + n[i], |_| 45);
        assert!(judge(&stairs, 360.0, &lim)[0].failure.is_some());
        // A slope under the limit is tolerated: 4 MiB/h.
        let slow = samples(361, 10.0, |i, t| 120.0 + 4.0 * t / 3600.0 + 6.0 * n[i], |_| 45);
        assert!(judge(&slow, 360.0, &lim)[0].failure.is_none());
    }

    #[test]
    fn warm_up_growth_is_not_judged() {
        // Climbs 80 MiB in the first 6 minutes, then flat: the warm-up hides the climb.
        let n = noise(400, 11);
        let s = samples(361, 10.0, |i, t| 40.0 + (t / 4.5).min(80.0) + 2.0 * n[i], |_| 45);
        let judged = &judge(&s, 360.0, &Limits::default())[0];
        assert!(judged.failure.is_none(), "{judged:#?}");
        assert!(judged.min > 115.0, "only the plateau is judged: {judged:#?}");
        // From t=0 the climb tilts the line, but a climb that levels off is a misfit of a
        // straight line (long runs of same-sign residuals), not a trend: the widened error
        // keeps it from being called a leak.
        let all = &judge(&s, 0.0, &Limits::default())[0];
        let (a, j) = (all.fit.unwrap(), judged.fit.unwrap());
        assert!(a.slope > j.slope + 20.0 && a.se > 5.0 * j.se, "{a:?} vs {j:?}");
    }

    #[test]
    fn memory_needs_a_long_window_counts_do_not() {
        // Three minutes, one minute of warm-up: 13 samples judged, a 2-minute window.
        let lim = Limits::default();
        let drift = samples(19, 10.0, |i, _| 100.0 + 4.0 * i as f64, |i| 30 + i as u64 * 3);
        let v = judge(&drift, 60.0, &lim);
        assert_eq!(v[0].n, 13);
        assert!(v[0].failure.is_none() && !v[0].judged(&lim), "{v:#?}");
        assert_eq!(v[0].detectable(&lim), None);
        assert!(series_table(&v, &lim).contains("not judged: 2 min after the warm-up, 20 needed"));
        assert!(v[1].failure.is_some(), "a count is judged in any window: {v:#?}");
        // Twenty-five minutes, the same slope: judged, and growth.
        let long = samples(151, 10.0, |i, _| 100.0 + 0.1 * i as f64, |_| 30);
        let v = judge(&long, 60.0, &lim);
        assert!(v[0].judged(&lim) && v[0].failure.is_some(), "{v:#?}");
    }

    #[test]
    fn counts_fail_on_a_steady_rise_not_on_a_blip() {
        let lim = Limits::default();
        let flat = samples(100, 10.0, |_, _| 100.0, |_| 40);
        assert!(judge(&flat, 60.0, &lim)[1].failure.is_none());
        // One fd leaked per minute.
        let leak = samples(100, 10.0, |_, _| 100.0, |i| 40 + i as u64 / 6);
        let why = judge(&leak, 60.0, &lim)[1].failure.clone().unwrap_or_default();
        assert!(why.contains("rises"), "{why}");
        // In-flight connections come and go: +-2 around 40, no trend.
        let wobble = samples(100, 10.0, |_, _| 100.0, |i| [40, 42, 38, 41, 39][i % 5]);
        assert!(judge(&wobble, 60.0, &lim)[1].failure.is_none());
        // A single step of one fd late in the run is below the rise that counts.
        let step = samples(100, 10.0, |_, _| 100.0, |i| if i > 90 { 41 } else { 40 });
        assert!(judge(&step, 60.0, &lim)[1].failure.is_none());
    }

    #[test]
    fn a_pool_finding_its_high_water_mark_is_not_a_leak() {
        // Threads of the gateway in a 3-minute run (tokio's blocking pool following the peaks of
        // 32 clients): 75, then 78, then 80 after the warm-up. All came back to 27 at rest.
        let lim = Limits::default();
        let th = [
            27, 68, 74, 74, 75, 75, 75, 78, 78, 78, 78, 78, 78, 78, 78, 78, 80, 80,
        ];
        let s = samples(18, 10.0, |_, _| 100.0, |i| th[i]);
        assert!(judge(&s, 60.0, &lim)[1].failure.is_none());
        assert_eq!(rest_failures("threads", 27, 27, 2), None);
        assert!(rest_failures("threads", 27, 30, 2).is_some_and(|w| w.contains("at rest 30")));
        assert_eq!(rest_failures("fds", 37, 39, 2), None);
        // A real leak of one per 10 s in the same run is caught.
        let leak = samples(18, 10.0, |_, _| 100.0, |i| 75 + i as u64);
        assert!(judge(&leak, 60.0, &lim)[1].failure.is_some());
    }

    #[test]
    fn too_few_samples_is_a_failure_and_rate_is_never_judged() {
        let lim = Limits::default();
        let s = samples(10, 10.0, |_, _| 100.0, |_| 40);
        let v = judge(&s, 60.0, &lim);
        assert!(v[0].failure.as_deref().unwrap_or_default().contains("no verdict"));
        assert!(v[4].failure.is_none(), "the rate is reported only");
        assert_eq!(v[3].name, "blobs queued for GC");
        let falling: Vec<Sample> = samples(100, 10.0, |_, _| 100.0, |_| 40)
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                s.rate = 100.0 - i as f64;
                s
            })
            .collect();
        assert!(judge(&falling, 60.0, &lim)[4].failure.is_none());
        // A GC queue that grows (garbage produced faster than the sweeper deletes it) fails the
        // run; one that hovers does not.
        let piling: Vec<Sample> = samples(100, 10.0, |_, _| 100.0, |_| 40)
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                s.gc_queue = 10 * i as u64;
                s
            })
            .collect();
        let v = judge(&piling, 60.0, &lim);
        assert!(v[3].failure.is_some(), "{:?}", v[3]);
        let hovering: Vec<Sample> = samples(100, 10.0, |_, _| 100.0, |_| 40)
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                s.gc_queue = [0, 256, 40, 0, 120][i % 5];
                s
            })
            .collect();
        assert!(judge(&hovering, 60.0, &lim)[3].failure.is_none());
    }

    #[test]
    fn tables_render() {
        let lim = Limits::default();
        let s = samples(100, 10.0, |_, _| 100.0, |_| 40);
        let t = series_table(&judge(&s, 60.0, &lim), &lim);
        assert!(
            t.contains("| resident memory (VmRSS) | 100.0 |") && t.contains("flat"),
            "{t}"
        );
        let rows = samples_table(&s, 10);
        assert_eq!(rows.lines().count(), 2 + 10 + 1, "{rows}");
        assert!(rows.lines().last().unwrap().starts_with("| 990 |"));
        assert_eq!(samples_csv(&s).lines().count(), 101);
    }
}
