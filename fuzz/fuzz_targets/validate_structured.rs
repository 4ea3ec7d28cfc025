//! Admission requests built from parts, so that the fuzzer reaches the checks rather than the
//! JSON parser: every checked kind and operation, containers of the three lists with images
//! made of plausible registries and arbitrary rest, pull secrets, ServiceAccounts, an old
//! object for updates, Secrets with arbitrary content, and settings with every option.
#![no_main]

use arbitrary::Arbitrary;
use image_pull_secrets_policy::fuzzing::NOW;
use image_pull_secrets_policy::{NoCluster, validate};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const REGISTRIES: &[&str] = &[
    "",
    "private.registry.com/",
    "my-private.registry.com/",
    "Private.Registry.com/",
    "registry.local:5000/",
    "registry.local/",
    "[::1]:5000/",
    "docker.io/",
    "index.docker.io/",
    "quay.io/my-org/",
    "1.dkr.ecr.eu-west-1.amazonaws.com/",
    "localhost/",
];
const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "ReplicationController"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "Secret"),
    ("", "ConfigMap"),
    ("example.com", "Deployment"),
];
const OPERATIONS: &[&str] = &["CREATE", "UPDATE", "DELETE", "CONNECT", ""];
const SECRET_TYPES: &[&str] = &[
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/dockercfg",
    "Opaque",
    "",
];

#[derive(Arbitrary, Debug)]
struct Image {
    registry: u8,
    rest: String,
}

impl Image {
    fn text(&self) -> String {
        format!(
            "{}{}",
            REGISTRIES[usize::from(self.registry) % REGISTRIES.len()],
            self.rest
        )
    }
}

#[derive(Arbitrary, Debug)]
struct PodSpec {
    containers: Vec<(String, Image)>,
    init: Vec<(String, Image)>,
    ephemeral: Vec<(String, Image)>,
    pull_secrets: Option<Vec<String>>,
    service_account: Option<String>,
}

impl PodSpec {
    fn json(&self) -> Value {
        let list = |c: &[(String, Image)]| -> Value {
            c.iter()
                .map(|(n, i)| json!({"name": n, "image": i.text()}))
                .collect()
        };
        let mut spec = json!({
            "containers": list(&self.containers),
            "initContainers": list(&self.init),
            "ephemeralContainers": list(&self.ephemeral),
        });
        if let Some(secrets) = &self.pull_secrets {
            spec["imagePullSecrets"] = secrets.iter().map(|s| json!({"name": s})).collect();
        }
        if let Some(account) = &self.service_account {
            spec["serviceAccountName"] = json!(account);
        }
        spec
    }
}

#[derive(Arbitrary, Debug)]
struct Secret {
    secret_type: u8,
    docker_config_json: Option<Vec<u8>>,
    docker_cfg: Option<Vec<u8>>,
    string_data: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct Settings {
    registries: Vec<(Image, Vec<String>)>,
    unlisted_reject: bool,
    templates_warn: bool,
    validate_secrets: bool,
    add_missing: bool,
}

#[derive(Arbitrary, Debug)]
struct Request {
    kind: u8,
    operation: u8,
    namespace: Option<String>,
    name: Option<String>,
    spec: PodSpec,
    old: Option<PodSpec>,
    secret: Secret,
    settings: Settings,
}

fn object(kind: &str, spec: &PodSpec, secret: &Secret, name: &Option<String>) -> Value {
    let pod = spec.json();
    let mut object = match kind {
        "Pod" => json!({"spec": pod}),
        "CronJob" => json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}),
        "Secret" => {
            let base64 = |b: &[u8]| {
                use std::fmt::Write;
                // Hex-like text is not base64 half the time: both paths are taken.
                b.iter().fold(String::new(), |mut s, x| {
                    let _ = write!(s, "{x:02x}");
                    s
                })
            };
            let mut data = serde_json::Map::new();
            if let Some(c) = &secret.docker_config_json {
                data.insert(".dockerconfigjson".into(), json!(base64(c)));
            }
            if let Some(c) = &secret.docker_cfg {
                data.insert(".dockercfg".into(), json!(base64(c)));
            }
            let mut s = json!({
                "type": SECRET_TYPES[usize::from(secret.secret_type) % SECRET_TYPES.len()],
                "data": data,
            });
            if let Some(text) = &secret.string_data {
                s["stringData"] = json!({".dockerconfigjson": text});
            }
            s
        }
        _ => json!({"spec": {"template": {"spec": pod}}}),
    };
    object["metadata"] = json!({"name": name});
    object
}

fuzz_target!(|r: Request| {
    let (group, kind) = KINDS[usize::from(r.kind) % KINDS.len()];
    let operation = OPERATIONS[usize::from(r.operation) % OPERATIONS.len()];
    let settings = json!({
        "registries": r.settings.registries.iter().map(|(image, secrets)| json!({
            "registry": image.text().trim_end_matches('/'),
            "pullSecrets": secrets,
        })).collect::<Vec<_>>(),
        "unlistedRegistries": if r.settings.unlisted_reject { "reject" } else { "allow" },
        "templatesWithoutPullSecrets": if r.settings.templates_warn { "warn" } else { "reject" },
        "validateSecrets": r.settings.validate_secrets,
        "addMissingPullSecrets": r.settings.add_missing,
    });
    let old = r
        .old
        .as_ref()
        .map(|old| object(kind, old, &r.secret, &r.name));
    let payload = json!({
        "request": {
            "uid": "fuzz",
            "kind": {"group": group, "version": "v1", "kind": kind},
            "operation": operation,
            "namespace": r.namespace,
            "name": r.name,
            "object": object(kind, &r.spec, &r.secret, &r.name),
            "oldObject": old,
        },
        "settings": settings,
    });
    let bytes = payload.to_string().into_bytes();
    let first = validate(&bytes, &NoCluster, NOW);
    let parsed: Value = serde_json::from_slice(&first).expect("JSON");
    assert!(parsed["accepted"].is_boolean());
    // Byte-identical answers: the same request, the same response.
    assert_eq!(validate(&bytes, &NoCluster, NOW), first);
    // A changed object, reviewed again, needs no further change.
    if let Some(changed) = parsed.get("mutated_object").filter(|o| !o.is_null()) {
        let mut again = payload.clone();
        again["request"]["object"] = changed.clone();
        let response: Value =
            serde_json::from_slice(&validate(again.to_string().as_bytes(), &NoCluster, NOW))
                .expect("JSON");
        assert_eq!(response["accepted"], true, "{again}\n{response}");
        assert!(response["mutated_object"].is_null(), "{again}\n{response}");
    }
});
