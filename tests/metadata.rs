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
    // kwctl leaves the annotation out when the policy reads no cluster resources, and writes
    // them sorted (by apiVersion, then kind).
    let sorted = |resources: Value| {
        let mut resources = resources.as_array().cloned().unwrap_or_default();
        resources.sort_by_key(|r| (r["apiVersion"].to_string(), r["kind"].to_string()));
        Value::Array(resources)
    };
    let context_aware = sorted(
        metadata
            .get("contextAwareResources")
            .cloned()
            .unwrap_or(serde_json::json!([])),
    );
    match hub["annotations"].get("kubewarden/contextAwareResources") {
        Some(resources) => assert_eq!(yaml_str(resources), context_aware),
        None => assert_eq!(context_aware, serde_json::json!([])),
    }
}

#[test]
fn policy_manifest_agrees_and_its_settings_are_valid() {
    let metadata = yaml("metadata.yml");
    let policy = yaml("policy.yaml");
    assert_eq!(policy["kind"], "ClusterAdmissionPolicy");
    assert_eq!(policy["spec"]["rules"], metadata["rules"]);
    // The module can mutate; the validating policy does not let it, and its settings do not ask.
    assert_eq!(metadata["mutating"], true);
    assert_eq!(policy["spec"]["mutating"], false);
    assert_ne!(policy["spec"]["settings"]["addMissingPullSecrets"], true);
    let settings = serde_json::to_vec(&policy["spec"]["settings"]).unwrap();
    Settings::from_json(&settings).expect("policy.yaml settings");
    let excluded = &policy["spec"]["namespaceSelector"]["matchExpressions"][0]["values"];
    assert_eq!(excluded, &serde_json::json!(["kube-system"]));
}

