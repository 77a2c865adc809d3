//! The report: the CSV of a run turned into a Markdown table (three systems side by side, with
//! the ratios gateway/raw and gateway/peer per workload) and the verdict on each target of the
//! benchmark issue; optionally pasted into the README between two marker lines.
//!
//! Owns the table layout and the target definitions. Must not measure anything: it reads the
//! CSV written by `loadgen suite`, whose rows come in any order (interleaved across systems):
//! they are matched by system and workload, and workloads keep the order of first appearance.

use std::collections::HashMap;
use std::fmt::Write as _;

/// The fields of one CSV line that the report uses.
#[derive(Clone, Debug, Default)]
pub struct Rec {
    /// `raw`, `gateway` or `peer`.
    pub system: String,
    /// E.g. `PUT 4 KiB c8`.
    pub workload: String,
    /// Operation.
    pub op: String,
    /// Object size or listing bucket size.
    pub size: u64,
    /// Concurrency.
    pub conc: usize,
    /// Failed operations.
    pub errors: u64,
    /// Operations per second.
    pub ops_s: f64,
    /// MiB per second.
    pub mib_s: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Peak RSS of the server processes, MiB.
    pub rss_mib: f64,
    /// RSS of the server processes when the workload began, MiB (absent in older CSVs).
    pub rss_start_mib: Option<f64>,
    /// Server CPU, percent of one core.
    pub cpu_pct: f64,
    /// Client CPU seconds.
    pub client_cpu_s: f64,
    /// First error, if any.
    pub note: String,
}

/// Parses the CSV written by `loadgen suite` (header line first).
pub fn parse_csv(text: &str) -> Result<Vec<Rec>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty CSV")?.split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("CSV lacks column {name}"))
    };
    let idx = [
        col("system")?,
        col("workload")?,
        col("op")?,
        col("size")?,
        col("conc")?,
        col("errors")?,
        col("ops_s")?,
        col("mib_s")?,
        col("p50_ms")?,
        col("p99_ms")?,
        col("server_rss_peak_mib")?,
        col("server_cpu_pct")?,
        col("client_cpu_s")?,
        col("note")?,
    ];
    let rss_start_col = col("server_rss_start_mib").ok();
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() || line.starts_with("system,") {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let get = |i: usize| f.get(idx[i]).copied().unwrap_or("");
        let num = |i: usize| {
            get(i)
                .parse::<f64>()
                .map_err(|_| format!("line {}: bad number {:?}", n + 2, get(i)))
        };
        out.push(Rec {
            system: get(0).to_owned(),
            workload: get(1).to_owned(),
            op: get(2).to_owned(),
            size: get(3).parse().unwrap_or(0),
            conc: get(4).parse().unwrap_or(0),
            errors: get(5).parse().unwrap_or(0),
            ops_s: num(6)?,
            mib_s: num(7)?,
            p50_ms: num(8)?,
            p99_ms: num(9)?,
            rss_mib: num(10)?,
            rss_start_mib: rss_start_col.and_then(|i| f.get(i)).and_then(|v| v.parse().ok()),
            cpu_pct: num(11)?,
            client_cpu_s: num(12)?,
            note: get(13).to_owned(),
        });
    }
    Ok(out)
}

/// Peak RSS, with the rise over the workload's starting RSS when the CSV has it.
fn rss_cell(r: Option<&Rec>) -> String {
    match r {
        None => "-".to_owned(),
        Some(r) => match r.rss_start_mib {
            Some(s) => format!("{} (+{:.0})", fmt_num(r.rss_mib), (r.rss_mib - s).max(0.0)),
            None => fmt_num(r.rss_mib),
        },
    }
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".to_owned(),
    }
}

/// A target's verdict.
pub struct Verdict {
    /// What is required.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

impl Verdict {
    fn missing(target: String, why: &str) -> Verdict {
        Verdict {
            target,
            measured: why.to_owned(),
            met: None,
        }
    }
}

fn find<'a>(recs: &'a [Rec], sys: &str, wl: &str) -> Option<&'a Rec> {
    recs.iter().find(|r| r.system == sys && r.workload == wl)
}

