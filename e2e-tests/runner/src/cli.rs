//! Command-line parsing, by hand: kwctl's syntax for the `run` options this runner supports
//! (`-r FILE`, `-rFILE`, `--request-path FILE`, `--request-path=FILE`, options before or after
//! the policy, `--` to end options), plus the `bench` subcommand.

use std::path::PathBuf;

use policy_runner::policy_path;

pub const USAGE: &str = "\
Usage:
  policy-runner run [-r|--request-path FILE] [--settings-json JSON | -s|--settings-path FILE] POLICY.wasm
  policy-runner bench --policy P.wasm --floor F.wasm [--settings-json JSON | -s|--settings-path FILE]
                      [--iterations N] [--warmup N] [--json] NAME=REQUEST.json...
  policy-runner help | -h | --help
";

pub const HELP: &str = "\
policy-runner: runs a Kubewarden policy module (waPC, wasm32-wasip1) the way `kwctl run` does:
wasmtime through the waPC host, WASI with no args/env/dirs, and only the kubewarden/tracing/log
host capability (printed to stderr; any other host call fails).

Usage:
  policy-runner run [OPTIONS] POLICY.wasm
  policy-runner bench --policy P.wasm --floor F.wasm [OPTIONS] NAME=REQUEST.json...

run: validate_settings, then validate; prints kwctl's AdmissionResponse JSON line on stdout.
  -r, --request-path FILE     AdmissionRequest or AdmissionReview (JSON or YAML); required
      --settings-json JSON    policy settings, inline (JSON or YAML)
  -s, --settings-path FILE    policy settings file (JSON or YAML)
  POLICY.wasm                 a path, or file://PATH
  No settings means `{}`. Exit status: 0 when the policy answered (accepted or rejected),
  1 when the settings are not valid or a file cannot be read/loaded, 2 on a bad command line.

bench: times the guest `validate` call of a policy and of a floor guest, interleaved, per request.
      --policy FILE           the policy module
      --floor FILE            the floor module (parse-and-accept guest)
      --settings-json JSON    settings for both (validated once per module)
  -s, --settings-path FILE
      --iterations N          timed calls per module and request (default 2000)
      --warmup N              untimed calls per module and request first (default 200)
      --json                  one JSON object on stdout instead of the table
  NAME=FILE                   one or more named requests

  -h, --help                  this text
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsSource {
    None,
    Json(String),
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    pub policy: PathBuf,
    pub request_path: PathBuf,
    pub settings: SettingsSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchArgs {
    pub policy: PathBuf,
    pub floor: PathBuf,
    pub settings: SettingsSource,
    pub iterations: usize,
    pub warmup: usize,
    pub json: bool,
    pub requests: Vec<(String, PathBuf)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help(String),
    Run(RunArgs),
    Bench(BenchArgs),
}

pub const DEFAULT_ITERATIONS: usize = 2000;
pub const DEFAULT_WARMUP: usize = 200;

/// One option a subcommand accepts.
struct OptSpec {
    short: Option<char>,
    long: &'static str,
    takes_value: bool,
}

const fn opt(short: Option<char>, long: &'static str, takes_value: bool) -> OptSpec {
    OptSpec {
        short,
        long,
        takes_value,
    }
}

const RUN_OPTS: &[OptSpec] = &[
    opt(Some('r'), "request-path", true),
    opt(None, "settings-json", true),
    opt(Some('s'), "settings-path", true),
    opt(Some('h'), "help", false),
];

const BENCH_OPTS: &[OptSpec] = &[
    opt(None, "policy", true),
    opt(None, "floor", true),
    opt(None, "settings-json", true),
    opt(Some('s'), "settings-path", true),
    opt(None, "iterations", true),
    opt(None, "warmup", true),
    opt(None, "json", false),
    opt(Some('h'), "help", false),
];

/// Options (by long name, in the order given) and positional arguments.
#[derive(Debug, Default)]
struct Parsed {
    options: Vec<(&'static str, Option<String>)>,
    positionals: Vec<String>,
}

impl Parsed {
    /// The value of a single-valued option; given twice is an error, as with clap.
    fn single(&self, long: &str) -> Result<Option<String>, String> {
        let mut values = self.options.iter().filter(|(name, _)| *name == long);
        let first = values.next().map(|(_, v)| v.clone().unwrap_or_default());
        if values.next().is_some() {
            return Err(format!("--{long} given more than once"));
        }
        Ok(first)
    }

    fn flag(&self, long: &str) -> bool {
        self.options.iter().any(|(name, _)| *name == long)
    }

    fn settings(&self) -> Result<SettingsSource, String> {
        match (self.single("settings-json")?, self.single("settings-path")?) {
            (Some(_), Some(_)) => {
                Err("--settings-json and -s/--settings-path cannot be used together".into())
            }
            (Some(json), None) => Ok(SettingsSource::Json(json)),
            (None, Some(path)) => Ok(SettingsSource::File(PathBuf::from(path))),
            (None, None) => Ok(SettingsSource::None),
        }
    }
}

fn parse_options(args: &[String], specs: &[OptSpec]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut i = 0;
    let mut only_positionals = false;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if only_positionals || arg == "-" || !arg.starts_with('-') {
            parsed.positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_positionals = true;
            continue;
        }
        let (spec, inline) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let spec = specs
                .iter()
                .find(|s| s.long == name)
                .ok_or_else(|| unknown_option(&format!("--{name}")))?;
            if !spec.takes_value && inline.is_some() {
                return Err(format!("--{name} takes no value"));
            }
            (spec, inline)
        } else {
            let mut chars = arg[1..].chars();
            let c = chars.next().expect("starts with '-' and is not \"-\"");
            let rest: String = chars.collect();
            let spec = specs
                .iter()
                .find(|s| s.short == Some(c))
                .ok_or_else(|| unknown_option(&format!("-{c}")))?;
            let inline = if rest.is_empty() {
                None
            } else if spec.takes_value {
                // `-rFILE` and `-r=FILE`, as clap allows.
                Some(rest.strip_prefix('=').unwrap_or(&rest).to_owned())
            } else {
                return Err(format!("-{c} takes no value (got {arg:?})"));
            };
            (spec, inline)
        };
        let value = if spec.takes_value {
            match inline {
                Some(v) => Some(v),
                None => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| format!("--{} needs a value", spec.long))?;
                    i += 1;
                    Some(v.clone())
                }
            }
        } else {
            None
        };
        parsed.options.push((spec.long, value));
    }
    Ok(parsed)
}

