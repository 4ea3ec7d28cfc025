//! The command line: `run` takes the `kwctl run` options this runner supports, spelled as
//! kwctl spells them, so that test suites call either program the same way; `bench` is the
//! runner's own. A bad command line is clap's error and exit status 2, as with kwctl.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::input::{SettingsSource, policy_path};

#[derive(Debug, Parser)]
#[command(
    name = "policy-runner",
    about = "Runs a Kubewarden policy module (waPC, wasm32-wasip1) the way `kwctl run` does, or \
             benchmarks it against a floor guest"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the policy on one request as `kwctl run` does
    ///
    /// validate_settings, then validate; prints kwctl's AdmissionResponse line on stdout.
    /// Exit status 0 when the policy answered (accepted or rejected), 1 when the settings are
    /// not valid or an input cannot be read or loaded, 2 on a bad command line.
    Run(RunArgs),
    /// Times the policy's `validate` against a floor guest's
    ///
    /// The guest `validate` call of both modules, interleaved call by call, per request: warm
    /// (one instance serves every call) and fresh (a new instance per call, as the policy
    /// server runs requests: instantiate, wapc_init, validate, drop, each step timed).
    Bench(BenchArgs),
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RunArgs {
    /// File containing the admission request (AdmissionRequest or AdmissionReview; `-` reads
    /// standard input)
    #[arg(short = 'r', long, value_name = "PATH")]
    pub request_path: PathBuf,
    /// File containing the settings for this policy (JSON or YAML)
    #[arg(
        short = 's',
        long,
        value_name = "PATH",
        conflicts_with = "settings_json"
    )]
    pub settings_path: Option<PathBuf>,
    /// JSON string containing the settings for this policy
    #[arg(long, value_name = "VALUE")]
    pub settings_json: Option<String>,
    /// Grant access to the Kubernetes resources in the policy's `contextAwareResources`
    /// (embedded by `kwctl annotate`, or from POLICY_RUNNER_METADATA); needs a session to
    /// replay, as the runner cannot reach a cluster
    #[arg(long)]
    pub allow_context_aware: bool,
    /// Answer the policy's host calls from this session, recorded by kwctl with
    /// --record-host-capabilities-interactions
    #[arg(long, value_name = "FILE")]
    pub replay_host_capabilities_interactions: Option<PathBuf>,
    /// The policy module: a path or file://PATH
    #[arg(value_name = "POLICY", value_parser = policy_path)]
    pub policy: PathBuf,
}

impl RunArgs {
    pub fn settings(&self) -> SettingsSource {
        settings_source(&self.settings_json, &self.settings_path)
    }
}

/// A request to benchmark: `NAME=REQUEST.json`, or `NAME=REQUEST.json@SESSION.yml` for a
/// request whose evaluation makes host calls answered from a recorded session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRequest {
    pub name: String,
    pub request: PathBuf,
    pub session: Option<PathBuf>,
}

fn named_request(text: &str) -> Result<NamedRequest, String> {
    let usage =
        || format!("expected NAME=REQUEST.json or NAME=REQUEST.json@SESSION.yml, got {text:?}");
    let (name, rest) = text.split_once('=').ok_or_else(usage)?;
    let (request, session) = match rest.rsplit_once('@') {
        Some((request, session)) => (request, Some(session)),
        None => (rest, None),
    };
    if name.is_empty() || request.is_empty() || session.is_some_and(str::is_empty) {
        return Err(usage());
    }
    Ok(NamedRequest {
        name: name.to_owned(),
        request: PathBuf::from(request),
        session: session.map(PathBuf::from),
    })
}