/// PUT and GET of 1 MiB and 64 MiB at concurrency 1 and 8: gateway >= 0.9 x raw.
fn data_verdicts(recs: &[Rec], out: &mut Vec<Verdict>) {
    for op in ["PUT", "GET"] {
        for size in ["1 MiB", "64 MiB"] {
            for c in [1, 8] {
                let wl = format!("{op} {size} c{c}");
                let target = format!("{wl}: gateway >= 0.9 x raw gfapi");
                out.push(match (find(recs, "gateway", &wl), find(recs, "raw", &wl)) {
                    (Some(g), Some(r)) => Verdict {
                        target,
                        measured: format!(
                            "{:.1} vs {:.1} MiB/s = {:.2} x",
                            g.mib_s,
                            r.mib_s,
                            g.mib_s / r.mib_s.max(1e-9)
                        ),
                        met: Some(g.mib_s >= 0.9 * r.mib_s && g.errors == 0),
                    },
                    _ => Verdict::missing(target, "not measured"),
                });
            }
        }
    }
}

/// 4 KiB PUT and GET: gateway ops/s >= 2 x peer, p99 <= 2 x raw p99.
fn small_verdicts(recs: &[Rec], out: &mut Vec<Verdict>) {
    let small = recs
        .iter()
        .filter(|r| r.system == "gateway" && r.size == 4096 && (r.op == "put" || r.op == "get"));
    for g in small {
        let target = format!("{}: gateway ops/s >= 2 x peer", g.workload);
        out.push(match find(recs, "peer", &g.workload) {
            Some(p) => Verdict {
                target,
                measured: format!(
                    "{:.1} vs {:.1} ops/s = {:.2} x",
                    g.ops_s,
                    p.ops_s,
                    g.ops_s / p.ops_s.max(1e-9)
                ),
                met: Some(g.ops_s >= 2.0 * p.ops_s && g.errors == 0),
            },
            None => Verdict::missing(target, "peer not measured"),
        });
        let target = format!("{}: gateway p99 <= 2 x raw p99", g.workload);
        out.push(match find(recs, "raw", &g.workload) {
            Some(r) => Verdict {
                target,
                measured: format!(
                    "{:.2} vs {:.2} ms = {:.2} x",
                    g.p99_ms,
                    r.p99_ms,
                    g.p99_ms / r.p99_ms.max(1e-9)
                ),
                met: Some(g.p99_ms <= 2.0 * r.p99_ms),
            },
            None => Verdict::missing(target, "raw not measured"),
        });
    }
}

/// A LIST page from the 1,000,000-key bucket costs at most 2 x one from the small bucket. The
/// cost of a page is its latency alone (concurrency 1); other concurrencies are in the table.
fn list_verdicts(recs: &[Rec], out: &mut Vec<Verdict>) {
    let lists: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.system == "gateway" && r.op == "list")
        .collect();
    let small_size = lists.iter().filter(|r| r.size < 1_000_000).map(|r| r.size).min();
    for big in lists.iter().filter(|r| r.size >= 1_000_000 && r.conc == 1) {
        let target = format!(
            "{}: a page costs <= 2 x a page of the smaller bucket",
            big.workload
        );
        let small = lists
            .iter()
            .find(|r| Some(r.size) == small_size && r.conc == big.conc);
        out.push(match small {
            Some(s) => Verdict {
                target,
                measured: format!(
                    "p50 {:.2} vs {:.2} ms = {:.2} x ({} c{}); throughput {:.0} vs {:.0} pages/s",
                    big.p50_ms,
                    s.p50_ms,
                    big.p50_ms / s.p50_ms.max(1e-9),
                    s.workload.split(' ').nth(1).unwrap_or(""),
                    s.conc,
                    big.ops_s,
                    s.ops_s
                ),
                met: Some(big.p50_ms <= 2.0 * s.p50_ms && big.ops_s * 2.0 >= s.ops_s && big.errors == 0),
            },
            None => Verdict::missing(target, "no smaller bucket measured"),
        });
    }
}

