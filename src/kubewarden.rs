//! The policy's waPC functions as plain byte-in, byte-out functions: the wasm shell in
//! `lib.rs` only registers them, and tests call them natively.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::cluster::Cluster;
use crate::review::review;
use crate::settings::Settings;
use crate::when::UnixTime;

/// `validate`: the Kubewarden ValidationResponse for a `{"request", "settings"}` payload.
/// `cluster` answers the lookups of `clusterLookups: true`; nothing is asked of it otherwise.
/// `now` is the current time, which the library never reads itself: credentials that say when
/// they stop working (ECR tokens, JWTs) are judged as of it. The same payload, cluster and
/// `now` always give the same bytes.
pub fn validate(payload: &[u8], cluster: &dyn Cluster, now: UnixTime) -> Vec<u8> {
    let verdict = review(payload, cluster, now);
    let response = ValidationResponse {
        accepted: verdict.is_allowed(),
        message: verdict.message(),
        code: None,
        mutated_object: verdict.mutated_object().map(|o| o.raw()),
        audit_annotations: None,
        warnings: Some(verdict.warnings()).filter(|w| !w.is_empty()),
    };
    to_json(&response)
}

/// Kubewarden's `ValidationResponse` as it goes on the wire, field for field, with the
/// changed object kept as the JSON text the fix wrote: the SDK's type holds a
/// `serde_json::Value`, and writing one costs the module code it needs for nothing else.
#[derive(Serialize)]
struct ValidationResponse<'a> {
    accepted: bool,
    message: Option<&'a str>,
    code: Option<u16>,
    mutated_object: Option<&'a RawValue>,
    /// Never set: always `null`.
    audit_annotations: Option<()>,
    warnings: Option<&'a [String]>,
}

/// Kubewarden's `SettingsValidationResponse`, field for field: the SDK is a dependency of the
/// policy module's waPC shell only, so that other front ends link the checks without waPC.
#[derive(Serialize)]
struct SettingsValidationResponse<'a> {
    valid: bool,
    message: Option<&'a str>,
}

/// `validate_settings`: every mistake, including JSON that does not deserialize, is answered
/// with `valid: false` and a message naming the field (the SDK's helper returns a guest error
/// for the latter, which kwctl shows as an opaque `GuestCallFailure`).
pub fn validate_settings(payload: &[u8]) -> Vec<u8> {
    let result = Settings::from_json(payload);
    to_json(&SettingsValidationResponse {
        valid: result.is_ok(),
        message: result.as_ref().err().map(String::as_str),
    })
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
        super::validate(payload, &crate::cluster::NoCluster, UnixTime::EPOCH)
    }

    /// The settings answer is the SDK's too.
    #[test]
    fn settings_responses_are_the_sdks() {
        for payload in [&b"{}"[..], br#"{"unlistedRegistries":1}"#] {
            let bytes = validate_settings(payload);
            let sdk: kubewarden_policy_sdk::settings::SettingsValidationResponse =
                serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                serde_json::from_slice::<Value>(&bytes).unwrap(),
                serde_json::to_value(&sdk).unwrap()
            );
        }
    }

    /// The wire form is the SDK's: it reads back into the SDK's type, field for field.
    #[test]
    fn responses_are_the_sdks() {
        let object = crate::verdict::ChangedObject::new(r#"{"a": [1, "b"]}"#.into()).unwrap();
        let warnings = vec!["w".to_owned()];
        let ours = ValidationResponse {
            accepted: true,
            message: Some("m"),
            code: Some(403),
            mutated_object: Some(object.raw()),
            audit_annotations: None,
            warnings: Some(&warnings),
        };
        let bytes = to_json(&ours);
        let sdk: kubewarden_policy_sdk::response::ValidationResponse =
            serde_json::from_slice(&bytes).unwrap();
        assert!(sdk.accepted);
        assert_eq!(sdk.message.as_deref(), Some("m"));
        assert_eq!(sdk.code, Some(403));
        assert_eq!(sdk.mutated_object, Some(serde_json::json!({"a": [1, "b"]})));
        assert_eq!(sdk.audit_annotations, None);
        assert_eq!(sdk.warnings, Some(warnings.clone()));
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            serde_json::to_value(&sdk).unwrap()
        );
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
