//! `validate_settings`: any settings text is answered, valid or with a message.
#![no_main]

use image_pull_secrets_policy::validate_settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|settings: &[u8]| {
    let response = validate_settings(settings);
    let parsed: serde_json::Value = serde_json::from_slice(&response).expect("JSON");
    match parsed["valid"].as_bool() {
        Some(true) => {}
        Some(false) => assert!(parsed["message"].as_str().is_some_and(|m| !m.is_empty())),
        None => panic!("{parsed}"),
    }
});
