//! A native host for Kubewarden policy modules that behaves like `kwctl run`: wasmtime with the
//! runner's own waPC host (speaking the protocol as kwctl's `wapc` + `wasmtime-provider` do),
//! WASI preview 1 with no arguments, environment or directories, a host callback that serves
//! `kubewarden`/`tracing`/`log` and answers Kubernetes lookups from a recorded kwctl session,
//! and the AdmissionResponse line kwctl prints, JSON patch included.
//!
//! Everything but the argument parsing of `main` lives here, so that the bench, the tests and
//! the binary share one implementation.

pub mod bench;
pub mod cli;
pub mod engine;
pub mod host;
pub mod input;
pub mod memory;
pub mod metadata;
pub mod policy;
pub mod replay;
pub mod response;
pub mod run;

#[cfg(test)]
mod test_guest;

pub use input::{
    SettingsSource, admission_request, check_settings, load_request, load_settings,
    parse_request_text, parse_settings_text, policy_path, request_uid,
};
pub use policy::{LoadOptions, Policy, SettingsVerdict, validate_payload};
pub use response::{AdmissionResponse, AdmissionStatus, evaluate};
