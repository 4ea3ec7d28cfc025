//! `policy-runner bench`: times the guest `validate` call of a policy against a floor guest
//! (parse the payload, accept), in the same process and the same run, interleaved call by
//! call so that machine noise falls on both alike. The payload is built once per request, and
//! a request's session is rewound to its first exchange before each call, outside the timing.
//!
//! Two figures per module and request:
//!
//! - warm: the `validate` call alone, on one instance that has served every call before it;
//! - fresh: what the policy server pays per request, as it makes a new instance for every one:
//!   a new store with the pre-instantiated module instantiated into it, `wapc_init`, the
//!   `validate` call, and dropping the instance. Each step is timed apart (with the minor page
//!   faults it caused), and so is a `validate_settings` call on another fresh instance: what
//!   validating the settings costs when nothing is cached.

use std::time::Instant;

use serde_json::Value;

use serde::Serialize;

use crate::cli::BenchArgs;
use crate::host::ContextAccess;
use crate::input::{check_settings, load_request, load_settings, request_uid};
use crate::policy::{LoadOptions, Policy, parse_validation_reply, validate_payload};
use crate::replay::Session;
use crate::response::{AdmissionResponse, admission_response, evaluate};

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

/// One module's fresh-instance calls on one request: each step's timings, and the minor page
/// faults (medians) it took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FreshStats {
    /// instantiate + init + call + drop, per call.
    pub total: Stats,
    /// A new store and WASI context, the module instantiated into it.
    pub instantiate: Stats,
    /// The module's initialisers (`wapc_init`).
    pub init: Stats,
    /// The `validate` call, the instance's first.
    pub call: Stats,
    /// Dropping the store and instance.
    pub drop: Stats,
    /// A `validate_settings` call with the same settings, the first call of another fresh
    /// instance (its set-up not counted): what validating the settings costs uncached.
    pub settings_call: Stats,
    /// Median minor page faults of the whole fresh call, and of each step.
    pub faults: FreshFaults,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FreshFaults {
    pub total: f64,
    pub instantiate: f64,
    pub init: f64,
    pub call: f64,
    pub drop: f64,
}

/// What the host does around each call, timed natively here with the crates policy-evaluator
/// uses (serde_json, the SDK's reply type): the same for the policy and the floor but for the
/// reply, which the host reads and turns into the AdmissionResponse it writes back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HostStats {
    /// Serialising `{"request": .., "settings": ..}` from the parsed request and settings.
    pub payload: Stats,
    /// Reading the policy's reply and writing the AdmissionResponse JSON.
    pub policy_reply: Stats,
    /// The same with the floor's reply.
    pub floor_reply: Stats,
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
    /// The same request in a fresh instance per call, as the policy server runs it.
    policy_fresh: FreshStats,
    floor_fresh: FreshStats,
    /// policy fresh median / floor fresh median.
    ratio_fresh: f64,
    /// policy fresh p90 / floor fresh p90.
    ratio_fresh_p90: f64,
    host: HostStats,
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
    /// The largest median ratio of fresh-instance calls over all requests.
    max_ratio_fresh: f64,
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

/// The minor page faults of this thread so far (`/proc/thread-self/stat`), or 0 where it
/// cannot be read.
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (in parentheses, which may hold spaces): state is
            // field 3, minflt field 10.
            let rest = &stat[stat.rfind(')')? + 2..];
            rest.split(' ').nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// `POLICY_RUNNER_COLD_CACHE=MIB`: before each fresh call, the bench writes over a buffer of
/// that many MiB (untimed), so that the call finds the CPU caches holding other data, as in a
/// policy server whose own work between two guest calls evicts the guest's code and data.
#[derive(Debug, Default)]
struct ColdCache(Vec<u8>);

