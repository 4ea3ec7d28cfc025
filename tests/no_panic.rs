//! Whatever the request, the policy answers: a panic would trap the wasm guest, and the API
//! server would see an unexplained HTTP 500. Every end-to-end fixture is damaged at random
//! (bytes overwritten, cut short) and must still get a well-formed accept or reject.

use image_pull_secrets_policy::entry::{validate, validate_settings};
use proptest::prelude::*;
use serde_json::Value;

const SETTINGS: &str = r#"{"registries":[
    {"registry":"private.registry.com","pullSecrets":["regcred","regcred-ro"]},
    {"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":[]},
    {"registry":"quay.io/my-org","pullSecrets":["quay-my-org"]}]}"#;

fn payloads() -> &'static [Vec<u8>] {
    static PAYLOADS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    PAYLOADS.get_or_init(read_payloads)
}

fn read_payloads() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e-tests/test_data");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json") && !p.ends_with("settings-only-listed.json")
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let request: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let request = request.get("request").cloned().unwrap_or(request);
            format!(r#"{{"request":{request},"settings":{SETTINGS}}}"#).into_bytes()
        })
        .collect()
}

fn answered(response: &[u8]) -> bool {
    serde_json::from_slice::<Value>(response).is_ok_and(|v| v["accepted"].is_boolean())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn damaged_requests_are_answered(
        which in 0usize..1000,
        edits in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 0..4),
        cut in proptest::option::of(0usize..100_000),
    ) {
        let all = payloads();
        let mut payload = all[which % all.len()].clone();
        for (at, byte) in edits {
            let at = at % payload.len();
            payload[at] = byte;
        }
        if let Some(cut) = cut {
            payload.truncate(cut % (payload.len() + 1));
        }
        prop_assert!(answered(&validate(&payload)));
    }

    #[test]
    fn any_settings_are_answered(settings in "\\PC{0,60}") {
        let response: Value = serde_json::from_slice(&validate_settings(settings.as_bytes())).unwrap();
        prop_assert!(response["valid"].is_boolean());
    }
}

#[test]
fn every_fixture_is_answered_intact() {
    for payload in payloads() {
        assert!(answered(&validate(payload)));
    }
}
