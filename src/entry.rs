//! The policy's waPC functions as plain byte-in, byte-out functions: the wasm shell in
//! `lib.rs` only registers them, and tests call them natively.

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;

use crate::cluster::Cluster;
use crate::review::review;
use crate::settings::Settings;
use crate::verdict::Verdict;

/// `validate`: the Kubewarden ValidationResponse for a `{"request", "settings"}` payload.
/// `cluster` answers the lookups of `clusterLookups: true`; nothing is asked of it otherwise.
pub fn validate(payload: &[u8], cluster: &dyn Cluster) -> Vec<u8> {
    let (accepted, message, mutated_object, warnings) = match review(payload, cluster) {
        Verdict::Accept { warnings } => (true, None, None, warnings),
        Verdict::Mutate { object, warnings } => (true, None, Some(object), warnings),
        Verdict::Reject { message, warnings } => (false, Some(message), None, warnings),
    };
    let response = ValidationResponse {
        accepted,
        message,
        code: None,
        mutated_object,
        audit_annotations: None,
        warnings: (!warnings.is_empty()).then_some(warnings),
    };
    to_json(&response)
}

/// `validate_settings`: every mistake, including JSON that does not deserialize, is answered
/// with `valid: false` and a message naming the field (the SDK's helper returns a guest error
/// for the latter, which kwctl shows as an opaque `GuestCallFailure`).
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    let response = match Settings::from_json(payload) {
        Ok(_) => SettingsValidationResponse {
            valid: true,
            message: None,
        },
        Err(message) => SettingsValidationResponse {
            valid: false,
            message: Some(message),
        },
    };
    to_json(&response)
}

fn to_json(value: &impl serde::Serialize) -> Vec<u8> {
    // These responses hold only strings, booleans and numbers: serialising cannot fail. Should
    // it ever, a rejection is still a better answer than a trap.
    serde_json::to_vec(value).unwrap_or_else(|_| {
        br#"{"accepted":false,"message":"internal error: cannot encode the response"}"#.to_vec()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json(bytes: Vec<u8>) -> Value {
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn settings_responses() {
        assert_eq!(
            json(validate_settings(b"{}")),
            serde_json::json!({"valid": true, "message": null})
        );
        let v = json(validate_settings(br#"{"unlistedRegistries":1}"#));
        assert_eq!(v["valid"], false);
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with("unlistedRegistries: ")
        );
        assert_eq!(json(validate_settings(b"nope"))["valid"], false);
    }

    fn validate(payload: &[u8]) -> Vec<u8> {
        super::validate(payload, &crate::cluster::NoCluster)
    }

    #[test]
    fn validation_responses() {
        let v = json(validate(b"{}"));
        assert_eq!(v["accepted"], false);
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with("cannot read the admission request")
        );
        let ok = br#"{"request":{"kind":{"kind":"ConfigMap"},"operation":"CREATE"},"settings":{}}"#;
        let v = json(validate(ok));
        assert_eq!(v["accepted"], true);
        assert_eq!(v["warnings"], Value::Null);
    }
}
