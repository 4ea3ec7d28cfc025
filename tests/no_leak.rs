//! No rejection or warning the policy can produce about a Secret may contain a credential: not
//! a password, not an `auth` value, not a decoded `auth`, not an identity token, nor a base64
//! fragment of them. Random credentials go through every finding, and the whole response
//! (message and warnings, as the module returns them) is searched for any 6-character piece.
//! Dated credentials (ECR tokens, JWTs) with random content go through the Secret check, the
//! pod check with cluster lookups and the troubleshooter, expired, ending soon and valid: only
//! their registry key, the Secret's name and the times may show.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use image_pull_secrets_policy::{NoCluster, UnixTime};

fn validate(payload: &[u8]) -> Vec<u8> {
    image_pull_secrets_policy::validate(payload, &NoCluster, now())
}

/// 2026-12-04T08:00:00Z: the time every case is judged at.
const NOW: i64 = 1_796_371_200;

fn now() -> UnixTime {
    UnixTime::from_secs(NOW).unwrap()
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

/// A dated credential with random content, as `aws ecr get-login-password` or a registry's
/// token service writes it.
#[derive(Debug, Clone)]
struct DatedCreds {
    payload: Vec<u8>,
    datakey: Vec<u8>,
    subject: String,
    signature: Vec<u8>,
    expires: i64,
}

const ACR_USER: &str = "00000000-0000-0000-0000-000000000000";

impl DatedCreds {
    fn ecr(&self) -> String {
        STANDARD.encode(
            json!({"payload": STANDARD.encode(&self.payload), "datakey": STANDARD.encode(&self.datakey),
                "version": "2", "type": "DATA_KEY", "expiration": self.expires})
            .to_string(),
        )
    }

    fn jwt(&self) -> String {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims =
            json!({"sub": self.subject, "exp": self.expires, "iat": self.expires - 10_800});
        format!(
            "{}.{}.{}",
            url.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            url.encode(claims.to_string()),
            url.encode(&self.signature)
        )
    }

    /// `(user, password)` of each kind.
    fn passwords(&self) -> [(&'static str, String); 2] {
        [("AWS", self.ecr()), (ACR_USER, self.jwt())]
    }

    /// Every string that must never appear, in any 6-character piece: the passwords, the
    /// `auth` values, the envelope's blobs, the JWT's random parts and claims segment.
    fn secrets(&self) -> Vec<String> {
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut all = vec![
            STANDARD.encode(&self.payload),
            STANDARD.encode(&self.datakey),
            self.subject.clone(),
            url.encode(&self.signature),
        ];
        for (user, password) in self.passwords() {
            all.push(STANDARD.encode(format!("{user}:{password}")));
            all.push(password);
        }
        let jwt = self.jwt();
        all.extend(jwt.split('.').skip(1).map(str::to_owned));
        all
    }
}

const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const DATED_SETTINGS: &str = r#"{"clusterLookups":true,"registries":[
    {"registry":"private.registry.com","pullSecrets":["regcred"]},
    {"registry":"*.dkr.ecr.*.amazonaws.com","pullSecrets":["ecr-creds"]}]}"#;

/// `.dockerconfigjson` contents holding the dated credentials, in `auth` and in
/// `username`/`password`, for a declared registry and beside a plain key.
fn dated_docs(d: &DatedCreds) -> Vec<Value> {
    let mut docs = Vec::new();
    for (user, password) in d.passwords() {
        let auth = json!({"auth": STANDARD.encode(format!("{user}:{password}"))});
        let fields = json!({"username": user, "password": password});
        for entry in [auth, fields] {
            docs.push(json!({"auths": {"private.registry.com": entry}}));
            docs.push(json!({"auths": {ECR_HOST: entry}}));
            docs.push(json!({"auths": {ECR_HOST: entry, "other.io": {"auth": "dTpw"}}}));
        }
    }
    docs
}

fn pull_secret(name: &str, doc: &Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "team-a"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": STANDARD.encode(doc.to_string())}})
}