/// The targets of the benchmark issue, evaluated on `recs`.
pub fn verdicts(recs: &[Rec]) -> Vec<Verdict> {
    let mut out = Vec::new();
    data_verdicts(recs, &mut out);
    small_verdicts(recs, &mut out);
    list_verdicts(recs, &mut out);
    let target = "PUT 64 MiB c32: gateway RSS < 256 MiB".to_owned();
    out.push(match find(recs, "gateway", "PUT 64 MiB c32") {
        Some(g) => Verdict {
            target,
            measured: match g.rss_start_mib {
                Some(s) => format!(
                    "peak {:.1} MiB: {:.1} held when the workload began, +{:.1} during it",
                    g.rss_mib,
                    s,
                    g.rss_mib - s
                ),
                None => format!("peak {:.1} MiB", g.rss_mib),
            },
            met: Some(g.rss_mib < 256.0),
        },
        None => Verdict::missing(target, "not measured"),
    });
    out
}

/// The Markdown report: `title`, `context` lines (machine, load, command), the table, the
/// targets, and the errors seen.
pub fn markdown(recs: &[Rec], title: &str, context: &[String], chart: Option<&str>) -> String {
    let mut workloads: Vec<String> = Vec::new();
    for r in recs {
        if !workloads.contains(&r.workload) {
            workloads.push(r.workload.clone());
        }
    }
    let by: HashMap<(&str, &str), &Rec> = recs
        .iter()
        .map(|r| ((r.system.as_str(), r.workload.as_str()), r))
        .collect();
    let get = |sys: &str, wl: &str| by.get(&(sys, wl)).copied();
    let mut s = String::new();
    let _ = writeln!(s, "### {title}\n");
    for c in context {
        let _ = writeln!(s, "{c}  ");
    }
    s.push('\n');
    if let Some(chart) = chart {
        let _ = writeln!(s, "![throughput and p99 per workload]({chart})\n");
    }
    s.push_str(
        "Throughput is ops/s (MiB/s for data); latency in ms. gw/raw and gw/peer are throughput ratios; \
p99 gw/raw is the latency ratio. RSS and CPU are the gateway process's (peak VmRSS, and in brackets what the workload added to the \
RSS it began with; CPU % of one core).\n\n",
    );
    s.push_str("| workload | raw ops/s | gw ops/s | peer ops/s | raw MiB/s | gw MiB/s | peer MiB/s | raw p99 | gw p50 | gw p99 | peer p99 | gw/raw | gw/peer | p99 gw/raw | gw RSS MiB | gw CPU % | errors r/g/p |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let cell = |r: Option<&Rec>, f: fn(&Rec) -> f64| r.map_or("-".to_owned(), |r| fmt_num(f(r)));
    for wl in &workloads {
        let (r, g, p) = (get("raw", wl), get("gateway", wl), get("peer", wl));
        let data = g
            .or(r)
            .or(p)
            .is_some_and(|x| x.op != "list" && x.op != "head" && x.op != "delete");
        let mib = |x: Option<&Rec>| {
            if data {
                cell(x, |r| r.mib_s)
            } else {
                "-".to_owned()
            }
        };
        let errs = |x: Option<&Rec>| x.map_or("-".to_owned(), |r| r.errors.to_string());
        let _ = writeln!(
            s,
            "| {wl} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{}/{} |",
            cell(r, |x| x.ops_s),
            cell(g, |x| x.ops_s),
            cell(p, |x| x.ops_s),
            mib(r),
            mib(g),
            mib(p),
            cell(r, |x| x.p99_ms),
            cell(g, |x| x.p50_ms),
            cell(g, |x| x.p99_ms),
            cell(p, |x| x.p99_ms),
            ratio(g.map(|x| x.ops_s), r.map(|x| x.ops_s)),
            ratio(g.map(|x| x.ops_s), p.map(|x| x.ops_s)),
            ratio(g.map(|x| x.p99_ms), r.map(|x| x.p99_ms)),
            rss_cell(g),
            cell(g, |x| x.cpu_pct),
            errs(r),
            errs(g),
            errs(p),
        );
    }
    if recs.iter().any(|r| r.system == "gateway-pg") {
        s.push_str(&registry_table(&workloads, &get));
    }
    s.push_str("\nTargets:\n\n| target | measured | met |\n|---|---|---|\n");
    for v in verdicts(recs) {
        let met = match v.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(s, "| {} | {} | {met} |", v.target, v.measured);
    }
    let errors: Vec<&Rec> = recs.iter().filter(|r| r.errors > 0).collect();
    if !errors.is_empty() {
        s.push_str("\nErrors (first of each workload):\n\n");
        for r in errors {
            let _ = writeln!(
                s,
                "- {} {}: {} errors; first: {}",
                r.system, r.workload, r.errors, r.note
            );
        }
    }
    let client: f64 = recs.iter().map(|r| r.client_cpu_s).sum();
    let _ = writeln!(s, "\nLoad generator CPU over all measured phases: {client:.1} s.");
    s
}

/// The registry comparison (`BENCH_REGISTRY=postgres`): the gateway on sled (`gateway`) beside
/// the same gateway on PostgreSQL (`gateway-pg`), per workload both measured, with the ratio of
/// throughputs (PostgreSQL's over sled's: below 1 is slower).
fn registry_table<'a>(workloads: &[String], get: &dyn Fn(&str, &str) -> Option<&'a Rec>) -> String {
    let mut s = String::from(
        "\nRegistry: the gateway on sled (`gateway`) and on PostgreSQL (`gateway-pg`), same volume, same binary.\n\n\
| workload | sled ops/s | PostgreSQL ops/s | PostgreSQL/sled | sled p50 | PostgreSQL p50 | sled p99 | PostgreSQL p99 | errors s/p |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for wl in workloads {
        let (Some(g), Some(p)) = (get("gateway", wl), get("gateway-pg", wl)) else {
            continue;
        };
        let _ = writeln!(
            s,
            "| {wl} | {} | {} | {} | {} | {} | {} | {} | {}/{} |",
            fmt_num(g.ops_s),
            fmt_num(p.ops_s),
            ratio(Some(p.ops_s), Some(g.ops_s)),
            fmt_num(g.p50_ms),
            fmt_num(p.p50_ms),
            fmt_num(g.p99_ms),
            fmt_num(p.p99_ms),
            g.errors,
            p.errors,
        );
    }
    s
}