impl ColdCache {
    fn from_env() -> ColdCache {
        let mib = std::env::var("POLICY_RUNNER_COLD_CACHE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        ColdCache(vec![0; mib << 20])
    }

    fn evict(&mut self) {
        for line in self.0.iter_mut().step_by(64) {
            *line = line.wrapping_add(1);
        }
        std::hint::black_box(&self.0);
    }
}

/// One fresh-instance call, step by step: nanoseconds and minor page faults of instantiate,
/// init, call and drop; then, on another fresh instance, the `validate_settings` call.
#[derive(Debug, Clone, Copy, Default)]
struct FreshSample {
    ns: [u64; 4],
    faults: [u64; 4],
    settings_ns: u64,
}

/// What the policy server does for each request with a module it pre-instantiated: a new
/// instance, `wapc_init`, the call, the instance dropped. Each step timed (the page-fault
/// counter is read between steps, outside the timings).
fn time_fresh(
    module: &Policy,
    payload: &[u8],
    settings: &[u8],
    cold: &mut ColdCache,
) -> Result<FreshSample, String> {
    let mut sample = FreshSample::default();
    module.host().rewind();
    cold.evict();
    let f0 = minor_faults();
    let t0 = Instant::now();
    let instance = module.fresh_instance()?;
    let t1 = Instant::now();
    let f1 = minor_faults();
    let t2 = Instant::now();
    let guest = instance.initialise().map_err(|e| format!("{e:?}"))?;
    let t3 = Instant::now();
    let f2 = minor_faults();
    let t4 = Instant::now();
    let result = guest.call("validate", payload);
    let t5 = Instant::now();
    let f3 = minor_faults();
    std::hint::black_box(result.is_ok());
    let t6 = Instant::now();
    drop(guest);
    let t7 = Instant::now();
    let f4 = minor_faults();
    sample.ns = [t1 - t0, t3 - t2, t5 - t4, t7 - t6].map(|d| d.as_nanos() as u64);
    sample.faults = [f1 - f0, f2 - f1, f3 - f2, f4 - f3];

    let guest = module
        .fresh_instance()?
        .initialise()
        .map_err(|e| format!("{e:?}"))?;
    cold.evict();
    let start = Instant::now();
    let result = guest.call("validate_settings", settings);
    sample.settings_ns = start.elapsed().as_nanos() as u64;
    std::hint::black_box(result.is_ok());
    Ok(sample)
}

/// Times `f` `iterations` times.
fn time_native(iterations: usize, mut f: impl FnMut()) -> Stats {
    let mut ns: Vec<u64> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as u64
        })
        .collect();
    Stats::from_nanos(&mut ns)
}

/// The host's work around a call: building its payload, and making the AdmissionResponse
/// JSON out of each module's reply.
fn host_stats(
    iterations: usize,
    request: &Value,
    settings: &Value,
    policy_reply: &[u8],
    floor_reply: &[u8],
) -> HostStats {
    let reply = |reply: &[u8]| {
        time_native(iterations, || {
            let response = admission_response(request, parse_validation_reply(reply));
            std::hint::black_box(response.to_json_line());
        })
    };
    HostStats {
        payload: time_native(iterations, || {
            std::hint::black_box(validate_payload(request, settings));
        }),
        policy_reply: reply(policy_reply),
        floor_reply: reply(floor_reply),
    }
}

