//! Whatever the request, the policy answers: a panic would trap the wasm guest, and the API
//! server would see an unexplained HTTP 500. Every end-to-end fixture is damaged at random
//! (bytes overwritten, cut short) and must still get a well-formed accept or reject.

use image_pull_secrets_policy::{NoCluster, UnixTime, validate_settings};

fn validate(payload: &[u8]) -> Vec<u8> {
    image_pull_secrets_policy::validate(payload, &NoCluster, UnixTime::EPOCH)
}
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
        let first = validate(&payload);
        prop_assert!(answered(&first));
        // Byte-identical, whether the settings were cached already or read anew.
        prop_assert_eq!(&validate(&payload), &first);
        validate(br#"{"request":{},"settings":{"validateSecrets":false}}"#);
        prop_assert_eq!(&validate(&payload), &first);
    }

    #[test]
    fn any_settings_text_is_answered(settings in "\\PC{0,60}") {
        let response: Value = serde_json::from_slice(&validate_settings(settings.as_bytes())).unwrap();
        prop_assert!(response["valid"].is_boolean());
    }

    /// Settings objects with the real field names and values of any type, near-valid ones
    /// among them: they reach every field's validation, not only the first early return.
    #[test]
    fn any_settings_object_is_answered(settings in settings_object()) {
        let text = settings.to_string();
        let response: Value = serde_json::from_slice(&validate_settings(text.as_bytes())).unwrap();
        match response["valid"].as_bool() {
            Some(true) => {}
            Some(false) => {
                let message = response["message"].as_str().unwrap_or_default();
                prop_assert!(
                    FIELDS.iter().any(|f| message.starts_with(f)) || message.contains("unknown field"),
                    "{text}: {message}"
                );
            }
            None => prop_assert!(false, "{text}: {response}"),
        }
    }
}

/// The settings' fields, as `questions-ui.yml` and the README name them (the crate's unit tests
/// check that every field of the settings type has a question).
const FIELDS: &[&str] = &[
    "registries",
    "unlistedRegistries",
    "templatesWithoutPullSecrets",
    "validateSecrets",
];

/// Any JSON value, small.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        near_valid_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Strings that are, or are close to, what the fields accept.
fn near_valid_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("allow".to_owned()),
        Just("reject".to_owned()),
        Just("warn".to_owned()),
        Just("private.registry.com".to_owned()),
        Just("*.dkr.ecr.*.amazonaws.com".to_owned()),
        Just("[::1]:5000".to_owned()),
        Just("regcred".to_owned()),
        "[a-zA-Z0-9.:/*\\[\\]_-]{0,24}",
    ]
}

/// A registry entry: the real fields, sometimes missing, extra, or of the wrong type.
fn registry_entry() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(prop_oneof![
            near_valid_string().prop_map(Value::String),
            any_value()
        ]),
        proptest::option::of(prop_oneof![
            proptest::collection::vec(near_valid_string().prop_map(Value::String), 0..3)
                .prop_map(Value::Array),
            any_value(),
        ]),
        proptest::option::of(any_value()),
    )
        .prop_map(|(registry, secrets, extra)| {
            let mut entry = serde_json::Map::new();
            if let Some(v) = registry {
                entry.insert("registry".into(), v);
            }
            if let Some(v) = secrets {
                entry.insert("pullSecrets".into(), v);
            }
            if let Some(v) = extra {
                entry.insert("pullSecret".into(), v);
            }
            Value::Object(entry)
        })
}

fn settings_object() -> impl Strategy<Value = Value> {
    let registries = prop_oneof![
        proptest::collection::vec(registry_entry(), 0..4).prop_map(Value::Array),
        any_value(),
    ];
    let value = prop_oneof![
        near_valid_string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        any_value()
    ];
    (
        proptest::option::of(registries),
        proptest::collection::btree_map(proptest::sample::select(&FIELDS[1..]), value, 0..4),
    )
        .prop_map(|(registries, others)| {
            let mut settings = serde_json::Map::new();
            if let Some(r) = registries {
                settings.insert("registries".into(), r);
            }
            for (field, value) in others {
                settings.insert(field.to_string(), value);
            }
            Value::Object(settings)
        })
}

#[test]
fn every_fixture_is_answered_intact() {
    for payload in payloads() {
        assert!(answered(&validate(payload)));
    }
}
