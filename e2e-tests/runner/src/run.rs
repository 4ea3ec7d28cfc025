//! `policy-runner run`: what `kwctl run` does with a local waPC policy. Inputs are read before
//! the module is compiled, so that a typo fails fast; then settings validation, one `validate`
//! call, and kwctl's line on stdout. Everything else goes to stderr.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cli::RunArgs;
use crate::host::{ContextAccess, ResourceType};
use crate::input::{check_settings, load_request, load_settings};
use crate::metadata;
use crate::policy::{LoadOptions, Policy, validate_payload};
use crate::replay::Session;
use crate::response::admission_response;

/// `POLICY_RUNNER_METADATA`: a metadata.yml whose `contextAwareResources` stand in for the
/// embedded ones of a module that was not annotated.
pub const METADATA_ENV: &str = "POLICY_RUNNER_METADATA";

pub fn run(args: &RunArgs) -> Result<(), String> {
    let settings = load_settings(&args.settings())?;
    let request = load_request(&args.request_path)?;
    let session = args
        .replay_host_capabilities_interactions
        .as_deref()
        .map(Session::load)
        .transpose()?;
    if args.allow_context_aware && session.is_none() {
        return Err(
            "--allow-context-aware without --replay-host-capabilities-interactions: kwctl would \
             query the cluster of the current kubeconfig, and this runner cannot reach one; \
             record a session with `kwctl run --allow-context-aware \
             --record-host-capabilities-interactions FILE` and replay it"
                .into(),
        );
    }
    let module = std::fs::read(&args.policy)
        .map_err(|e| format!("cannot read {}: {e}", args.policy.display()))?;
    let access = if args.allow_context_aware {
        ContextAccess::Granted(granted_resources(&module, &args.policy)?)
    } else {
        ContextAccess::none()
    };
    let options = LoadOptions {
        access,
        session: session.as_ref().map(Session::replayer),
        ..LoadOptions::from_env()
    };
    let policy = Policy::from_bytes(&module, &args.policy, options)?;
    check_settings(&policy, &settings)?;

    let payload = validate_payload(&request, &settings);
    let start = Instant::now();
    let result = policy.validate_payload(&payload);
    let elapsed = start.elapsed();
    println!("{}", admission_response(&request, result).to_json_line());

    if let Some(bytes) = policy.peak_memory() {
        eprintln!("{}", memory_line(elapsed, bytes));
    }
    let left = policy.host().unreplayed();
    if left > 0 {
        // kwctl warns the same way when it shuts its replaying proxy down.
        eprintln!(
            "policy-runner: warning: {left} of the recorded exchanges have not been replayed"
        );
    }
    Ok(())
}

/// The one line `POLICY_RUNNER_MEMORY=1` adds on stderr.
pub fn memory_line(elapsed: Duration, memory_bytes: usize) -> String {
    format!(
        "policy-runner: validate: {} µs, guest memory {memory_bytes} bytes",
        elapsed.as_micros()
    )
}

/// What `--allow-context-aware` grants: the module's embedded `contextAwareResources`, as
/// kwctl; for a module that carries none, those of `POLICY_RUNNER_METADATA` when set, else
/// nothing (kwctl: "Policy is not annotated, access to Kubernetes resources is not allowed").
fn granted_resources(module: &[u8], path: &Path) -> Result<BTreeSet<ResourceType>, String> {
    if let Some(resources) =
        metadata::embedded_resources(module).map_err(|e| format!("{}: {e}", path.display()))?
    {
        return Ok(resources);
    }
    match std::env::var_os(METADATA_ENV) {
        Some(file) => metadata::file_resources(Path::new(&file)),
        None => {
            eprintln!(
                "policy-runner: note: {} is not annotated, so --allow-context-aware grants no \
                 Kubernetes resources (as with kwctl); set {METADATA_ENV}=metadata.yml to use \
                 its contextAwareResources",
                path.display()
            );
            Ok(BTreeSet::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn memory_line_format() {
        assert_eq!(
            memory_line(Duration::from_micros(1234), 1_179_648),
            "policy-runner: validate: 1234 µs, guest memory 1179648 bytes"
        );
    }

    fn args(allow: bool, session: Option<&str>) -> RunArgs {
        RunArgs {
            request_path: PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../test_data/pod-public.json"
            )),
            settings_path: None,
            settings_json: None,
            allow_context_aware: allow,
            replay_host_capabilities_interactions: session.map(PathBuf::from),
            policy: PathBuf::from("/nonexistent/policy.wasm"),
        }
    }

    #[test]
    fn context_aware_needs_a_session() {
        let e = run(&args(true, None)).unwrap_err();
        assert!(
            e.starts_with("--allow-context-aware without --replay-host-capabilities-interactions"),
            "{e}"
        );
    }

    #[test]
    fn inputs_fail_before_the_module_is_read() {
        let e = run(&args(true, Some("/nonexistent/session.yml"))).unwrap_err();
        assert!(
            e.starts_with("Cannot open host capabilities interactions file"),
            "{e}"
        );
        let sample = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/kwctl-session-sample.yml"
        );
        let e = run(&args(true, Some(sample))).unwrap_err();
        assert!(e.starts_with("cannot read /nonexistent/policy.wasm"), "{e}");
    }
}
