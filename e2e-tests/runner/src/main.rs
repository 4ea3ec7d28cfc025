//! `policy-runner`: run a Kubewarden policy module the way `kwctl run` does, or benchmark it
//! against a floor guest. See `policy-runner --help`.

mod bench;
mod cli;

use std::process::ExitCode;

use policy_runner::{Policy, SettingsVerdict, evaluate, parse_request_text, parse_settings_text};
use serde_json::Value;

use cli::{Command, RunArgs, SettingsSource};

/// Exit status for a bad command line (what clap, and so kwctl, uses).
const EXIT_USAGE: u8 = 2;
/// Exit status for everything kwctl reports as `Error: ...`.
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::parse(&args) {
        Ok(Command::Help(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(run_args)) => match run(&run_args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        Ok(Command::Bench(bench_args)) => match bench::bench(&bench_args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
        Err(message) => {
            eprintln!("error: {message}\n\n{}", cli::USAGE);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("Error: {message}");
    ExitCode::from(EXIT_ERROR)
}

/// Reads the settings (none means `{}`).
pub(crate) fn load_settings(source: &SettingsSource) -> Result<Value, String> {
    match source {
        SettingsSource::None => Ok(Value::Object(Default::default())),
        SettingsSource::Json(text) => {
            parse_settings_text(text).map_err(|e| format!("invalid --settings-json: {e}"))
        }
        SettingsSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read settings file {}: {e}", path.display()))?;
            parse_settings_text(&text)
                .map_err(|e| format!("invalid settings file {}: {e}", path.display()))
        }
    }
}

/// Reads a request file (AdmissionRequest or AdmissionReview).
pub(crate) fn load_request(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read request file {}: {e}", path.display()))?;
    parse_request_text(&text).map_err(|e| format!("invalid request file {}: {e}", path.display()))
}

/// Validates the settings with kwctl's wording on failure.
pub(crate) fn check_settings(policy: &Policy, settings: &Value) -> Result<(), String> {
    match policy.validate_settings(settings) {
        SettingsVerdict::Valid => Ok(()),
        SettingsVerdict::Invalid(message) => {
            Err(format!("Provided settings are not valid: {message}"))
        }
    }
}

fn run(args: &RunArgs) -> Result<(), String> {
    // Inputs are read before the module is compiled, so that a typo fails fast.
    let settings = load_settings(&args.settings)?;
    let request = load_request(&args.request_path)?;
    let policy = Policy::load(&args.policy)?;
    check_settings(&policy, &settings)?;
    let response = evaluate(&policy, &request, &settings);
    println!("{}", response.to_json_line());
    Ok(())
}