/// Replaces the text between `<!-- bench:begin -->` and `<!-- bench:end -->` in `readme`.
pub fn splice_readme(readme: &str, body: &str) -> Result<String, String> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let b = readme
        .find(BEGIN)
        .ok_or("README has no <!-- bench:begin --> marker")?;
    let e = readme
        .find(END)
        .ok_or("README has no <!-- bench:end --> marker")?;
    if e < b {
        return Err("README bench markers are out of order".into());
    }
    Ok(format!("{}{BEGIN}\n{body}\n{}", &readme[..b], &readme[e..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::CSV_HEADER;

    #[allow(
        clippy::too_many_arguments,
        reason = "one CSV line per call, fields in column order"
    )]
    fn line(
        sys: &str,
        wl: &str,
        op: &str,
        size: u64,
        ops_s: f64,
        mib_s: f64,
        p50: f64,
        p99: f64,
        rss: f64,
    ) -> String {
        let conc = wl.rsplit('c').next().unwrap();
        format!("{sys},{wl},{op},{size},{conc},10,0,1.0,{ops_s},{mib_s},{p50},{p50},{p99},{p99},{rss},{},0.5,50,0.1,", rss / 2.0)
    }

    #[test]
    fn table_and_targets() {
        let csv = [
            CSV_HEADER.to_owned(),
            line(
                "raw",
                "PUT 1 MiB c1",
                "put",
                1 << 20,
                100.0,
                100.0,
                9.0,
                12.0,
                50.0,
            ),
            line(
                "gateway",
                "PUT 1 MiB c1",
                "put",
                1 << 20,
                95.0,
                95.0,
                10.0,
                14.0,
                40.0,
            ),
            line(
                "peer",
                "PUT 1 MiB c1",
                "put",
                1 << 20,
                40.0,
                40.0,
                20.0,
                30.0,
                30.0,
            ),
            line("gateway", "GET 4 KiB c8", "get", 4096, 900.0, 3.5, 4.0, 9.0, 40.0),
            line("peer", "GET 4 KiB c8", "get", 4096, 200.0, 0.8, 40.0, 48.0, 30.0),
            line("raw", "GET 4 KiB c8", "get", 4096, 2000.0, 7.8, 2.0, 4.0, 30.0),
            line(
                "gateway",
                "LIST 10k c1",
                "list",
                10_000,
                100.0,
                20.0,
                9.0,
                12.0,
                50.0,
            ),
            line(
                "gateway",
                "LIST 1M c1",
                "list",
                1_000_000,
                90.0,
                18.0,
                10.0,
                14.0,
                60.0,
            ),
            line(
                "gateway",
                "PUT 64 MiB c32",
                "put",
                64 << 20,
                2.0,
                128.0,
                9.0,
                12.0,
                300.0,
            ),
        ]
        .join("\n");
        let recs = parse_csv(&csv).unwrap();
        assert_eq!(recs.len(), 9);
        let md = markdown(&recs, "t", &["machine: test".into()], Some("chart.png"));
        assert!(md.contains("| PUT 1 MiB c1 | 100 | 95.0 | 40.0 |"), "{md}");
        let v = verdicts(&recs);
        let met = |t: &str| v.iter().find(|v| v.target.starts_with(t)).and_then(|v| v.met);
        assert_eq!(met("PUT 1 MiB c1: gateway >= 0.9"), Some(true));
        assert_eq!(met("PUT 1 MiB c8"), None);
        assert_eq!(met("GET 4 KiB c8: gateway ops/s >= 2 x peer"), Some(true));
        assert_eq!(met("GET 4 KiB c8: gateway p99"), Some(false));
        assert_eq!(met("LIST 1M c1"), Some(true));
        assert!(!v.iter().any(|v| v.target.starts_with("LIST 1M c8")));
        assert_eq!(met("PUT 64 MiB c32: gateway RSS"), Some(false));
    }

    #[test]
    fn row_order_does_not_matter() {
        // The suite writes rows interleaved (each workload on every system in turn); older runs
        // wrote them system by system. The report groups by system and workload either way.
        let wls = [
            ("PUT 4 KiB c1", "put", 4096),
            ("GET 4 KiB c1", "get", 4096),
            ("LIST 10k c1", "list", 10_000),
        ];
        let systems = ["raw", "gateway", "peer"];
        let row = |sys: &str, (wl, op, size): (&str, &str, u64), k: f64| {
            line(sys, wl, op, size, 100.0 * k, k, k, 2.0 * k, 10.0 * k)
        };
        let mut interleaved = vec![CSV_HEADER.to_owned()];
        for (i, wl) in wls.iter().enumerate() {
            for (j, sys) in systems.iter().enumerate() {
                interleaved.push(row(sys, *wl, (i * 3 + j + 1) as f64));
            }
        }
        interleaved.push(row("gateway", ("LIST 1M c1", "list", 1_000_000), 7.0));
        let mut by_system = vec![CSV_HEADER.to_owned()];
        for (j, sys) in systems.iter().enumerate() {
            for (i, wl) in wls.iter().enumerate() {
                by_system.push(row(sys, *wl, (i * 3 + j + 1) as f64));
            }
            if *sys == "gateway" {
                by_system.push(row("gateway", ("LIST 1M c1", "list", 1_000_000), 7.0));
            }
        }
        let md = |lines: &[String]| markdown(&parse_csv(&lines.join("\n")).unwrap(), "t", &[], None);
        assert_eq!(md(&interleaved), md(&by_system));
        assert!(md(&interleaved).contains("| GET 4 KiB c1 | 400 | 500 | 600 |"));
    }

    #[test]
    fn readme_splice() {
        let r = "a\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nb\n";
        assert_eq!(
            splice_readme(r, "new").unwrap(),
            "a\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nb\n"
        );
        assert!(splice_readme("no markers", "x").is_err());
    }
}