#[test]
fn the_fixing_policy_may_mutate() {
    let metadata = yaml("metadata.yml");
    let policy = yaml("policy.yaml");
    let fixing = yaml("policy-add-missing.yaml");
    assert_eq!(fixing["kind"], "ClusterAdmissionPolicy");
    assert_eq!(fixing["spec"]["module"], policy["spec"]["module"]);
    assert_eq!(fixing["spec"]["rules"], metadata["rules"]);
    // The policy server refuses a mutation from a policy that may not mutate.
    assert_eq!(fixing["spec"]["mutating"], true);
    assert_eq!(fixing["spec"]["settings"]["addMissingPullSecrets"], true);
    let settings = serde_json::to_vec(&fixing["spec"]["settings"]).unwrap();
    Settings::from_json(&settings).expect("policy-add-missing.yaml settings");
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
        serde_json::json!([
            "kubernetes/get_resource",
            "kubernetes/list_resources_by_namespace"
        ])
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

// `kwctl scaffold artifacthub` turns metadata.yml into artifacthub-pkg.yml at release time; a
// metadata.yml it refuses breaks the release after the module is pushed, and an
// artifacthub-pkg.yml that differs from what it writes is silently replaced. The tests below
// hold both files to kwctl's rules.

#[test]
fn author_is_a_list_of_names_and_emails_kwctl_accepts() {
    let metadata = yaml("metadata.yml");
    let author = metadata["annotations"]["io.kubewarden.policy.author"]
        .as_str()
        .expect("io.kubewarden.policy.author");
    let maintainers = kwctl_maintainers(author).unwrap_or_else(|e| {
        panic!("kwctl refuses io.kubewarden.policy.author {author:?}: {e:?}; write it as `Name <email>`, several separated by commas")
    });
    assert!(!maintainers.is_empty());
    for maintainer in &maintainers {
        // kwctl accepts a bare `<email>`, but Artifact Hub would show a maintainer without a name.
        assert!(!maintainer.name.trim().is_empty(), "{maintainer:?}");
    }
}

#[test]
fn artifacthub_maintainers_are_the_author_as_kwctl_reads_it() {
    let metadata = yaml("metadata.yml");
    let hub = yaml("artifacthub-pkg.yml");
    let author = metadata["annotations"]["io.kubewarden.policy.author"]
        .as_str()
        .unwrap();
    let maintainers: Vec<Maintainer> =
        serde_json::from_value(hub["maintainers"].clone()).expect("maintainers: [{name, email}]");
    assert_eq!(Ok(maintainers), kwctl_maintainers(author));
}

#[test]
fn author_rules_are_kwctl_rules() {
    let ok = |author: &str, expected: &[(&str, &str)]| {
        let expected: Vec<Maintainer> = expected
            .iter()
            .map(|(name, email)| Maintainer {
                name: name.to_string(),
                email: email.to_string(),
            })
            .collect();
        assert_eq!(kwctl_maintainers(author), Ok(expected), "{author:?}");
    };
    let not_a_list = |author: &str| {
        assert_eq!(
            kwctl_maintainers(author),
            Err(AuthorError::NotNameEmailList),
            "{author:?}"
        )
    };
    let bad_email = |author: &str| {
        assert!(
            matches!(
                kwctl_maintainers(author),
                Err(AuthorError::MalformedEmail(_))
            ),
            "{author:?}"
        )
    };

    // The value kwctl refused, with its error.
    not_a_list("image-pull-secrets developers");
    ok(
        "Image Pull Secrets Maintainers <maintainers@image-pull-secrets.io>",
        &[(
            "Image Pull Secrets Maintainers",
            "maintainers@image-pull-secrets.io",
        )],
    );
    // The cases of kwctl's own tests of this parse.
    ok(
        "Tux Tuxedo <tux@example.com>, Pidgin <pidgin@example.com>",
        &[
            ("Tux Tuxedo", "tux@example.com"),
            ("Pidgin", "pidgin@example.com"),
        ],
    );
    not_a_list("");
    ok(
        "Foo <foo@example.com>,,Bar <bar@example.com>",
        &[("Foo", "foo@example.com"), ("Bar", "bar@example.com")],
    );
    bad_email("Foo missing@chevrons.com, Bar <bar@example.com>");
    bad_email("Bar <#$%#$%>");
    // RFC 5322 forms the parse understands.
    ok(
        "\"Doe, Jane\" <jane@example.com>",
        &[("Doe, Jane", "jane@example.com")],
    );
    ok("jane@example.com (Jane)", &[("Jane", "jane@example.com")]);
    ok(
        "<jane@example.com>, Bob <bob@example.com>",
        &[("", "jane@example.com"), ("Bob", "bob@example.com")],
    );
    not_a_list("Jane <jane@example.com");
    not_a_list("team: Jane <jane@example.com>;");
    bad_email("Jane <jane@example..com>");
    // kwctl parses a one-line `To:` header, so a bare address at the very end is lost.
    ok(
        "Jane <jane@example.com>, bob@example.com",
        &[("Jane", "jane@example.com")],
    );
    not_a_list("jane@example.com");
    // What this check does not reproduce, it refuses rather than guesses.
    assert!(matches!(
        kwctl_maintainers("=?utf-8?q?J=C3=BCrgen?= <j@example.com>"),
        Err(AuthorError::Unchecked(_))
    ));
}

/// The comment kwctl writes above the YAML.
const KWCTL_HEADER: &str = "# Kubewarden Artifacthub Package config
#
# Use this config to submit the policy to https://artifacthub.io.
#
# This config can be saved to its default location with:
#   kwctl scaffold artifacthub > artifacthub-pkg.yml ";

/// The fields of kwctl's `ArtifactHubPkg`, in the order it writes them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactHubPkg {
    version: String,
    name: String,
    display_name: String,
    created_at: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<String>,
    #[serde(rename = "homeURL", skip_serializing_if = "Option::is_none")]
    home_url: Option<String>,
    containers_images: Vec<ContainerImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keywords: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Vec<Link>>,
    install: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintainers: Option<Vec<Maintainer>>,
    provider: Provider,
    recommendations: Vec<Recommendation>,
    annotations: std::collections::BTreeMap<String, String>,
}

#[derive(serde::Serialize)]
struct ContainerImage {
    name: &'static str,
    image: String,
}

#[derive(serde::Serialize)]
struct Link {
    name: &'static str,
    url: String,
}

#[derive(serde::Serialize)]
struct Provider {
    name: &'static str,
}

#[derive(serde::Serialize)]
struct Recommendation {
    url: &'static str,
}

/// kwctl's `ContextAwareResource`.
#[derive(PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextAwareResource {
    api_version: String,
    kind: String,
}

/// kwctl's `Rule`: its fields in this order, whatever order metadata.yml uses.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    api_groups: Vec<String>,
    api_versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
}