fn unknown_option(option: &str) -> String {
    format!(
        "unknown option {option} (kwctl options other than -r, --settings-json and -s are not supported by this runner)"
    )
}

fn parse_count(parsed: &Parsed, long: &str, default: usize, min: usize) -> Result<usize, String> {
    match parsed.single(long)? {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(format!(
                "--{long} needs a whole number of at least {min}, got {text:?}"
            )),
        },
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((sub, rest)) = args.split_first() else {
        return Err("no subcommand given".into());
    };
    match sub.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help(HELP.to_owned())),
        "run" => parse_run(rest),
        "bench" => parse_bench(rest),
        other => Err(format!("unknown subcommand {other:?}")),
    }
}

fn parse_run(args: &[String]) -> Result<Command, String> {
    let parsed = parse_options(args, RUN_OPTS)?;
    if parsed.flag("help") {
        return Ok(Command::Help(HELP.to_owned()));
    }
    let settings = parsed.settings()?;
    let request_path = parsed.single("request-path")?.map(PathBuf::from);
    let policy = match parsed.positionals.as_slice() {
        [one] => policy_path(one)?,
        [] => return Err("the policy module (POLICY.wasm) is missing".into()),
        more => return Err(format!("one policy module expected, got {more:?}")),
    };
    let Some(request_path) = request_path else {
        return Err("a request is required: -r/--request-path FILE".into());
    };
    Ok(Command::Run(RunArgs {
        policy,
        request_path,
        settings,
    }))
}