pub const DEFAULT_ITERATIONS: u64 = 2000;
pub const DEFAULT_WARMUP: u64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct BenchArgs {
    /// The policy module
    #[arg(long, value_name = "FILE", value_parser = policy_path)]
    pub policy: PathBuf,
    /// The floor module (parse-and-accept guest)
    #[arg(long, value_name = "FILE", value_parser = policy_path)]
    pub floor: PathBuf,
    /// Settings for both modules, inline (validated once per module)
    #[arg(long, value_name = "JSON")]
    pub settings_json: Option<String>,
    /// Settings for both modules, from a file
    #[arg(
        short = 's',
        long,
        value_name = "FILE",
        conflicts_with = "settings_json"
    )]
    pub settings_path: Option<PathBuf>,
    /// Timed calls per module and request
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ITERATIONS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: u64,
    /// Untimed calls per module and request first
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WARMUP)]
    pub warmup: u64,
    /// One JSON object on stdout instead of the table
    #[arg(long)]
    pub json: bool,
    /// Named requests; a session after `@` is replayed from its start on every call
    #[arg(value_name = "NAME=REQUEST[@SESSION]", required = true, value_parser = named_request)]
    pub requests: Vec<NamedRequest>,
}

impl BenchArgs {
    pub fn settings(&self) -> SettingsSource {
        settings_source(&self.settings_json, &self.settings_path)
    }
}

fn settings_source(json: &Option<String>, path: &Option<PathBuf>) -> SettingsSource {
    match (json, path) {
        (Some(json), _) => SettingsSource::Json(json.clone()),
        (None, Some(path)) => SettingsSource::File(path.clone()),
        (None, None) => SettingsSource::None,
    }
}

/// Parses a command line (program name first). Help and bad usage are clap errors, which
/// `exit()` prints with their exit status.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    if let Command::Bench(bench) = &cli.command {
        let mut seen = std::collections::BTreeSet::new();
        for request in &bench.requests {
            if !seen.insert(&request.name) {
                return Err(Cli::command().error(
                    ErrorKind::ValueValidation,
                    format!("request name {:?} given twice", request.name),
                ));
            }
        }
    }
    Ok(cli)
}