/// kwctl writes YAML with the serde_yaml lineage's emitter (`yaml_serde`), as serde_norway
/// does; the expected text is a `kubewarden/rules` value from a file kwctl wrote.
#[test]
fn yaml_is_written_as_kwctl_writes_it() {
    let rules = vec![Rule {
        api_groups: vec!["".into()],
        api_versions: vec!["v1".into()],
        resources: vec!["pods".into()],
        operations: vec!["CREATE".into(), "UPDATE".into()],
    }];
    assert_eq!(
        serde_norway::to_string(&rules).unwrap(),
        "- apiGroups:\n  - ''\n  apiVersions:\n  - v1\n  resources:\n  - pods\n  operations:\n  - CREATE\n  - UPDATE\n"
    );
}

/// What `kwctl scaffold artifacthub` writes for metadata.yml and questions-ui.yml, stamped
/// with `created_at` (kwctl writes the time it runs).
fn kwctl_artifacthub_pkg(created_at: &str) -> String {
    let metadata = yaml("metadata.yml");
    let a = metadata["annotations"].as_object().expect("annotations");
    let annotation = |key: &str| a.get(key).map(|v| v.as_str().expect(key).to_string());
    let required = |key: &str| annotation(key).unwrap_or_else(|| panic!("kwctl requires {key}"));

    let version = required("io.kubewarden.policy.version");
    let oci_url = required("io.kubewarden.policy.ociUrl");
    // kwctl normalises it as an OCI reference; a registry host with a dot, a lower-case path
    // and no tag or digest come out unchanged.
    let (host, path) = oci_url.split_once('/').expect("ociUrl: host/path");
    assert!(
        host.contains('.')
            && path
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c)),
        "{oci_url}"
    );
    let image = format!("{oci_url}:v{version}");

    // kwctl parses it as a URL; this form is one the URL parser leaves as it is.
    let url_as_kwctl_writes = |url: String| {
        let rest = url.strip_prefix("https://").expect("an https URL");
        assert!(
            rest.split('/').count() >= 2
                && rest.split('/').all(|s| !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))),
            "{url}"
        );
        url
    };
    let links = annotation("io.kubewarden.policy.source")
        .map(url_as_kwctl_writes)
        .map(|source| {
            // kwctl links the release asset only for sources on GitHub.
            assert!(source.starts_with("https://github.com/"), "{source}");
            // With `com.github.release.tag` kwctl links that tag's asset instead; not used here.
            assert!(annotation("com.github.release.tag").is_none());
            vec![
                Link {
                    name: "policy",
                    url: format!("{source}/releases/download/v{version}/policy.wasm"),
                },
                Link {
                    name: "source",
                    url: source,
                },
            ]
        });
    let keywords = annotation("io.artifacthub.keywords").map(|csv| {
        let keywords: Vec<String> = csv
            .split(',')
            .map(|k| k.trim_matches(' ').to_string())
            .collect();
        assert!(
            keywords.iter().all(|k| !k.is_empty()),
            "kwctl refuses {csv:?}"
        );
        keywords
    });
    let maintainers = annotation("io.kubewarden.policy.author")
        .map(|author| kwctl_maintainers(&author).expect("kwctl accepts the author"));

    let mut annotations = std::collections::BTreeMap::new();
    annotations.insert(
        "kubewarden/mutation".to_string(),
        metadata["mutating"]
            .as_bool()
            .expect("mutating")
            .to_string(),
    );
    // kwctl keeps them in a set, ordered by apiVersion then kind (as kubewarden's
    // unique-ingress-policy shows it writing them), and leaves the annotation out when empty.
    let mut context_aware: Vec<ContextAwareResource> = metadata
        .get("contextAwareResources")
        .map(|r| serde_json::from_value(r.clone()).expect("contextAwareResources"))
        .unwrap_or_default();
    context_aware.sort_by(|a, b| (&a.api_version, &a.kind).cmp(&(&b.api_version, &b.kind)));
    context_aware.dedup();
    if !context_aware.is_empty() {
        annotations.insert(
            "kubewarden/contextAwareResources".to_string(),
            serde_norway::to_string(&context_aware).unwrap(),
        );
    }
    let rules: Vec<Rule> = serde_json::from_value(metadata["rules"].clone()).expect("rules");
    annotations.insert(
        "kubewarden/rules".to_string(),
        serde_norway::to_string(&rules).unwrap(),
    );
    // kwctl reads questions-ui.yml from the working directory and embeds it as it is.
    let questions =
        std::fs::read_to_string(format!("{}/questions-ui.yml", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    assert!(
        !questions.is_empty(),
        "kwctl refuses an empty questions-ui.yml"
    );
    annotations.insert("kubewarden/questions-ui".to_string(), questions);
    if let Some(hidden) = annotation("io.kubewarden.hidden-ui") {
        let hidden: bool = hidden
            .parse()
            .expect("io.kubewarden.hidden-ui: true or false");
        annotations.insert("kubewarden/hidden-ui".to_string(), hidden.to_string());
    }
    if let Some(resources) = annotation("io.artifacthub.resources") {
        annotations.insert("kubewarden/resources".to_string(), resources);
    }

    let pkg = ArtifactHubPkg {
        install: format!(
            "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n\
             ```console\nkwctl pull {image}\n```\n\
             Then, generate the policy manifest and tune it to your liking. For example:\n\
             ```console\nkwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n```\n"
        ),
        version,
        name: required("io.kubewarden.policy.title"),
        display_name: required("io.artifacthub.displayName"),
        created_at: created_at.to_string(),
        description: required("io.kubewarden.policy.description"),
        license: annotation("io.kubewarden.policy.license"),
        home_url: annotation("io.kubewarden.policy.url").map(url_as_kwctl_writes),
        containers_images: vec![ContainerImage {
            name: "policy",
            image,
        }],
        keywords,
        links,
        maintainers,
        provider: Provider { name: "kubewarden" },
        recommendations: vec![Recommendation {
            url: "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller",
        }],
        annotations,
    };
    format!("{KWCTL_HEADER}\n{}", serde_norway::to_string(&pkg).unwrap())
}

/// kwctl writes `createdAt` as RFC 3339 in UTC, with up to nine digits of fraction.
fn is_kwctl_timestamp(t: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let Some((date, time)) = t.strip_suffix('Z').and_then(|t| t.split_once('T')) else {
        return false;
    };
    let (time, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let date: Vec<&str> = date.split('-').collect();
    let time: Vec<&str> = time.split(':').collect();
    date.len() == 3
        && digits(date[0], 4)
        && digits(date[1], 2)
        && digits(date[2], 2)
        && time.len() == 3
        && time.iter().all(|p| digits(p, 2))
        && (1..=9).contains(&fraction.len())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn artifacthub_pkg_is_what_kwctl_scaffold_writes() {
    let path = format!("{}/artifacthub-pkg.yml", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(&path).unwrap();
    let created_at = yaml("artifacthub-pkg.yml")["createdAt"]
        .as_str()
        .expect("createdAt")
        .to_string();
    assert!(is_kwctl_timestamp(&created_at), "createdAt: {created_at}");
    let expected = kwctl_artifacthub_pkg(&created_at);
    // Without kwctl, `ARTIFACTHUB_PKG_WRITE=1 cargo test --test metadata` writes what it would.
    if std::env::var_os("ARTIFACTHUB_PKG_WRITE").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    if committed != expected {
        let line = committed
            .lines()
            .zip(expected.lines())
            .position(|(c, e)| c != e)
            .unwrap_or(committed.lines().count().min(expected.lines().count()));
        panic!(
            "artifacthub-pkg.yml is not what kwctl writes, from line {}:\n  committed: {:?}\n  kwctl:     {:?}\n\
             (regenerate it with `make artifacthub-pkg.yml`)",
            line + 1,
            committed.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}

#[test]
fn timestamps_are_checked_as_kwctl_writes_them() {
    assert!(is_kwctl_timestamp("2026-06-12T14:56:09.935497729Z"));
    assert!(is_kwctl_timestamp("2026-06-12T14:56:09Z"));
    assert!(!is_kwctl_timestamp("2026-06-12T14:56:09+00:00"));
    assert!(!is_kwctl_timestamp("2026-06-12"));
}

#[test]
fn artifacthub_repository_owners_are_the_maintainers() {
    let repo = yaml("artifacthub-repo.yml");
    let hub = yaml("artifacthub-pkg.yml");
    assert_eq!(repo["owners"], hub["maintainers"]);
}

// The release runs only on GitHub, from a tag: what it would get wrong has to be caught here.

#[test]
fn release_pushes_to_the_metadata_oci_url_once_the_tag_is_checked() {
    let release = yaml(".github/workflows/release.yml");
    let metadata = yaml("metadata.yml");
    let job = &release["jobs"]["release"];
    let uses = job["uses"].as_str().unwrap();
    assert!(
        uses.starts_with(
            "kubewarden/github-actions/.github/workflows/reusable-release-policy-rust.yml@"
        ),
        "{uses}"
    );
    assert_eq!(
        job["with"]["oci-target"],
        metadata["annotations"]["io.kubewarden.policy.ociUrl"]
    );
    // The job that regenerates artifacthub-pkg.yml for the artifacthub branch.
    assert_eq!(job["with"]["artifacthub"], true);
    let needs = job["needs"].as_array().unwrap();
    for check in ["test", "check-release-tag"] {
        assert!(
            needs.contains(&check.into()),
            "release does not wait for {check}"
        );
    }
    let step = &release["jobs"]["check-release-tag"]["steps"][1];
    assert_eq!(step["run"], "make check-release-tag");
    assert_eq!(step["env"]["TAG"], "${{ github.ref_name }}");
}

/// `uses:` references in the workflows, as `(action, commit, release tag)`.
fn workflow_actions() -> Vec<(String, String, String)> {
    let mut actions = Vec::new();
    for file in ["test.yml", "release.yml"] {
        let path = format!("{}/.github/workflows/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim().trim_start_matches("- ");
            let Some(reference) = line.strip_prefix("uses: ") else {
                continue;
            };
            let (action, pin) = reference
                .split_once('@')
                .unwrap_or_else(|| panic!("{file}: {line}"));
            let (commit, tag) = pin.split_once(" # ").unwrap_or_else(|| {
                panic!("{file}: {line}: pin a commit, with its tag as a comment")
            });
            actions.push((action.to_string(), commit.to_string(), tag.to_string()));
        }
    }
    actions
}

#[test]
fn workflows_pin_actions_to_released_commits() {
    let actions = workflow_actions();
    assert!(!actions.is_empty());
    for (action, commit, tag) in &actions {
        // A tag can be moved; the commit it named when the workflow was written cannot.
        assert!(
            commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{action}@{commit}"
        );
        let version = tag.strip_prefix('v').unwrap_or("");
        assert!(
            version.split('.').count() == 3
                && version
                    .split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
            "{action}: {tag} is not a release tag"
        );
    }
    // The reusable workflows of one release are made to work together.
    let kubewarden: std::collections::BTreeSet<_> = actions
        .iter()
        .filter(|(action, ..)| action.starts_with("kubewarden/github-actions/"))
        .map(|(_, commit, tag)| (commit, tag))
        .collect();
    assert_eq!(kubewarden.len(), 1, "{kubewarden:?}");
}

/// One entry of `maintainers` in `artifacthub-pkg.yml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Maintainer {
    name: String,
    email: String,
}

#[derive(Debug, PartialEq, Eq)]
enum AuthorError {
    /// kwctl: `must be csv values of "name <email>"`.
    NotNameEmailList,
    /// kwctl: `must be a well formed email`.
    MalformedEmail(String),
    /// A value this check cannot judge exactly as kwctl would.
    Unchecked(&'static str),
}

/// The maintainers `kwctl scaffold artifacthub` derives from `io.kubewarden.policy.author`, or
/// the error that makes it refuse the metadata.
///
/// kwctl hands `To: <author>` to the `mail-parser` crate and validates each address with the
/// `email_address` crate; the rules below are those crates' rules, quirks included, so that
/// this test accepts what kwctl accepts and reads it the same way. What they are not
/// reproduced for is refused rather than guessed: RFC 2047 encoded words (`=?charset?...?=`),
/// control characters (a line break would end kwctl's `To:` header), and address groups.
fn kwctl_maintainers(author: &str) -> Result<Vec<Maintainer>, AuthorError> {
    if author.contains("=?") {
        return Err(AuthorError::Unchecked(
            "RFC 2047 encoded words: write the name in plain UTF-8",
        ));
    }
    if author.chars().any(|c| c.is_control() && c != '\t') {
        return Err(AuthorError::Unchecked("control characters"));
    }
    let addresses = match parse_address_list(author) {
        AddressList::Empty => return Err(AuthorError::NotNameEmailList),
        // `team: a <a@x.io>;`: not a list of people, whatever kwctl would make of it.
        AddressList::Group => return Err(AuthorError::NotNameEmailList),
        AddressList::List(addresses) => addresses,
    };
    addresses
        .into_iter()
        .map(|address| {
            let email = address.address.ok_or(AuthorError::NotNameEmailList)?;
            email_is_well_formed(&email).map_err(|e| AuthorError::MalformedEmail(e.into()))?;
            Ok(Maintainer {
                name: address.name.unwrap_or_default(),
                email,
            })
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
struct Address {
    name: Option<String>,
    address: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum AddressList {
    Empty,
    List(Vec<Address>),
    Group,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Name,
    Address,
    Quote,
    Comment,
}

/// mail-parser's reading of an address header, for the value of kwctl's one-line `To:` header.
/// A token still open when the value ends is dropped, as mail-parser drops it when no line
/// break follows: `A <a@x.io>, b@x.io` lists only A.
struct AddressParser<'a> {
    text: &'a [u8],
    /// Byte range of the token being read.
    token: Option<(usize, usize)>,
    token_is_email: bool,
    escaped: bool,
    name: Vec<String>,
    mail: Vec<String>,
    comment: Vec<String>,
    state: State,
    outer: Vec<State>,
    addresses: Vec<Address>,
    grouped: bool,
}

fn parse_address_list(value: &str) -> AddressList {
    let mut p = AddressParser {
        text: value.as_bytes(),
        token: None,
        token_is_email: false,
        escaped: false,
        name: Vec::new(),
        mail: Vec::new(),
        comment: Vec::new(),
        state: State::Name,
        outer: Vec::new(),
        addresses: Vec::new(),
        grouped: false,
    };
    for (i, &c) in value.as_bytes().iter().enumerate() {
        match c {
            b'\\' if p.state != State::Name && !p.escaped => {
                if let Some(token) = &mut p.token {
                    if p.state == State::Quote {
                        token.1 = i;
                    }
                    p.end_token();
                }
                p.escaped = true;
                continue;
            }
            b',' if p.state == State::Name => {
                p.end_token();
                p.end_address();
                continue;
            }
            b'<' if p.state == State::Name => {
                p.token_is_email = false;
                p.end_token();
                p.outer.push(State::Name);
                p.state = State::Address;
                continue;
            }
            b'>' if p.state == State::Address => {
                p.end_token();
                p.state = p.outer.pop().unwrap();
                continue;
            }
            b'"' if !p.escaped && p.state == State::Name => {
                p.outer.push(State::Name);
                // The open token joins the name with no space before it.
                p.state = State::Quote;
                p.end_token();
                continue;
            }
            b'"' if !p.escaped && p.state == State::Quote => {
                p.end_token();
                p.state = p.outer.pop().unwrap();
                continue;
            }
            b'@' if p.state == State::Name => p.token_is_email = true,
            b' ' | b'\t' => {
                p.escaped = false;
                if p.state == State::Quote {
                    p.extend_token(i);
                }
                continue;
            }
            b'(' if p.state != State::Quote && !p.escaped => {
                p.outer.push(p.state);
                if p.state != State::Comment {
                    p.end_token();
                    p.state = State::Comment;
                    continue;
                }
            }
            b')' if p.state == State::Comment && !p.escaped => {
                let outer = p.outer.pop().unwrap();
                if outer != State::Comment {
                    p.end_token();
                    p.state = outer;
                    continue;
                }
            }
            b':' if p.state == State::Name && !p.escaped => {
                p.end_group();
                p.end_token();
                if !p.name.is_empty() || !p.mail.is_empty() {
                    p.grouped = true;
                }
                p.name.clear();
                p.mail.clear();
                p.comment.clear();
                continue;
            }
            b';' if p.state == State::Name => {
                p.end_token();
                p.end_address();
                p.end_group();
                continue;
            }
            _ => {}
        }
        p.escaped = false;
        p.extend_token(i);
    }
    p.end_address();
    if p.grouped {
        AddressList::Group
    } else if p.addresses.is_empty() {
        AddressList::Empty
    } else {
        AddressList::List(p.addresses)
    }
}

impl AddressParser<'_> {
    fn extend_token(&mut self, i: usize) {
        match &mut self.token {
            Some(token) => token.1 = i + 1,
            None => self.token = Some((i, i + 1)),
        }
    }

    fn end_token(&mut self) {
        let Some((start, end)) = self.token.take() else {
            return;
        };
        let token = String::from_utf8_lossy(&self.text[start..end]).into_owned();
        let (list, spaced) = match self.state {
            State::Address => (&mut self.mail, false),
            State::Name if self.token_is_email => (&mut self.mail, false),
            State::Name => (&mut self.name, true),
            State::Quote => (&mut self.name, false),
            State::Comment => (&mut self.comment, true),
        };
        if spaced && !list.is_empty() {
            list.push(" ".into());
        }
        list.push(token);
        self.token_is_email = false;
        self.escaped = false;
    }

    fn end_address(&mut self) {
        let name = (!self.name.is_empty()).then(|| self.name.drain(..).collect::<String>());
        let mail = (!self.mail.is_empty()).then(|| self.mail.drain(..).collect::<String>());
        let comment =
            (!self.comment.is_empty()).then(|| self.comment.drain(..).collect::<String>());
        let address = match (name, mail, comment) {
            (Some(n), Some(m), Some(c)) => Address {
                name: Some(format!("{n} ({c})")),
                address: Some(m),
            },
            (name @ Some(_), address @ Some(_), None) => Address { name, address },
            (None, address @ Some(_), name @ Some(_)) => Address { name, address },
            (None, address @ Some(_), None) => Address {
                name: None,
                address,
            },
            // A single word beside a comment is read as the address: `a@x.io (A)`.
            (Some(n), None, Some(c)) if !n.chars().any(char::is_whitespace) => Address {
                name: Some(c),
                address: Some(n),
            },
            (Some(n), None, Some(c)) => Address {
                name: Some(format!("{n} ({c})")),
                address: None,
            },
            (name @ Some(_), None, None) | (None, None, name @ Some(_)) => Address {
                name,
                address: None,
            },
            (None, None, None) => return,
        };
        self.addresses.push(address);
    }

    fn end_group(&mut self) {
        if !self.addresses.is_empty() {
            self.grouped = true;
            self.addresses.clear();
        }
    }
}

/// `email_address::EmailAddress::from_str` with its default options, as kwctl calls it.
fn email_is_well_formed(address: &str) -> Result<(), &'static str> {
    let (display, email) = match display_separator(address) {
        None => ("", address),
        Some(at) => {
            let right = address[at + 2..].trim();
            let email = right.strip_suffix('>').ok_or("missing end bracket")?;
            (address[..at].trim(), email)
        }
    };
    let (local, domain) = email.rsplit_once('@').ok_or("missing separator")?;
    if display.is_empty() && local.starts_with('<') {
        return Err("missing display name");
    }
    if local.is_empty() {
        return Err("local part is empty");
    }
    if local.len() > 64 {
        return Err("local part is too long");
    }
    if local.starts_with('"') && local.ends_with('"') {
        if local.len() <= 2 || !is_quoted_content(&local[1..local.len() - 1]) {
            return Err("invalid quoted local part");
        }
    } else if !local.split('.').all(is_atom) {
        return Err("invalid character in local part");
    }
    if domain.is_empty() {
        return Err("domain is empty");
    }
    if domain.len() > 254 {
        return Err("domain is too long");
    }
    if domain.starts_with('[') && domain.ends_with(']') {
        let literal = &domain[1..domain.len() - 1];
        if literal
            .chars()
            .all(|c| matches!(c, '\x21'..='\x5A' | '\x5E'..='\x7E') || !c.is_ascii())
        {
            return Ok(());
        }
        return Err("invalid domain literal");
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("empty domain label");
        }
        if !label.starts_with(char::is_alphanumeric) || !label.ends_with(char::is_alphanumeric) {
            return Err("domain label must start and end with a letter or digit");
        }
        if label.len() > 63 {
            return Err("domain label is too long");
        }
        if !is_atom(label) {
            return Err("invalid character in domain");
        }
    }
    Ok(())
}

/// Where `Name <address>` splits: the last ` <` outside double quotes.
fn display_separator(text: &str) -> Option<usize> {
    let (mut in_quote, mut escaped, mut separator) = (false, false, None);
    for (i, c) in text.char_indices() {
        if !in_quote && text[i..].starts_with(" <") {
            separator = Some(i);
        }
        if escaped {
            escaped = false;
        } else if in_quote && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quote = !in_quote;
        }
    }
    separator
}

fn is_atom(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii())
}

fn is_quoted_content(s: &str) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            matches!(chars.next(), Some('\x21'..='\x7E'))
        } else {
            matches!(c, ' ' | '\t' | '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E') || !c.is_ascii()
        };
        if !ok {
            return false;
        }
    }
    true
}
