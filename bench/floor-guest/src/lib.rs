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

/// A rejection's words, fixed when the guest is built: `make server-bench` builds a second
/// floor with the policy's message for a request the policy rejects, so that that request is
/// also compared with a guest that answers the same (the host's share of a rejection, writing
/// the message into the AdmissionReview, is then on both sides). Unset: the floor accepts.
const REJECT_MESSAGE: Option<&str> = option_env!("FLOOR_REJECT_MESSAGE");

/// Parses the whole `{"request": ..., "settings": ...}` payload, then accepts (or rejects with
/// [`REJECT_MESSAGE`]).
fn validate(payload: &[u8]) -> CallResult {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(value) => {
            // Keep the parse from being optimised away.
            std::hint::black_box(&value);
            match REJECT_MESSAGE {
                Some(message) => reject_request(Some(message.to_owned()), None, None, None),
                None => accept_request(),
            }
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