fn fresh_stats(samples: &[FreshSample]) -> FreshStats {
    let stats = |f: &dyn Fn(&FreshSample) -> u64| {
        Stats::from_nanos(&mut samples.iter().map(f).collect::<Vec<_>>())
    };
    // Medians of counts, through the same code (a count is not a duration, but sorts alike).
    let faults = |f: &dyn Fn(&FreshSample) -> u64| stats(f).median_us * 1000.0;
    FreshStats {
        total: stats(&|s| s.ns.iter().sum()),
        instantiate: stats(&|s| s.ns[0]),
        init: stats(&|s| s.ns[1]),
        call: stats(&|s| s.ns[2]),
        drop: stats(&|s| s.ns[3]),
        settings_call: stats(&|s| s.settings_ns),
        faults: FreshFaults {
            total: faults(&|s| s.faults.iter().sum()),
            instantiate: faults(&|s| s.faults[0]),
            init: faults(&|s| s.faults[1]),
            call: faults(&|s| s.faults[2]),
            drop: faults(&|s| s.faults[3]),
        },
    }
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

    let mut cold = ColdCache::from_env();
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
        let settings_payload = settings_payload(&settings);
        let iterations = args.iterations as usize;
        let mut policy_ns = Vec::with_capacity(iterations);
        let mut floor_ns = Vec::with_capacity(iterations);
        let mut policy_fresh = Vec::with_capacity(iterations);
        let mut floor_fresh = Vec::with_capacity(iterations);
        for i in 0..args.warmup as usize + iterations {
            // Alternate which module goes first, so neither always runs right after the other.
            let (p, f) = if i % 2 == 0 {
                let p = time_call(&policy, &payload);
                (p, time_call(&floor, &payload))
            } else {
                let f = time_call(&floor, &payload);
                (time_call(&policy, &payload), f)
            };
            let (pf, ff) = if i % 2 == 0 {
                let pf = time_fresh(&policy, &payload, &settings_payload, &mut cold)?;
                (
                    pf,
                    time_fresh(&floor, &payload, &settings_payload, &mut cold)?,
                )
            } else {
                let ff = time_fresh(&floor, &payload, &settings_payload, &mut cold)?;
                (
                    time_fresh(&policy, &payload, &settings_payload, &mut cold)?,
                    ff,
                )
            };
            if i >= args.warmup as usize {
                policy_ns.push(p);
                floor_ns.push(f);
                policy_fresh.push(pf);
                floor_fresh.push(ff);
            }
        }
        let policy_stats = Stats::from_nanos(&mut policy_ns);
        let floor_stats = Stats::from_nanos(&mut floor_ns);
        let policy_fresh = fresh_stats(&policy_fresh);
        let floor_fresh = fresh_stats(&floor_fresh);
        policy.host().rewind();
        let policy_reply = policy.call("validate", &payload).unwrap_or_default();
        let floor_reply = floor.call("validate", &payload).unwrap_or_default();
        let host = host_stats(iterations, request, &settings, &policy_reply, &floor_reply);
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
            ratio_fresh: policy_fresh.total.median_us / floor_fresh.total.median_us,
            ratio_fresh_p90: policy_fresh.total.p90_us / floor_fresh.total.p90_us,
            policy_fresh,
            floor_fresh,
            host,
        });
    }

    let report = Report {
        iterations: args.iterations,
        warmup: args.warmup,
        policy: module_report(&policy),
        floor: module_report(&floor),
        size_ratio: policy.size() as f64 / floor.size() as f64,
        max_ratio: reports.iter().map(|r| r.ratio).fold(0.0, f64::max),
        max_ratio_fresh: reports.iter().map(|r| r.ratio_fresh).fold(0.0, f64::max),
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

/// The payload of a `validate_settings` call: the settings object.
fn settings_payload(settings: &Value) -> Vec<u8> {
    serde_json::to_vec(settings).expect("a JSON value always serialises")
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
        "warm: the guest `validate` call alone, on one instance; fresh: a new instance per call, \
         as the policy server runs a request (instantiate, wapc_init, validate, drop); {} calls \
         per module and request after {} warm-up calls, interleaved\n\n",
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
        "policy fresh med µs",
        "floor fresh med µs",
        "ratio fresh",
    ];
    let rows: Vec<Vec<String>> = report
        .requests
        .iter()
        .map(|r| {
            vec![
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
                format!("{:.2}", r.policy_fresh.total.median_us),
                format!("{:.2}", r.floor_fresh.total.median_us),
                format!("{:.2}", r.ratio_fresh),
            ]
        })
        .collect();
    out.push_str(&columns(&header, &rows, &[0, 3]));

    out.push_str(
        "\nfresh instance, step by step (medians, µs; minor page faults in brackets); \
         `settings` is a validate_settings call on another fresh instance: the settings \
         validated with nothing cached; `host payload` and `host reply`, timed natively, are \
         what the host does around the call: serialise the payload, and read the reply into \
         the AdmissionResponse JSON\n\n",
    );
    let header = [
        "request",
        "module",
        "instantiate",
        "wapc_init",
        "validate",
        "drop",
        "total",
        "warm validate",
        "settings",
        "host payload",
        "host reply",
    ];
    let step = |s: &Stats, faults: f64| format!("{:.2} [{faults:.0}]", s.median_us);
    let mut rows = Vec::new();
    for r in &report.requests {
        for (module, fresh, warm, reply) in [
            ("policy", &r.policy_fresh, &r.policy, &r.host.policy_reply),
            ("floor", &r.floor_fresh, &r.floor, &r.host.floor_reply),
        ] {
            rows.push(vec![
                r.name.clone(),
                module.to_owned(),
                step(&fresh.instantiate, fresh.faults.instantiate),
                step(&fresh.init, fresh.faults.init),
                step(&fresh.call, fresh.faults.call),
                step(&fresh.drop, fresh.faults.drop),
                step(&fresh.total, fresh.faults.total),
                format!("{:.2}", warm.median_us),
                format!("{:.2}", fresh.settings_call.median_us),
                format!("{:.2}", r.host.payload.median_us),
                format!("{:.2}", reply.median_us),
            ]);
        }
    }
    out.push_str(&columns(&header, &rows, &[0, 1]));
    out.push_str(&format!(
        "\nmax ratio (median): {:.2}; fresh: {:.2}\n",
        report.max_ratio, report.max_ratio_fresh
    ));
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

/// A text table: `left` columns are left-aligned, the others right-aligned.
fn columns(header: &[&str], rows: &[Vec<String>], left: &[usize]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if left.contains(&i) {
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
    let mut out = line(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for row in rows {
        out.push_str(&line(row));
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

    fn stats(m: f64) -> Stats {
        Stats {
            median_us: m,
            p90_us: m * 1.5,
            min_us: m / 2.0,
            mean_us: m,
        }
    }

    fn fresh(scale: f64) -> FreshStats {
        FreshStats {
            total: stats(71.0 * scale),
            instantiate: stats(40.0 * scale),
            init: stats(1.0 * scale),
            call: stats(20.0 * scale),
            drop: stats(10.0 * scale),
            settings_call: stats(12.0 * scale),
            faults: FreshFaults {
                total: 30.0 * scale,
                instantiate: 3.0,
                init: 4.0,
                call: 20.0 * scale,
                drop: 3.0,
            },
        }
    }

    fn sample_report() -> Report {
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
                policy_fresh: fresh(2.0),
                floor_fresh: fresh(1.0),
                ratio_fresh: 2.0,
                ratio_fresh_p90: 2.0,
                host: HostStats {
                    payload: stats(3.0),
                    policy_reply: stats(5.0),
                    floor_reply: stats(1.5),
                },
            }],
            max_ratio: 2.0,
            max_ratio_fresh: 2.0,
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
            "policy fresh med µs",
            "ratio fresh",
            "142.00",
            "71.00",
            // The steps: instantiate, wapc_init, validate, drop, total, with their faults.
            "80.00 [3]",
            "2.00 [4]",
            "40.00 [40]",
            "20.00 [3]",
            "142.00 [60]",
            "24.00",
            "5.00",
            "1.50",
            "max ratio (median): 2.00; fresh: 2.00",
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
        assert_eq!(v["requests"][0]["ratio_fresh"], 2.0);
        assert_eq!(
            v["requests"][0]["policy_fresh"]["total"]["median_us"],
            142.0
        );
        assert_eq!(
            v["requests"][0]["floor_fresh"]["settings_call"]["median_us"],
            12.0
        );
        assert_eq!(v["requests"][0]["policy_fresh"]["faults"]["call"], 40.0);
        assert_eq!(v["max_ratio_fresh"], 2.0);
        assert_eq!(v["requests"][0]["host"]["policy_reply"]["median_us"], 5.0);
    }

    #[test]
    fn fresh_steps_add_up() {
        let samples = [
            FreshSample {
                ns: [4000, 1000, 3000, 2000],
                faults: [1, 2, 3, 4],
                settings_ns: 5000,
            },
            FreshSample {
                ns: [6000, 1000, 5000, 2000],
                faults: [3, 2, 5, 4],
                settings_ns: 7000,
            },
            FreshSample {
                ns: [5000, 3000, 4000, 2000],
                faults: [2, 2, 4, 4],
                settings_ns: 6000,
            },
        ];
        let s = fresh_stats(&samples);
        assert_eq!(s.instantiate.median_us, 5.0);
        assert_eq!(s.init.median_us, 1.0);
        assert_eq!(s.call.median_us, 4.0);
        assert_eq!(s.drop.median_us, 2.0);
        assert_eq!(s.total.median_us, 14.0);
        assert_eq!(s.settings_call.median_us, 6.0);
        assert_eq!(s.faults.total, 12.0);
        assert_eq!(s.faults.instantiate, 2.0);
        assert_eq!(s.faults.call, 4.0);
    }

    #[test]
    fn page_faults_are_counted() {
        let before = minor_faults();
        // Touch fresh pages.
        let v = vec![1u8; 1 << 22];
        std::hint::black_box(&v);
        assert!(minor_faults() > before);
    }

    #[test]
    fn every_fresh_call_gets_a_new_instance_and_the_session_from_its_start() {
        let session = Session::parse(include_str!("../testdata/kwctl-session-sample.yml")).unwrap();
        let policy = Policy::from_bytes(
            &crate::test_guest::echo_guest_wasm(),
            std::path::Path::new("echo.wat"),
            LoadOptions {
                access: ContextAccess::Any,
                session: Some(session.replayer()),
                engine: crate::engine::EngineOptions {
                    measure_memory: true,
                    ..Default::default()
                },
            },
        )
        .unwrap();
        // The loaded instance grows; fresh ones start from the module's one page.
        policy.call("grow", b"").unwrap();
        assert_eq!(policy.peak_memory(), Some(4 * 64 * 1024));
        let lookup = br#"{"api_version":"v1","kind":"Secret","name":"regcred","namespace":"team-a","disable_cache":false,"field_masks":null}"#;
        for _ in 0..3 {
            let sample = time_fresh(&policy, lookup, b"{}", &mut ColdCache(vec![0; 4096])).unwrap();
            assert!(sample.ns.iter().all(|&ns| ns > 0), "{sample:?}");
            assert!(sample.settings_ns > 0);
            // One exchange used by the fresh call, none by validate_settings (the echo guest
            // fails it without a host call).
            assert_eq!(policy.host().unreplayed(), 1);
        }
        let guest = policy.fresh_instance().unwrap().initialise().unwrap();
        assert_eq!(guest.peak_memory(), Some(64 * 1024));
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
