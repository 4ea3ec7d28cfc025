//! The Kubewarden files must agree with each other and with the crate: one version, one set of
//! rules, one settings form.

use image_pull_secrets_policy::Settings;
use serde_json::Value;

fn yaml(path: &str) -> Value {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml_str(text: &Value) -> Value {
    serde_norway::from_str(text.as_str().expect("a YAML string")).unwrap()
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn versions_agree() {
    let metadata = yaml("metadata.yml");
    let hub = yaml("artifacthub-pkg.yml");
    let policy = yaml("policy.yaml");
    assert_eq!(
        metadata["annotations"]["io.kubewarden.policy.version"],
        VERSION
    );
    assert_eq!(hub["version"], VERSION);
    let tag = format!(":v{VERSION}");
    let image = hub["containersImages"][0]["image"].as_str().unwrap();
    assert!(image.ends_with(&tag), "{image}");
    let oci = metadata["annotations"]["io.kubewarden.policy.ociUrl"]
        .as_str()
        .unwrap();
    assert_eq!(image, format!("{oci}{tag}"));
    assert_eq!(policy["spec"]["module"], format!("registry://{oci}{tag}"));
    for link in hub["links"].as_array().unwrap() {
        let url = link["url"].as_str().unwrap();
        assert!(
            !url.contains("releases") || url.contains(&format!("/v{VERSION}/")),
            "{url}"
        );
    }
}

#[test]
fn artifacthub_agrees_with_metadata() {
    let metadata = yaml("metadata.yml");
    let hub = yaml("artifacthub-pkg.yml");
    let a = &metadata["annotations"];
    assert_eq!(
        yaml_str(&hub["annotations"]["kubewarden/rules"]),
        metadata["rules"]
    );
    assert_eq!(
        hub["annotations"]["kubewarden/mutation"],
        metadata["mutating"].to_string()
    );
    assert_eq!(
        hub["annotations"]["kubewarden/resources"],
        a["io.artifacthub.resources"]
    );
    assert_eq!(hub["displayName"], a["io.artifacthub.displayName"]);
    assert_eq!(hub["description"], a["io.kubewarden.policy.description"]);
    assert_eq!(hub["name"], a["io.kubewarden.policy.title"]);
    assert_eq!(hub["license"], a["io.kubewarden.policy.license"]);
    let keywords: Vec<&str> = a["io.artifacthub.keywords"]
        .as_str()
        .unwrap()
        .split(", ")
        .collect();
    assert_eq!(hub["keywords"], serde_json::json!(keywords));
    assert_eq!(
        yaml_str(&hub["annotations"]["kubewarden/questions-ui"]),
        yaml("questions-ui.yml")
    );
    assert_eq!(
        yaml_str(&hub["annotations"]["kubewarden/contextAwareResources"]),
        metadata
            .get("contextAwareResources")
            .cloned()
            .unwrap_or(serde_json::json!([]))
    );
}

#[test]
fn policy_manifest_agrees_and_its_settings_are_valid() {
    let metadata = yaml("metadata.yml");
    let policy = yaml("policy.yaml");
    assert_eq!(policy["kind"], "ClusterAdmissionPolicy");
    assert_eq!(policy["spec"]["rules"], metadata["rules"]);
    assert_eq!(policy["spec"]["mutating"], metadata["mutating"]);
    let settings = serde_json::to_vec(&policy["spec"]["settings"]).unwrap();
    Settings::from_json(&settings).expect("policy.yaml settings");
    let excluded = &policy["spec"]["namespaceSelector"]["matchExpressions"][0]["values"];
    assert_eq!(excluded, &serde_json::json!(["kube-system"]));
}

#[test]
fn the_lookup_policy_is_granted_what_the_module_reads() {
    let metadata = yaml("metadata.yml");
    let lookups = yaml("policy-cluster-lookups.yaml");
    assert_eq!(lookups["kind"], "ClusterAdmissionPolicy");
    assert_eq!(lookups["spec"]["rules"], metadata["rules"]);
    assert_eq!(
        lookups["spec"]["contextAwareResources"],
        metadata["contextAwareResources"]
    );
    assert_eq!(
        metadata["hostCapabilities"],
        serde_json::json!(["kubernetes/get_resource"])
    );
    assert_eq!(lookups["spec"]["settings"]["clusterLookups"], true);
    let settings = serde_json::to_vec(&lookups["spec"]["settings"]).unwrap();
    Settings::from_json(&settings).expect("policy-cluster-lookups.yaml settings");
    // The settings-only policy reads nothing from the cluster.
    let policy = yaml("policy.yaml");
    assert_eq!(lookups["spec"]["module"], policy["spec"]["module"]);
    assert!(policy["spec"].get("contextAwareResources").is_none());
    assert_ne!(policy["spec"]["settings"]["clusterLookups"], true);
}

#[test]
fn questions_cover_every_setting() {
    let questions = yaml("questions-ui.yml");
    let variables: Vec<&str> = questions["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["variable"].as_str())
        .collect();
    // Every field of the settings, set to a non-default value, must be accepted, and have a
    // question; an unknown field would be refused.
    let all = r#"{"registries":[{"registry":"a.io","pullSecrets":["s"]}],
        "unlistedRegistries":"reject","templatesWithoutPullSecrets":"warn",
        "validateSecrets":false}"#;
    Settings::from_json(all.as_bytes()).unwrap();
    let fields: Value = serde_json::from_str(all).unwrap();
    for field in fields.as_object().unwrap().keys() {
        assert!(
            variables.contains(&field.as_str()),
            "no question for {field}"
        );
    }
}
