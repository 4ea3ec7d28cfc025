//! `policy-runner bench`: times the guest `validate` call of a policy against a floor guest
//! (parse the payload, accept), in the same process and the same run, interleaved call by
//! call so that machine noise falls on both alike. Only the waPC call is timed; the payload is
//! built once per request, and a request's session is rewound to its first exchange before
//! each call, outside the timing.

use std::time::Instant;

use serde::Serialize;

use crate::cli::BenchArgs;
use crate::host::ContextAccess;
use crate::input::{check_settings, load_request, load_settings, request_uid};
use crate::policy::{LoadOptions, Policy, validate_payload};
use crate::replay::Session;
use crate::response::{AdmissionResponse, evaluate};

/// Summary of one series of timings, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub median_us: f64,
    pub p90_us: f64,
    pub min_us: f64,
    pub mean_us: f64,
}

impl Stats {
    /// From durations in nanoseconds (any order; at least one).
    pub fn from_nanos(samples: &mut [u64]) -> Stats {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_unstable();
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2] as f64
        } else {
            (samples[n / 2 - 1] as f64 + samples[n / 2] as f64) / 2.0
        };
        // Nearest-rank percentile.
        let p90 = samples[(n * 9).div_ceil(10) - 1] as f64;
        let mean = samples.iter().map(|&s| s as f64).sum::<f64>() / n as f64;
        Stats {
            median_us: median / 1000.0,
            p90_us: p90 / 1000.0,
            min_us: samples[0] as f64 / 1000.0,
            mean_us: mean / 1000.0,
        }
    }
}

#[derive(Debug, Serialize)]
struct ModuleReport {
    path: String,
    bytes: u64,
    /// The most guest linear memory the module used over the whole run, in bytes (measured
    /// when `POLICY_RUNNER_MEMORY=1`).
    peak_memory_bytes: Option<usize>,
}

#[derive(Debug, Serialize)]
struct RequestReport {
    name: String,
    path: String,
    /// The session replayed on each call, if any.
    session: Option<String>,
    /// Exchanges of that session per call.
    exchanges: usize,
    payload_bytes: usize,
    /// "accepted", "rejected" or "error" (the policy's answer to this request).
    verdict: &'static str,
    message: Option<String>,
    policy: Stats,
    floor: Stats,
    /// policy median / floor median.
    ratio: f64,
    /// policy p90 / floor p90.
    ratio_p90: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    iterations: u64,
    warmup: u64,
    policy: ModuleReport,
    floor: ModuleReport,
    /// policy bytes / floor bytes.
    size_ratio: f64,
    requests: Vec<RequestReport>,
    /// The largest median ratio over all requests.
    max_ratio: f64,
}

fn verdict(response: &AdmissionResponse) -> (&'static str, Option<String>) {
    let message = response.status.as_ref().and_then(|s| s.message.clone());
    let word = match (&response.status, response.allowed) {
        (Some(status), false) if status.code == Some(500) && is_guest_failure(&message) => "error",
        (_, true) => "accepted",
        (_, false) => "rejected",
    };
    (word, message)
}

fn is_guest_failure(message: &Option<String>) -> bool {
    message
        .as_deref()
        .is_some_and(|m| m.starts_with("internal server error: "))
}

/// Times one guest `validate` call. Its outcome was checked once beforehand (the verdict), so a
/// guest error is timed like any answer rather than ending the benchmark. The session, if any,
/// is rewound first, untimed.
fn time_call(module: &Policy, payload: &[u8]) -> u64 {
    module.host().rewind();
    let start = Instant::now();
    let result = module.call("validate", payload);
    let elapsed = start.elapsed().as_nanos() as u64;
    std::hint::black_box(result.is_ok());
    elapsed
}

