//! `policy-runner`: run a Kubewarden policy module the way `kwctl run` does, or benchmark it
//! against a floor guest. See `policy-runner --help` and the README beside this crate.

use std::process::ExitCode;

use policy_runner::cli::{self, Command};
use policy_runner::{bench, run};

/// Exit status for everything kwctl reports as `Error: ...` (clap exits with 2 on usage).
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let result = match cli::parse().command {
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