/// The process's command line; exits on help (0) and bad usage (2).
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse_line(line: &str) -> Result<Cli, clap::Error> {
        parse_from(std::iter::once("policy-runner").chain(line.split_whitespace()))
    }

    fn run_args(line: &str) -> RunArgs {
        match parse_line(line).unwrap().command {
            Command::Run(r) => r,
            other => panic!("not a run: {other:?}"),
        }
    }

    fn bench_args(line: &str) -> BenchArgs {
        match parse_line(line).unwrap().command {
            Command::Bench(b) => b,
            other => panic!("not a bench: {other:?}"),
        }
    }

    #[rstest]
    #[case::short_options("run -r req.json -s s.yml p.wasm")]
    #[case::policy_first("run p.wasm -r req.json -s s.yml")]
    #[case::long_with_equals("run --request-path=req.json p.wasm --settings-path s.yml")]
    #[case::glued_short_and_file_uri("run -rreq.json -s=s.yml file://p.wasm")]
    #[case::options_then_double_dash("run -r req.json --settings-path=s.yml -- p.wasm")]
    fn run_options_in_any_order_and_form(#[case] line: &str) {
        let r = run_args(line);
        assert_eq!(r.policy, PathBuf::from("p.wasm"));
        assert_eq!(r.request_path, PathBuf::from("req.json"));
        assert_eq!(r.settings(), SettingsSource::File(PathBuf::from("s.yml")));
        assert!(!r.allow_context_aware);
        assert_eq!(r.replay_host_capabilities_interactions, None);
    }

    #[rstest]
    #[case::inline(r#"run --settings-json {"a":1} -r r.json p.wasm"#, SettingsSource::Json(r#"{"a":1}"#.into()))]
    #[case::inline_with_equals("run --settings-json={} -r r.json p.wasm", SettingsSource::Json("{}".into()))]
    #[case::none("run -r r.json p.wasm", SettingsSource::None)]
    fn run_settings(#[case] line: &str, #[case] expected: SettingsSource) {
        assert_eq!(run_args(line).settings(), expected);
    }

    #[test]
    fn run_context_aware_options() {
        let r = run_args(
            "run --allow-context-aware --replay-host-capabilities-interactions s.yml -r r.json p.wasm",
        );
        assert!(r.allow_context_aware);
        assert_eq!(
            r.replay_host_capabilities_interactions,
            Some(PathBuf::from("s.yml"))
        );
    }

    #[rstest]
    #[case::nothing("")]
    #[case::unknown_subcommand("frobnicate")]
    #[case::run_alone("run")]
    #[case::no_policy("run -r r.json")]
    #[case::no_request("run p.wasm")]
    #[case::two_policies("run -r r.json a.wasm b.wasm")]
    #[case::option_without_value("run -r")]
    #[case::request_twice("run -r a.json -r b.json p.wasm")]
    #[case::both_settings("run --settings-json {} -s s.yml -r r.json p.wasm")]
    #[case::registry_policy("run -r r.json registry://ghcr.io/x/y:v1")]
    #[case::unknown_option("run -x -r r.json p.wasm")]
    #[case::unsupported_kwctl_option(
        "run --record-host-capabilities-interactions s.yml -r r.json p.wasm"
    )]
    #[case::option_after_double_dash("run --settings-path=s.yml -- p.wasm -r req.json")]
    fn run_usage_errors(#[case] line: &str) {
        let e = parse_line(line).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{line:?}: {e}");
    }

    #[test]
    fn registry_policies_are_refused_clearly() {
        let e = parse_line("run -r r.json registry://ghcr.io/x/y:v1").unwrap_err();
        assert!(
            e.to_string()
                .contains("scheme registry:// is not supported by this runner"),
            "{e}"
        );
    }

    #[rstest]
    #[case::top("-h")]
    #[case::top_long("--help")]
    #[case::help_subcommand("help")]
    #[case::run("run -h")]
    #[case::run_with_arguments("run --help p.wasm")]
    #[case::bench("bench -h")]
    fn help_everywhere(#[case] line: &str) {
        let e = parse_line(line).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{line}");
        assert_eq!(e.exit_code(), 0);
    }

    #[test]
    fn bench_args_in_full() {
        let b = bench_args(
            "bench --policy p.wasm --floor=f.wasm -s s.yml --iterations 50 --warmup=0 --json \
             pod=a.json secret=b.json@session.yml",
        );
        assert_eq!(
            b,
            BenchArgs {
                policy: PathBuf::from("p.wasm"),
                floor: PathBuf::from("f.wasm"),
                settings_json: None,
                settings_path: Some(PathBuf::from("s.yml")),
                iterations: 50,
                warmup: 0,
                json: true,
                requests: vec![
                    NamedRequest {
                        name: "pod".into(),
                        request: PathBuf::from("a.json"),
                        session: None
                    },
                    NamedRequest {
                        name: "secret".into(),
                        request: PathBuf::from("b.json"),
                        session: Some(PathBuf::from("session.yml"))
                    },
                ],
            }
        );
        let defaults = bench_args("bench --policy p --floor f x=y.json");
        assert_eq!(defaults.iterations, DEFAULT_ITERATIONS);
        assert_eq!(defaults.warmup, DEFAULT_WARMUP);
        assert!(!defaults.json);
        assert_eq!(defaults.settings(), SettingsSource::None);
    }

    #[rstest]
    #[case::no_policy("bench --floor f x=y.json")]
    #[case::no_floor("bench --policy p x=y.json")]
    #[case::no_request("bench --policy p --floor f")]
    #[case::no_name("bench --policy p --floor f y.json")]
    #[case::empty_name("bench --policy p --floor f =y.json")]
    #[case::empty_session("bench --policy p --floor f a=y.json@")]
    #[case::name_twice("bench --policy p --floor f a=y.json a=z.json")]
    #[case::zero_iterations("bench --policy p --floor f --iterations 0 a=y.json")]
    #[case::word_iterations("bench --policy p --floor f --iterations many a=y.json")]
    #[case::flag_with_value("bench --policy p --floor f --json=yes a=y.json")]
    fn bench_usage_errors(#[case] line: &str) {
        let e = parse_line(line).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{line:?}: {e}");
    }
}