pub fn bench(args: &BenchArgs) -> Result<(), String> {
    let settings = load_settings(&args.settings())?;
    let mut requests = Vec::with_capacity(args.requests.len());
    for named in &args.requests {
        let session = named.session.as_deref().map(Session::load).transpose()?;
        requests.push((named, load_request(&named.request)?, session));
    }
    let env = LoadOptions::from_env();
    // The bench grants what the sessions hold: it measures lookups, not permissions.
    let policy = Policy::load(
        &args.policy,
        LoadOptions {
            access: ContextAccess::Any,
            ..env.clone()
        },
    )?;
    let floor = Policy::load(&args.floor, env)?;
    check_settings(&policy, &settings)?;
    check_settings(&floor, &settings).map_err(|e| format!("floor: {e}"))?;

    let mut reports = Vec::with_capacity(requests.len());
    for (named, request, session) in &requests {
        let name = &named.name;
        policy
            .host()
            .set_session(session.as_ref().map(Session::replayer));
        // Sanity: what each module answers (also the first, cold call).
        let answer = evaluate(&policy, request, &settings);
        let (word, message) = verdict(&answer);
        if policy.host().unreplayed() > 0 {
            eprintln!(
                "policy-runner: warning: request {name}: {} of the session's exchanges were not \
                 replayed",
                policy.host().unreplayed()
            );
        }
        let floor_answer = evaluate(&floor, request, &settings);
        if !floor_answer.allowed {
            eprintln!(
                "policy-runner: warning: the floor did not accept request {name}: {}",
                floor_answer.to_json_line()
            );
        }
        if request_uid(request).is_empty() {
            eprintln!("policy-runner: note: request {name} has no uid");
        }

        let payload = validate_payload(request, &settings);
        let iterations = args.iterations as usize;
        let mut policy_ns = Vec::with_capacity(iterations);
        let mut floor_ns = Vec::with_capacity(iterations);
        for i in 0..args.warmup as usize + iterations {
            // Alternate which module goes first, so neither always runs right after the other.
            let (p, f) = if i % 2 == 0 {
                let p = time_call(&policy, &payload);
                (p, time_call(&floor, &payload))
            } else {
                let f = time_call(&floor, &payload);
                (time_call(&policy, &payload), f)
            };
            if i >= args.warmup as usize {
                policy_ns.push(p);
                floor_ns.push(f);
            }
        }
        let policy_stats = Stats::from_nanos(&mut policy_ns);
        let floor_stats = Stats::from_nanos(&mut floor_ns);
        reports.push(RequestReport {
            name: name.clone(),
            path: named.request.display().to_string(),
            session: named.session.as_ref().map(|p| p.display().to_string()),
            exchanges: session.as_ref().map_or(0, Session::len),
            payload_bytes: payload.len(),
            verdict: word,
            message,
            policy: policy_stats,
            floor: floor_stats,
            ratio: policy_stats.median_us / floor_stats.median_us,
            ratio_p90: policy_stats.p90_us / floor_stats.p90_us,
        });
    }

    let report = Report {
        iterations: args.iterations,
        warmup: args.warmup,
        policy: module_report(&policy),
        floor: module_report(&floor),
        size_ratio: policy.size() as f64 / floor.size() as f64,
        max_ratio: reports.iter().map(|r| r.ratio).fold(0.0, f64::max),
        requests: reports,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report always serialises")
        );
    } else {
        print!("{}", render_table(&report));
    }
    Ok(())
}

fn module_report(module: &Policy) -> ModuleReport {
    ModuleReport {
        path: module.path().display().to_string(),
        bytes: module.size(),
        peak_memory_bytes: module.peak_memory(),
    }
}

fn kib(bytes: u64) -> String {
    format!("{bytes} B ({:.1} KiB)", bytes as f64 / 1024.0)
}

