//! No rejection or warning the policy can produce about a Secret may contain a credential: not
//! a password, not an `auth` value, not a decoded `auth`, not an identity token, nor a base64
//! fragment of them. Random credentials go through every finding, and the whole response
//! (message and warnings, as the module returns them) is searched for any 6-character piece.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use image_pull_secrets_policy::NoCluster;

fn validate(payload: &[u8]) -> Vec<u8> {
    image_pull_secrets_policy::validate(payload, &NoCluster)
}
use proptest::prelude::*;
use serde_json::{Value, json};

const SETTINGS: &str = r#"{"registries":[
    {"registry":"private.registry.com","pullSecrets":["regcred"]},
    {"registry":"registry.local:5000","pullSecrets":["local-creds"]}]}"#;

/// Credentials: printable ASCII without the characters JSON escapes, so that what the policy
/// might print appears verbatim in the response.
fn credential() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'()*+,./;<=>?@^_`{|}~ -]{8,40}"
}

#[derive(Debug, Clone)]
struct Creds {
    user: String,
    pass: String,
    token: String,
}

impl Creds {
    fn auth(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.user, self.pass))
    }

    /// Every string that must never appear, in any 6-character piece.
    fn secrets(&self) -> Vec<String> {
        let mut all = vec![
            self.user.clone(),
            self.pass.clone(),
            self.token.clone(),
            format!("{}:{}", self.user, self.pass),
            self.auth(),
        ];
        for raw in [&self.user, &self.pass, &self.token] {
            all.push(STANDARD.encode(raw));
            all.push(STANDARD_NO_PAD.encode(raw));
        }
        all
    }
}

/// The Secrets to render: every finding of the Secret check, each carrying the credentials.
fn secrets(c: &Creds) -> Vec<Value> {
    let entry = json!({"auth": c.auth()});
    let docs: Vec<(&str, Value)> = vec![
        // Misaligned: declared for private.registry.com, keyed for Docker Hub.
        (
            "regcred",
            json!({"auths": {"https://index.docker.io/v1/": entry}}),
        ),
        // Misaligned, with the credentials in the key's user info.
        (
            "regcred",
            json!({"auths": {format!("{}:{}@private.registry.co", c.user, c.pass): entry}}),
        ),
        (
            "local-creds",
            json!({"auths": {format!("https://{}@registry.local", c.pass): entry}}),
        ),
        // Keys Go reads without user info, although a person meant one: an escaped `@`, and a
        // `/` in the password that ends the authority early (then the kubelet drops the key).
        (
            "regcred",
            json!({"auths": {format!("{}:{}%40private.registry.co", c.user, c.pass): entry}}),
        ),
        (
            "regcred",
            json!({"auths": {format!("{}:{}/x@private.registry.co", c.user, c.pass): entry}}),
        ),
        // Poison: the password as `auth`, `auth` without a colon, wrong types.
        (
            "regcred",
            json!({"auths": {"private.registry.com": {"auth": c.pass}}}),
        ),
        (
            "regcred",
            json!({"auths": {"private.registry.com": {"auth": STANDARD.encode(&c.pass)}}}),
        ),
        (
            "regcred",
            json!({"auths": {"private.registry.com": {"auth": [c.pass], "password": {"p": c.pass}}}}),
        ),
        (
            "regcred",
            json!({"auths": {"private.registry.com": c.auth()}}),
        ),
        ("regcred", json!({"auths": [c.auth()]})),
        // Useless: only an identity token; no auths.
        (
            "regcred",
            json!({"auths": {"private.registry.com": {"identitytoken": c.token}}}),
        ),
        (
            "x",
            json!({"credsStore": c.token, "HttpHeaders": {"Authorization": c.token}}),
        ),
        ("x", json!({"private.registry.com": {"auth": c.auth()}})),
        // Suspicious: auth and username/password disagree; http:// key.
        (
            "regcred",
            json!({"auths": {"private.registry.com": {"auth": c.auth(), "username": c.token, "password": c.pass}, "http://private.registry.com": entry}}),
        ),
    ];
    let mut objects = Vec::new();
    for (name, doc) in docs {
        let text = doc.to_string();
        objects.push(
            json!({"metadata": {"name": name}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": STANDARD.encode(&text)}}),
        );
        objects.push(
            json!({"metadata": {"name": name}, "type": "kubernetes.io/dockerconfigjson",
            "stringData": {".dockerconfigjson": text}}),
        );
        objects.push(
            json!({"metadata": {"name": name}, "type": "kubernetes.io/dockercfg",
            "data": {".dockercfg": STANDARD.encode(doc["auths"].to_string())}}),
        );
        objects.push(json!({"metadata": {"name": name}, "type": "Opaque",
            "data": {".dockerconfigjson": STANDARD.encode(&text)}}));
    }
    // Not JSON, cut right after a credential; not base64; data of the wrong shape.
    let truncated = format!(
        r#"{{"auths":{{"private.registry.com":{{"password":"{}"#,
        c.pass
    );
    objects.push(
        json!({"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": truncated}}),
    );
    objects.push(
        json!({"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": c.pass}}),
    );
    objects.push(
        json!({"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
        "data": c.pass}),
    );
    objects.push(
        json!({"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": [c.pass]}}),
    );
    objects
}

fn review(object: &Value) -> String {
    let payload = json!({
        "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Secret"},
            "operation": "CREATE", "namespace": "team-a", "object": object},
        "settings": serde_json::from_str::<Value>(SETTINGS).unwrap(),
    });
    String::from_utf8(validate(payload.to_string().as_bytes())).unwrap()
}

fn assert_no_leak(response: &str, creds: &Creds) {
    for secret in creds.secrets() {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(6) {
            let piece: String = window.iter().collect();
            assert!(
                !response.contains(&piece),
                "response holds {piece:?}, a piece of a credential: {response}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_finding_prints_a_credential(user in credential(), pass in credential(), token in credential()) {
        let creds = Creds { user, pass, token };
        for object in secrets(&creds) {
            assert_no_leak(&review(&object), &creds);
        }
    }
}

/// Credentials that once leaked, kept as fixed cases: a password starting with `//` turned
/// `user:pass@host` into what looked like `scheme://…`.
#[test]
fn credentials_that_leaked_once() {
    for (user, pass) in [
        ("robot-user", "//hunter2hunter2"),
        ("a://b-user", "x@y://z-pass"),
    ] {
        let creds = Creds {
            user: user.into(),
            pass: pass.into(),
            token: "token-value-x".into(),
        };
        for object in secrets(&creds) {
            assert_no_leak(&review(&object), &creds);
        }
    }
}

/// The shapes above do reach the findings they are meant to: without this, a test that never
/// rejects anything would pass too.
#[test]
fn every_shape_produces_a_finding() {
    let creds = Creds {
        user: "someone-x".into(),
        pass: "pa55word-x".into(),
        token: "token-value-x".into(),
    };
    let mut rejected = 0;
    let mut warned = 0;
    for object in secrets(&creds) {
        let response: Value = serde_json::from_str(&review(&object)).unwrap();
        if response["accepted"] == false {
            rejected += 1;
        }
        if response["warnings"].is_array() {
            warned += 1;
        }
        assert!(
            response["accepted"] == false || response["warnings"].is_array(),
            "no finding for {object}: {response}"
        );
    }
    assert!(
        rejected >= 30 && warned >= 4,
        "{rejected} rejections, {warned} warnings"
    );
}