fn parse_bench(args: &[String]) -> Result<Command, String> {
    let parsed = parse_options(args, BENCH_OPTS)?;
    if parsed.flag("help") {
        return Ok(Command::Help(HELP.to_owned()));
    }
    let policy = parsed
        .single("policy")?
        .ok_or("--policy FILE is required")?;
    let floor = parsed.single("floor")?.ok_or("--floor FILE is required")?;
    let mut requests = Vec::new();
    for item in &parsed.positionals {
        match item.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() => {
                if requests.iter().any(|(n, _)| n == name) {
                    return Err(format!("request name {name:?} given twice"));
                }
                requests.push((name.to_owned(), PathBuf::from(path)));
            }
            _ => return Err(format!("expected NAME=REQUEST.json, got {item:?}")),
        }
    }
    if requests.is_empty() {
        return Err("bench needs at least one NAME=REQUEST.json".into());
    }
    Ok(Command::Bench(BenchArgs {
        policy: policy_path(&policy)?,
        floor: policy_path(&floor)?,
        settings: parsed.settings()?,
        iterations: parse_count(&parsed, "iterations", DEFAULT_ITERATIONS, 1)?,
        warmup: parse_count(&parsed, "warmup", DEFAULT_WARMUP, 0)?,
        json: parsed.flag("json"),
        requests,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn run_args(line: &str) -> RunArgs {
        match parse(&args(line)).unwrap() {
            Command::Run(r) => r,
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn run_options_in_any_order_and_form() {
        let expected = RunArgs {
            policy: PathBuf::from("p.wasm"),
            request_path: PathBuf::from("req.json"),
            settings: SettingsSource::File(PathBuf::from("s.yml")),
        };
        for line in [
            "run -r req.json -s s.yml p.wasm",
            "run p.wasm -r req.json -s s.yml",
            "run --request-path=req.json p.wasm --settings-path s.yml",
            "run -rreq.json -s=s.yml file://p.wasm",
            "run --settings-path=s.yml -- p.wasm -r req.json",
        ] {
            if line.contains("-- p.wasm -r") {
                // After `--`, `-r` is positional.
                assert!(parse(&args(line)).is_err(), "{line}");
            } else {
                assert_eq!(run_args(line), expected, "{line}");
            }
        }
    }

    #[test]
    fn run_settings_json() {
        let r = run_args("run --settings-json {\"a\":1} -r r.json p.wasm");
        assert_eq!(r.settings, SettingsSource::Json("{\"a\":1}".into()));
        let r = run_args("run --settings-json={} -r r.json p.wasm");
        assert_eq!(r.settings, SettingsSource::Json("{}".into()));
        let r = run_args("run -r r.json p.wasm");
        assert_eq!(r.settings, SettingsSource::None);
    }

    #[test]
    fn run_usage_errors() {
        for line in [
            "",
            "frobnicate",
            "run",
            "run -r r.json",
            "run p.wasm",
            "run -r r.json a.wasm b.wasm",
            "run -r",
            "run -r a.json -r b.json p.wasm",
            "run --settings-json {} -s s.yml -r r.json p.wasm",
            "run --allow-context-aware -r r.json p.wasm",
            "run -r r.json registry://ghcr.io/x/y:v1",
            "run -x -r r.json p.wasm",
        ] {
            assert!(parse(&args(line)).is_err(), "{line:?} should fail");
        }
    }

    #[test]
    fn help_everywhere() {
        for line in [
            "-h",
            "--help",
            "help",
            "run -h",
            "run --help p.wasm",
            "bench -h",
        ] {
            assert!(
                matches!(parse(&args(line)).unwrap(), Command::Help(_)),
                "{line}"
            );
        }
    }

    #[test]
    fn bench_args() {
        let parsed = parse(&args(
            "bench --policy p.wasm --floor=f.wasm -s s.yml --iterations 50 --warmup=0 --json \
             pod=a.json deploy=b.json",
        ))
        .unwrap();
        assert_eq!(
            parsed,
            Command::Bench(BenchArgs {
                policy: PathBuf::from("p.wasm"),
                floor: PathBuf::from("f.wasm"),
                settings: SettingsSource::File(PathBuf::from("s.yml")),
                iterations: 50,
                warmup: 0,
                json: true,
                requests: vec![
                    ("pod".into(), PathBuf::from("a.json")),
                    ("deploy".into(), PathBuf::from("b.json")),
                ],
            })
        );
        let Command::Bench(defaults) = parse(&args("bench --policy p --floor f x=y.json")).unwrap()
        else {
            panic!()
        };
        assert_eq!(defaults.iterations, DEFAULT_ITERATIONS);
        assert_eq!(defaults.warmup, DEFAULT_WARMUP);
        assert!(!defaults.json);
    }

    #[test]
    fn bench_usage_errors() {
        for line in [
            "bench --floor f x=y.json",
            "bench --policy p x=y.json",
            "bench --policy p --floor f",
            "bench --policy p --floor f y.json",
            "bench --policy p --floor f =y.json",
            "bench --policy p --floor f a=y.json a=z.json",
            "bench --policy p --floor f --iterations 0 a=y.json",
            "bench --policy p --floor f --iterations many a=y.json",
            "bench --policy p --floor f --json=yes a=y.json",
        ] {
            assert!(parse(&args(line)).is_err(), "{line:?} should fail");
        }
    }
}
