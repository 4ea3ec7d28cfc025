//! What the host answers to the cluster lookups is as untrusted as the request: a Pod that
//! references pull secrets and a ServiceAccount, with every reply made by the fuzzer.
#![no_main]

use arbitrary::Arbitrary;
use image_pull_secrets_policy::fuzzing::validate_with_replies;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

#[derive(Arbitrary, Debug)]
struct Input {
    template: bool,
    secrets: Vec<String>,
    images: Vec<String>,
    replies: Vec<Vec<u8>>,
    any_referenced: bool,
}

fuzz_target!(|input: Input| {
    let spec = json!({
        "containers": input.images.iter().enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect::<Vec<_>>(),
        "imagePullSecrets": input.secrets.iter().map(|s| json!({"name": s})).collect::<Vec<_>>(),
    });
    let (group, kind, object) = if input.template {
        (
            "apps",
            "Deployment",
            json!({"spec": {"template": {"spec": spec}}}),
        )
    } else {
        ("", "Pod", json!({"spec": spec}))
    };
    let secrets = if input.any_referenced {
        json!(["*"])
    } else {
        json!(["regcred"])
    };
    let payload = json!({
        "request": {"uid": "u", "kind": {"group": group, "version": "v1", "kind": kind},
            "operation": "CREATE", "namespace": "ns", "object": object},
        "settings": {"clusterLookups": true, "addMissingPullSecrets": true,
            "registries": [{"registry": "private.registry.com", "pullSecrets": secrets}]},
    });
    validate_with_replies(payload.to_string().as_bytes(), &input.replies);
});