fn render_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "policy: {}  {}\nfloor:  {}  {}\nsize policy/floor: {:.2}\n",
        report.policy.path,
        kib(report.policy.bytes),
        report.floor.path,
        kib(report.floor.bytes),
        report.size_ratio,
    ));
    if let (Some(p), Some(f)) = (
        report.policy.peak_memory_bytes,
        report.floor.peak_memory_bytes,
    ) {
        out.push_str(&format!(
            "peak guest memory: policy {}, floor {}\n",
            kib(p as u64),
            kib(f as u64)
        ));
    }
    out.push_str(&format!(
        "timed: the guest `validate` call only; {} calls per module and request after {} \
         warm-up calls, interleaved\n\n",
        report.iterations, report.warmup
    ));
    let header = [
        "request",
        "payload B",
        "lookups",
        "verdict",
        "policy med µs",
        "policy p90 µs",
        "floor med µs",
        "floor p90 µs",
        "ratio med",
        "ratio p90",
    ];
    let rows: Vec<[String; 10]> = report
        .requests
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.payload_bytes.to_string(),
                r.exchanges.to_string(),
                r.verdict.to_owned(),
                format!("{:.2}", r.policy.median_us),
                format!("{:.2}", r.policy.p90_us),
                format!("{:.2}", r.floor.median_us),
                format!("{:.2}", r.floor.p90_us),
                format!("{:.2}", r.ratio),
                format!("{:.2}", r.ratio_p90),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if i == 0 || i == 3 {
                s.push_str(cell);
                s.push_str(&pad);
            } else {
                s.push_str(&pad);
                s.push_str(cell);
            }
            s.push_str(if i + 1 < cells.len() { "  " } else { "\n" });
        }
        s
    };
    out.push_str(&line(&header.map(str::to_owned)));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!("\nmax ratio (median): {:.2}\n", report.max_ratio));
    let messages: Vec<_> = report
        .requests
        .iter()
        .filter_map(|r| r.message.as_ref().map(|m| (r, m)))
        .collect();
    if !messages.is_empty() {
        out.push_str("\nmessages:\n");
        for (r, m) in messages {
            out.push_str(&format!("  {} ({}): {}\n", r.name, r.verdict, m));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_odd_and_even() {
        let mut odd = vec![5000, 1000, 3000, 2000, 4000];
        let s = Stats::from_nanos(&mut odd);
        assert_eq!(s.median_us, 3.0);
        assert_eq!(s.min_us, 1.0);
        assert_eq!(s.mean_us, 3.0);
        assert_eq!(s.p90_us, 5.0);
        let mut even = vec![1000, 2000, 3000, 4000];
        assert_eq!(Stats::from_nanos(&mut even).median_us, 2.5);
        let mut ten: Vec<u64> = (1..=10).map(|i| i * 1000).collect();
        assert_eq!(Stats::from_nanos(&mut ten).p90_us, 9.0);
        let mut one = vec![7000];
        let s = Stats::from_nanos(&mut one);
        assert_eq!((s.median_us, s.p90_us), (7.0, 7.0));
    }

    fn sample_report() -> Report {
        let stats = |m| Stats {
            median_us: m,
            p90_us: m * 1.5,
            min_us: m / 2.0,
            mean_us: m,
        };
        Report {
            iterations: 10,
            warmup: 1,
            policy: ModuleReport {
                path: "p.wasm".into(),
                bytes: 2048,
                peak_memory_bytes: Some(1_179_648),
            },
            floor: ModuleReport {
                path: "f.wasm".into(),
                bytes: 1024,
                peak_memory_bytes: Some(131_072),
            },
            size_ratio: 2.0,
            requests: vec![RequestReport {
                name: "pod".into(),
                path: "pod.json".into(),
                session: Some("lookups.yml".into()),
                exchanges: 4,
                payload_bytes: 123,
                verdict: "rejected",
                message: Some("no pull secret".into()),
                policy: stats(6.0),
                floor: stats(3.0),
                ratio: 2.0,
                ratio_p90: 2.0,
            }],
            max_ratio: 2.0,
        }
    }

    #[test]
    fn table_mentions_everything() {
        let table = render_table(&sample_report());
        for needle in [
            "2048 B (2.0 KiB)",
            "1024 B (1.0 KiB)",
            "pod",
            "123",
            "rejected",
            "6.00",
            "9.00",
            "3.00",
            "2.00",
            "no pull secret",
            "peak guest memory: policy 1179648 B (1152.0 KiB), floor 131072 B (128.0 KiB)",
            "lookups",
        ] {
            assert!(table.contains(needle), "{needle:?} missing from:\n{table}");
        }
    }

    #[test]
    fn json_report_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&sample_report()).unwrap()).unwrap();
        assert_eq!(v["requests"][0]["ratio"], 2.0);
        assert_eq!(v["requests"][0]["policy"]["median_us"], 6.0);
        assert_eq!(v["policy"]["bytes"], 2048);
        assert_eq!(v["max_ratio"], 2.0);
        assert_eq!(v["policy"]["peak_memory_bytes"], 1_179_648);
        assert_eq!(v["requests"][0]["session"], "lookups.yml");
        assert_eq!(v["requests"][0]["exchanges"], 4);
    }

    #[test]
    fn unmeasured_memory_is_left_out_of_the_table() {
        let mut report = sample_report();
        report.policy.peak_memory_bytes = None;
        assert!(!render_table(&report).contains("peak guest memory"));
    }

    #[test]
    fn every_timed_call_replays_the_session_from_its_start() {
        let session = Session::parse(include_str!("../testdata/kwctl-session-sample.yml")).unwrap();
        let policy = Policy::from_bytes(
            &crate::test_guest::echo_guest_wasm(),
            std::path::Path::new("echo.wat"),
            LoadOptions {
                access: ContextAccess::Any,
                session: Some(session.replayer()),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        let lookup = br#"{"api_version":"v1","kind":"Secret","name":"regcred","namespace":"team-a","disable_cache":false,"field_masks":null}"#;
        for _ in 0..3 {
            time_call(&policy, lookup);
            // Only the first exchange was used: the call started from the top again.
            assert_eq!(policy.host().unreplayed(), 1);
            assert!(
                policy.call("validate", lookup).is_err(),
                "the second exchange is another Secret"
            );
        }
    }

    #[test]
    fn verdicts() {
        let ok = AdmissionResponse {
            uid: "u".into(),
            allowed: true,
            patch_type: None,
            patch: None,
            status: None,
            audit_annotations: None,
            warnings: None,
        };
        assert_eq!(verdict(&ok).0, "accepted");
        let err = AdmissionResponse::internal_server_error("u", "Guest call failure: x");
        assert_eq!(verdict(&err).0, "error");
    }
}
