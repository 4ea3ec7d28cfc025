//! The page's Rust API, natively: `explain(objects, settings)` on the fixtures the browser test
//! pastes, and on the shapes of text people paste.

use base64::Engine as _;
use serde_json::Value;

const USER: &str = "e2e-robot";
const PASSWORD: &str = "s3cr3t-Pa55w0rd-e2e";
/// base64 of `e2e-robot:s3cr3t-Pa55w0rd-e2e`, the `auth` value the fixtures hold.
const AUTH: &str = "ZTJlLXJvYm90OnMzY3IzdC1QYTU1dzByZC1lMmU=";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// 2026-12-04T08:00:00Z, as `Date.now()` gives it: the time the page is opened in the tests.
const NOW_MILLIS: f64 = 1_796_371_200_000.0;

/// The report as the page receives it: the JSON text of the wasm export.
fn explain(objects: &str, settings: &str) -> Value {
    let text = image_pull_secrets_web::explain(objects, settings, NOW_MILLIS);
    for secret in [PASSWORD, AUTH, USER, &format!("{USER}:{PASSWORD}")] {
        assert!(!text.contains(secret), "{secret} in the report: {text}");
    }
    serde_json::from_str(&text).unwrap()
}

fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| {
            w["containers"].as_array().unwrap().iter().map(|c| {
                (
                    w["object"].as_str().unwrap().to_owned(),
                    c["name"].as_str().unwrap().to_owned(),
                    c["verdict"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

fn commands(workload: &Value) -> Vec<&str> {
    workload["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["command"].as_str().unwrap())
        .collect()
}

fn v(object: &str, container: &str, verdict: &str) -> (String, String, String) {
    (object.into(), container.into(), verdict.into())
}

#[test]
fn a_pod_with_no_secret() {
    let report = explain(&fixture("pod-no-secret.yaml"), "");
    assert_eq!(verdicts(&report), [v("Pod/web", "app", "no-credentials")]);
    let pod = &report["workloads"][0];
    assert_eq!(pod["containers"][0]["registry"], "private.registry.com");
    assert_eq!(pod["containers"][0]["repository"], "team/app");
    assert_eq!(
        commands(pod),
        [
            "kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a",
            "kubectl get pod web -n team-a -o yaml > pod.yaml",
            "kubectl delete pod web -n team-a && kubectl apply -f pod.yaml",
        ]
    );
    assert_eq!(report["notes"], serde_json::json!([]));
    assert!(report["settings"]["source"].is_null());
}

#[test]
fn a_secret_for_the_wrong_host_in_a_list() {
    let report = explain(&fixture("wrong-host.yaml"), "");
    assert_eq!(verdicts(&report), [v("Pod/api", "api", "no-credentials")]);
    let pod = &report["workloads"][0];
    assert_eq!(
        pod["secrets"][0]["keys"][0]["readsAs"],
        "registry.gitlab.com"
    );
    let miss = &pod["containers"][0]["misses"][0];
    assert_eq!(miss["secret"], "gitlab-creds");
    assert_eq!(miss["why"], "it is for another registry");
    assert!(commands(pod)[0].contains("--docker-server=private.registry.com"));
    assert_eq!(
        report["pasted"]["secrets"],
        serde_json::json!(["team-a/gitlab-creds"])
    );
}

#[test]
fn a_missing_port() {
    let report = explain(&fixture("missing-port.yaml"), "");
    assert_eq!(
        verdicts(&report),
        [v("Deployment/inventory", "inventory", "no-credentials")]
    );
    let deployment = &report["workloads"][0];
    let why = deployment["containers"][0]["misses"][0]["why"]
        .as_str()
        .unwrap();
    assert!(why.starts_with("the port differs"), "{why}");
    assert_eq!(
        commands(deployment),
        [
            "kubectl create secret docker-registry local-creds --docker-server=registry.local:5000 --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -",
            "kubectl rollout restart deployment/inventory -n team-a",
        ]
    );
}

#[test]
fn the_docker_hub_default_key() {
    let report = explain(&fixture("dockerhub-default-key.yaml"), "");
    assert_eq!(
        verdicts(&report),
        [
            v("StatefulSet/ledger", "ledger", "no-credentials"),
            v("StatefulSet/ledger", "exporter", "sends-credentials"),
        ]
    );
    let ledger = &report["workloads"][0];
    let miss = &ledger["containers"][0]["misses"][0];
    assert_eq!(miss["key"], "\"https://index.docker.io/v1/\"");
    assert!(
        miss["why"]
            .as_str()
            .unwrap()
            .contains("--docker-server is left out")
    );
    assert_eq!(
        ledger["containers"][1]["sends"],
        serde_json::json!({"secret": "regcred", "key": "\"https://index.docker.io/v1/\"", "expires": null})
    );
    let commands = commands(ledger);
    assert!(commands[0].starts_with(
        "kubectl create secret docker-registry regcred-2 --docker-server=private.registry.com"
    ));
    assert!(commands[1].starts_with("kubectl patch statefulset ledger -n team-a --type=json"));
    assert_eq!(
        commands[2],
        "kubectl rollout restart statefulset/ledger -n team-a"
    );
}

#[test]
fn a_poison_secret_fails_every_pull() {
    let report = explain(&fixture("poison-secret.yaml"), "");
    assert_eq!(
        verdicts(&report),
        [
            v("Pod/shop", "web", "fails"),
            v("Pod/shop", "shop", "fails")
        ]
    );
    let pod = &report["workloads"][0];
    assert_eq!(pod["secrets"][0]["state"], "poison");
    let finding = pod["containers"][0]["finding"].as_str().unwrap();
    assert!(
        finding.contains("cannot be decoded by the kubelet"),
        "{finding}"
    );
    assert!(commands(pod)[0].ends_with("--dry-run=client -o yaml | kubectl apply -f -"));
}

#[test]
fn a_deployment_relying_on_its_service_account_as_json() {
    let report = explain(&fixture("deployment-service-account.json"), "");
    assert_eq!(
        verdicts(&report),
        [v("Deployment/builder-app", "app", "sends-credentials")]
    );
    let deployment = &report["workloads"][0];
    assert_eq!(
        deployment["pullSecrets"]["names"],
        serde_json::json!(["regcred"])
    );
    assert!(
        deployment["pullSecrets"]["source"]
            .as_str()
            .unwrap()
            .starts_with("ServiceAccount \"builder\"")
    );
    assert!(commands(deployment).is_empty());
    let remaining = deployment["remaining"].as_str().unwrap();
    assert!(
        remaining.contains("docker login private.registry.com"),
        "{remaining}"
    );
    assert_eq!(report["notes"], serde_json::json!([]));

    // Without the ServiceAccount the Pods cannot be created: the ServiceAccount's fix.
    let without: Value = {
        let mut list: Value =
            serde_json::from_str(&fixture("deployment-service-account.json")).unwrap();
        list["items"]
            .as_array_mut()
            .unwrap()
            .retain(|i| i["kind"] != "ServiceAccount");
        explain(&list.to_string(), "")
    };
    assert_eq!(
        verdicts(&without),
        [v("Deployment/builder-app", "app", "fails")]
    );
    assert!(
        commands(&without["workloads"][0])
            .contains(&"kubectl create serviceaccount builder -n team-a")
    );
}

#[test]
fn settings_give_the_policys_verdict() {
    let report = explain(&fixture("pod-no-secret.yaml"), &fixture("policy.yaml"));
    assert_eq!(
        report["settings"]["source"],
        "spec.settings of ClusterAdmissionPolicy/image-pull-secrets"
    );
    assert_eq!(verdicts(&report), [v("Pod/web", "app", "fails")]);
    let policy = &report["workloads"][0]["policy"];
    assert_eq!(policy["allowed"], false);
    assert!(
        policy["message"]
            .as_str()
            .unwrap()
            .contains("needs one of the pull secrets regcred, regcred-ro")
    );

    // The same settings, bare, as YAML and as JSON.
    let yaml = "registries:\n- registry: private.registry.com\n  pullSecrets: [regcred]\n";
    let json = r#"{"registries":[{"registry":"private.registry.com","pullSecrets":["regcred"]}]}"#;
    for settings in [yaml, json] {
        let report = explain(&fixture("pod-no-secret.yaml"), settings);
        assert_eq!(report["settings"]["source"], "the settings box");
        assert_eq!(report["workloads"][0]["policy"]["allowed"], false);
    }
}

#[test]
fn a_policy_pasted_with_the_objects_is_used_when_the_settings_box_is_empty() {
    let objects = format!(
        "{}\n---\n{}",
        fixture("pod-no-secret.yaml"),
        fixture("policy.yaml")
    );
    let report = explain(&objects, "");
    assert_eq!(
        report["settings"]["source"],
        "spec.settings of ClusterAdmissionPolicy/image-pull-secrets, pasted with the objects"
    );
    assert_eq!(report["workloads"][0]["policy"]["allowed"], false);
}

#[test]
fn invalid_settings_are_reported_and_the_chain_is_still_explained() {
    let report = explain(
        &fixture("pod-no-secret.yaml"),
        "unlistedRegistries: sometimes\n",
    );
    let error = report["settings"]["error"].as_str().unwrap();
    assert!(
        error.starts_with("the settings box: unlistedRegistries: "),
        "{error}"
    );
    assert!(report["workloads"][0]["policy"].is_null());
    assert_eq!(verdicts(&report), [v("Pod/web", "app", "no-credentials")]);

    let report = explain(
        &fixture("pod-no-secret.yaml"),
        &fixture("pod-no-secret.yaml"),
    );
    let error = report["settings"]["error"].as_str().unwrap();
    assert!(
        error.starts_with("the settings box holds a Pod, not policy settings"),
        "{error}"
    );

    let report = explain(&fixture("pod-no-secret.yaml"), "registries: [unclosed\n");
    assert!(
        report["settings"]["error"]
            .as_str()
            .unwrap()
            .starts_with("document 1 (line 1): not valid YAML"),
        "{report}"
    );
}

/// `kubectl create secret docker-registry ... --dry-run=client -o yaml` writes no namespace: such
/// a Secret counts in the namespace of every pasted workload.
#[test]
fn a_secret_without_a_namespace_counts_in_every_workloads_namespace() {
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "local-creds"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": dockerconfig("registry.local:5000")}});
    let deployment = fixture("missing-port.yaml");
    let deployment = deployment.split("\n---\n").next().unwrap();
    let other = deployment.replace("namespace: team-a", "namespace: team-b");
    let objects = format!("{deployment}\n---\n{other}\n---\n{secret}\n");
    let report = explain(&objects, "");
    assert_eq!(
        verdicts(&report),
        [
            v("Deployment/inventory", "inventory", "sends-credentials"),
            v("Deployment/inventory", "inventory", "sends-credentials"),
        ]
    );
    assert_eq!(report["workloads"][1]["namespace"], "team-b");
    assert_eq!(
        report["pasted"]["secrets"],
        serde_json::json!(["*/local-creds"])
    );
}

/// base64 of a `.dockerconfigjson` with the fixtures' credential for `server`.
fn dockerconfig(server: &str) -> String {
    let config = format!(r#"{{"auths":{{"{server}":{{"auth":"{AUTH}"}}}}}}"#);
    base64::engine::general_purpose::STANDARD.encode(config)
}

#[test]
fn a_secret_in_another_namespace_is_named_in_a_note() {
    let objects = fixture("missing-port.yaml").replace(
        "  name: local-creds\n  namespace: team-a",
        "  name: local-creds\n  namespace: team-b",
    );
    let report = explain(&objects, "");
    let deployment = &report["workloads"][0];
    assert_eq!(deployment["secrets"][0]["state"], "missing");
    assert_eq!(
        verdicts(&report),
        [v("Deployment/inventory", "inventory", "fails")]
    );
    assert_eq!(
        report["notes"],
        serde_json::json!([{"level": "info", "about": "Secret/local-creds",
            "text": "it is in namespace \"team-b\", but the pasted workloads run in \"team-a\": the kubelet only reads pull secrets from the Pod's own namespace"}])
    );
}

#[test]
fn other_kinds_and_unreadable_documents_are_notes() {
    let objects = format!(
        "{}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\n---\nkind: Secret\ndata:\n  .dockerconfigjson: [{PASSWORD}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{}}\n",
        fixture("pod-no-secret.yaml")
    );
    let report = explain(&objects, "");
    assert_eq!(verdicts(&report), [v("Pod/web", "app", "no-credentials")]);
    // Each document starts at its `---` line.
    // (after the fixture's lines and the blank line that its final newline and "\n---" make)
    let first = fixture("pod-no-secret.yaml").lines().count() + 2;
    let notes = report["notes"].as_array().unwrap();
    let abouts: Vec<&str> = notes.iter().map(|n| n["about"].as_str().unwrap()).collect();
    assert_eq!(
        abouts,
        [
            format!("document 3 (line {})", first + 4),
            format!("ConfigMap/cfg (document 2 (line {first}))"),
            format!("Secret (document 4 (line {}))", first + 8),
        ]
    );
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("not valid YAML: ")
    );
    assert!(
        notes[1]["text"]
            .as_str()
            .unwrap()
            .starts_with("not one of the kinds the policy checks")
    );
    assert_eq!(
        notes[2]["text"],
        "a Secret without metadata.name: no Pod can reference it"
    );
}

#[test]
fn nothing_to_explain() {
    for text in ["", "# only a comment\n", "---\n---\n"] {
        let report = explain(text, "");
        assert_eq!(report["workloads"], serde_json::json!([]));
        assert!(report["prevention"].is_null());
        assert!(
            report["notes"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("no Pod or workload was pasted")
        );
    }
}

#[test]
fn a_controlled_pod_points_at_its_controller() {
    let objects = fixture("pod-no-secret.yaml").replace(
        "  managedFields:",
        "  ownerReferences:\n  - apiVersion: apps/v1\n    blockOwnerDeletion: true\n    controller: true\n    kind: ReplicaSet\n    name: web-7d9f8b6c5\n    uid: 1a2b\n  managedFields:",
    );
    let report = explain(&objects, "");
    let note = report["notes"][0]["text"].as_str().unwrap();
    assert!(
        note.starts_with(
            "this Pod is controlled by ReplicaSet/web-7d9f8b6c5: fix the controller instead"
        ),
        "{note}"
    );
}

/// A workload that cannot be explained, pasted first, does not take the controller note away
/// from the Pod after it.
#[test]
fn a_controlled_pod_after_a_broken_workload_still_points_at_its_controller() {
    let pod = fixture("pod-no-secret.yaml").replace(
        "  managedFields:",
        "  ownerReferences:\n  - apiVersion: apps/v1\n    controller: true\n    kind: ReplicaSet\n    name: web-7d9f8b6c5\n    uid: 1a2b\n  managedFields:",
    );
    let broken =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: no-template\nspec: {}\n";
    let report = explain(&format!("{broken}---\n{pod}"), "");
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("this Pod is controlled by ReplicaSet/web-7d9f8b6c5")),
        "{notes:?}"
    );
}

#[test]
fn prevention_is_generated_from_what_was_pasted() {
    let report = explain(&fixture("dockerhub-default-key.yaml"), "");
    let settings = report["prevention"]["settings"].as_str().unwrap();
    assert!(
        settings.contains("registry: \"private.registry.com\""),
        "{settings}"
    );
    assert!(
        settings.contains("registry: \"docker.io/myorg\""),
        "{settings}"
    );
    let policy = report["prevention"]["policy"].as_str().unwrap();
    assert!(
        policy.starts_with("apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy")
    );
    // Pasted back into the settings box, the policy is read and would reject the workload.
    let again = explain(&fixture("dockerhub-default-key.yaml"), policy);
    assert_eq!(
        again["settings"]["source"],
        "spec.settings of ClusterAdmissionPolicy/image-pull-secrets"
    );
    assert_eq!(again["workloads"][0]["policy"]["allowed"], false);
}

/// Every fixture, and every fixture cut short at every line (a paste that lost its end), gives a
/// report without the credential: errors never quote what they cannot read.
#[test]
fn no_credential_in_any_report_even_of_broken_pastes() {
    for name in [
        "pod-no-secret.yaml",
        "wrong-host.yaml",
        "missing-port.yaml",
        "dockerhub-default-key.yaml",
        "poison-secret.yaml",
        "deployment-service-account.json",
    ] {
        let text = fixture(name);
        explain(&text, "");
        explain(&text, &text);
        let lines: Vec<&str> = text.lines().collect();
        for cut in 1..lines.len() {
            explain(&lines[..cut].join("\n"), "");
        }
    }
    // The credential in plain sight, in documents that cannot be read as objects.
    let plain =
        format!("auths:\n  private.registry.com:\n    password: {PASSWORD}\n    auth: {AUTH}\n  [");
    explain(&plain, &plain);
    explain(
        &format!("{{\"password\": \"{PASSWORD}\", \"auth\": \"{AUTH}\"}}"),
        "",
    );
    explain(&format!("\"{USER}:{PASSWORD}\""), &format!("[\"{AUTH}\""));
}

/// The generated policy, pasted back into the settings box, rejects each broken fixture: the
/// prevention is a policy that would have caught the mistake.
#[test]
fn the_generated_policy_rejects_every_broken_fixture() {
    for name in [
        "pod-no-secret.yaml",
        "wrong-host.yaml",
        "missing-port.yaml",
        "dockerhub-default-key.yaml",
        "poison-secret.yaml",
    ] {
        let objects = fixture(name);
        let report = explain(&objects, "");
        let policy = report["prevention"]["policy"].as_str().unwrap().to_owned();
        let again = explain(&objects, &policy);
        let verdict = &again["workloads"][0]["policy"];
        assert_eq!(verdict["allowed"], false, "{name}: {verdict}");
    }
    // ... and accepts the working one.
    let objects = fixture("deployment-service-account.json");
    let policy = explain(&objects, "")["prevention"]["policy"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        explain(&objects, &policy)["workloads"][0]["policy"]["allowed"],
        true
    );
}

/// An ECR token written into a Secret once: the chain says it expired and when, the fixes
/// write a fresh one, and no piece of the token shows.
#[test]
fn an_expired_ecr_token() {
    let text = fixture("expired-ecr-token.yaml");
    let report = explain(&text, "");
    assert_eq!(
        verdicts(&report),
        [v("Deployment/payments", "payments", "fails")]
    );
    let workload = &report["workloads"][0];
    let key = &workload["secrets"][0]["keys"][0];
    assert_eq!(
        key["expires"],
        "expired 378 days ago, at 2025-11-20T21:14:03Z"
    );
    assert_eq!(key["expired"], true);
    let container = &workload["containers"][0];
    assert!(
        container["finding"]
            .as_str()
            .unwrap()
            .contains("an Amazon ECR authorization token that expired 378 days ago"),
        "{container}"
    );
    assert_eq!(
        commands(workload),
        [
            "kubectl create secret docker-registry ecr-creds \
             --docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS \
             --docker-password=\"$(aws ecr get-login-password --region eu-west-1)\" -n team-a \
             --dry-run=client -o yaml | kubectl apply -f -",
            "kubectl rollout restart deployment/payments -n team-a",
        ]
    );
    // The token's pieces: the password as pasted, its envelope's blobs.
    let token = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(".dockerconfigjson: "))
        .map(|b| b.trim_matches('"'))
        .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap())
        .map(|json| serde_json::from_slice::<Value>(&json).unwrap())
        .unwrap();
    let password = token["auths"]["123456789012.dkr.ecr.eu-west-1.amazonaws.com"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = report.to_string();
    for piece in password.as_bytes().chunks(16) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(!shown.contains(piece), "{piece} in {shown}");
    }
}
