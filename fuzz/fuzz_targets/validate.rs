//! The whole `validate` payload, as raw bytes: whatever arrives is answered.
#![no_main]

use image_pull_secrets_policy::{NoCluster, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let response = validate(payload, &NoCluster);
    let parsed: serde_json::Value = serde_json::from_slice(&response).expect("JSON");
    assert!(parsed["accepted"].is_boolean());
});