/// Every answer about the dated credentials: the Secret check (declared and not), the pod
/// check with the Secret read from the cluster (and the fix), and the troubleshooter.
fn dated_outputs(d: &DatedCreds) -> Vec<String> {
    let settings: Value = serde_json::from_str(DATED_SETTINGS).unwrap();
    let fix_settings = {
        let mut s = settings.clone();
        s["addMissingPullSecrets"] = json!(true);
        s
    };
    let parsed = image_pull_secrets_policy::Settings::from_json(DATED_SETTINGS.as_bytes()).unwrap();
    let mut outputs = Vec::new();
    for doc in dated_docs(d) {
        for name in ["regcred", "ecr-creds", "undeclared"] {
            let secret = pull_secret(name, &doc);
            let payload = json!({"request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Secret"},
                "operation": "CREATE", "namespace": "team-a", "object": secret}, "settings": settings});
            outputs.push(String::from_utf8(validate(payload.to_string().as_bytes())).unwrap());
            let mut cluster = image_pull_secrets_policy::Objects::new();
            cluster.insert(
                image_pull_secrets_policy::Resource::Secret,
                "team-a",
                name,
                secret.to_string().into_bytes(),
            );
            for (image, listed) in [
                ("private.registry.com/app:1", json!([{"name": name}])),
                (&*format!("{ECR_HOST}/app:1"), json!([{"name": name}])),
                (&*format!("{ECR_HOST}/app:1"), json!([])),
            ] {
                let pod = json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "web", "namespace": "team-a"},
                    "spec": {"containers": [{"name": "app", "image": image}], "imagePullSecrets": listed}});
                for s in [&settings, &fix_settings] {
                    let payload = json!({"request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "operation": "CREATE", "namespace": "team-a", "object": pod}, "settings": s});
                    let response = image_pull_secrets_policy::validate(
                        payload.to_string().as_bytes(),
                        &cluster,
                        now(),
                    );
                    outputs.push(String::from_utf8(response).unwrap());
                }
                for given in [None, Some(&parsed)] {
                    let explained = image_pull_secrets_policy::explain(
                        pod.to_string().as_bytes(),
                        given,
                        &cluster,
                        now(),
                    )
                    .unwrap();
                    outputs.push(serde_json::to_string(&explained).unwrap());
                }
            }
        }
    }
    outputs
}

fn assert_no_dated_leak(outputs: &[String], d: &DatedCreds) {
    let secrets = d.secrets();
    for output in outputs {
        for secret in &secrets {
            let chars: Vec<char> = secret.chars().collect();
            for window in chars.windows(6) {
                let piece: String = window.iter().collect();
                assert!(
                    !output.contains(&piece),
                    "output holds {piece:?}, a piece of a credential: {output}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn no_finding_prints_a_dated_credential(
        payload in proptest::collection::vec(proptest::num::u8::ANY, 16..300),
        datakey in proptest::collection::vec(proptest::num::u8::ANY, 16..120),
        subject in "[A-Za-z0-9_-]{12,40}",
        signature in proptest::collection::vec(proptest::num::u8::ANY, 16..256),
        offset in proptest::sample::select(vec![-200_000i64, -3_600, 0, 10_800, 43_200, 2_592_000]),
    ) {
        let d = DatedCreds { payload, datakey, subject, signature, expires: NOW + offset };
        assert_no_dated_leak(&dated_outputs(&d), &d);
    }
}

/// The dated shapes do reach the expiry findings: rejections that name the time, and
/// warnings, so that the property above searches answers that speak of them.
#[test]
fn dated_credentials_produce_findings() {
    let d = |expires| DatedCreds {
        payload: vec![7; 64],
        datakey: vec![9; 32],
        subject: "robot-subject".into(),
        signature: vec![3; 64],
        expires,
    };
    let expired = dated_outputs(&d(NOW - 2 * 86_400)).join("\n");
    assert!(
        expired
            .matches("expired 2 days ago, at 2026-12-02T08:00:00Z")
            .count()
            >= 20,
        "{expired}"
    );
    assert!(expired.contains(r#""accepted":false"#));
    assert!(expired.contains("aws ecr get-login-password --region eu-west-1"));
    let soon = dated_outputs(&d(NOW + 3 * 3600)).join("\n");
    assert!(
        soon.contains("expires in 3 hours, at 2026-12-04T11:00:00Z"),
        "{soon}"
    );
}
