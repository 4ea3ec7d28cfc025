//! Benchmark floor: the cheapest guest that still does what every Kubewarden policy must do on
//! each request, namely receive the waPC payload, parse it as JSON and answer with a
//! `ValidationResponse`. Timing a real policy against this guest, in the same host and the
//! same run, isolates what the policy's own checks cost.

use kubewarden_policy_sdk::wapc_guest as guest;
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, reject_request};

use guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// Parses the whole `{"request": ..., "settings": ...}` payload, then accepts.
fn validate(payload: &[u8]) -> CallResult {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(value) => {
            // Keep the parse from being optimised away.
            std::hint::black_box(&value);
            accept_request()
        }
        Err(err) => reject_request(
            Some(format!("cannot parse the validation payload: {err}")),
            None,
            None,
            None,
        ),
    }
}

/// Every setting is valid for the floor.
fn validate_settings(_payload: &[u8]) -> CallResult {
    Ok(br#"{"valid":true}"#.to_vec())
}
