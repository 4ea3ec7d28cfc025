//! The opt-in fix (`addMissingPullSecrets`): a pod spec whose only problems are images whose
//! registry needs a pull secret that the Pods do not reference gets the secret added to its
//! `imagePullSecrets`, instead of a rejection. Everything else still rejects, with no partial
//! change.
//!
//! The plan is made from the review's findings, without the object; only a fixable request
//! pays for reading the whole object as a `serde_json::Value` to change it.

use super::check::{At, PodProblem, PodReview};
use crate::cluster::Cluster;
use crate::json;
use crate::kubelet::keyring::{Keyring, PulledSecret};
use crate::kubelet::lookups::{Source, fetch_pull_secret};
use crate::kubelet::reference::ImageRef;
use crate::request::WorkloadKind;
use crate::settings::{PullSecrets, Registry};
use crate::when::UnixTime;

/// What the fix adds, and to which list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan<'r> {
    pub(crate) base: Base<'r>,
    /// In the order the kubelet starts the containers that need them; each secret once.
    pub(crate) additions: Vec<Addition<'r>>,
}

/// The list the additions go after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base<'r> {
    /// The pod spec's own `imagePullSecrets`, kept as they are.
    Own,
    /// A template that listed none, whose Pods got the secrets of this ServiceAccount: the new
    /// list starts with them (read by the cluster lookups), so that the Pods keep them.
    ServiceAccount {
        name: &'r str,
        secrets: Vec<&'r str>,
    },
    /// A template that listed none, without cluster lookups: its own list replaces the
    /// `default` ServiceAccount's in its Pods, which the policy cannot see.
    ReplacesDefault,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addition<'r> {
    pub(crate) secret: &'r str,
    pub(crate) registry: &'r Registry,
    pub(crate) containers: Vec<At<'r>>,
}

/// The fix for `review`, or `None` when the review's findings are not all fixable (then it
/// rejects as it would without the fix). With cluster lookups, a secret is added only if it
/// exists in the namespace and serves the image; `cluster` is asked for the registry's
/// declared secrets the Pods do not reference yet.
pub(crate) fn plan<'r>(review: &PodReview<'r>, cluster: &dyn Cluster) -> Option<Plan<'r>> {
    let subject = review.subject;
    // A Pod's imagePullSecrets cannot change once it exists (nor through kubectl debug).
    if !(subject.kind.is_template() || subject.is_create()) {
        return None;
    }
    if !review.secret_problems.is_empty() || review.problems.is_empty() {
        return None;
    }
    let base = base(review)?;
    let namespace = subject.namespace;
    let mut fetched: Vec<PulledSecret> = Vec::new();
    let mut additions: Vec<Addition<'r>> = Vec::new();
    for problem in &review.problems {
        let PodProblem::MissingSecret { at, registry, .. } = problem else {
            return None;
        };
        let PullSecrets::OneOf(names) = registry.pull_secrets() else {
            return None;
        };
        let secret = match (review.lookups, namespace) {
            (None, _) => names.first()?.as_str(),
            (Some(_), Some(namespace)) => {
                let image = ImageRef::parse(at.image).ok()?;
                names.iter().map(String::as_str).find(|name| {
                    serves(cluster, namespace, name, &image, review.now, &mut fetched)
                })?
            }
            (Some(_), None) => return None,
        };
        match additions.iter_mut().find(|a| a.secret == secret) {
            Some(addition) => addition.containers.push(*at),
            None => additions.push(Addition {
                secret,
                registry,
                containers: vec![*at],
            }),
        }
    }
    Some(Plan { base, additions })
}

/// The list the additions go after, or `None` when adding would silently take pull secrets
/// away from the Pods.
fn base<'r>(review: &PodReview<'r>) -> Option<Base<'r>> {
    match review.lookups.map(|l| &l.source) {
        Some(Source::ServiceAccount { name, read: Ok(()) }) => Some(Base::ServiceAccount {
            name,
            secrets: review.pull_secrets.clone(),
        }),
        Some(Source::ServiceAccount { read: Err(_), .. }) => None,
        Some(Source::Own) => Some(Base::Own),
        None if review.subject.kind.is_template() && review.pull_secrets.is_empty() => {
            (review.spec.service_account() == "default").then_some(Base::ReplacesDefault)
        }
        None => Some(Base::Own),
    }
}

/// Whether Secret `name` exists in `namespace` and holds a key with credentials that the
/// kubelet would send for `image`, and that have not expired at `now`. Each Secret is read
/// once.
fn serves(
    cluster: &dyn Cluster,
    namespace: &str,
    name: &str,
    image: &ImageRef<'_>,
    now: UnixTime,
    fetched: &mut Vec<PulledSecret>,
) -> bool {
    let secret = match fetched.iter().position(|s| s.name == name) {
        Some(i) => fetched[i].clone(),
        None => {
            let secret = fetch_pull_secret(cluster, namespace, name);
            fetched.push(secret.clone());
            secret
        }
    };
    let keyring = Keyring {
        secrets: vec![secret],
    };
    keyring.lookup(image).iter().any(|m| m.held.works_at(now))
}

/// `object`, the whole object under review (of `kind`, as JSON text), with `plan` applied.
pub(crate) fn apply(plan: &Plan<'_>, kind: WorkloadKind, object: &str) -> Option<String> {
    let path: Vec<&str> = kind
        .pod_spec_path()
        .split('.')
        .chain(["imagePullSecrets"])
        .collect();
    json::splice::splice(object, &path, |list| {
        let mut items: Vec<String> = match list {
            Some(list) => json::splice::elements(list)?
                .iter()
                .map(|item| item.get().to_owned())
                .collect(),
            None => Vec::new(),
        };
        if let Base::ServiceAccount { secrets, .. } = &plan.base {
            items.extend(secrets.iter().map(|s| reference(s)));
        }
        items.extend(plan.additions.iter().map(|a| reference(a.secret)));
        Some(format!("[{}]", items.join(",")))
    })
}

/// `{"name":"<secret>"}`.
fn reference(secret: &str) -> String {
    // A Secret name needs no escaping, but a name from a ServiceAccount is the cluster's.
    let name = serde_json::to_string(secret).unwrap_or_else(|_| "\"\"".into());
    format!(r#"{{"name":{name}}}"#)
}

#[cfg(test)]
mod tests {
    use crate::cluster::{NoCluster, Objects, Resource};
    use crate::when::UnixTime;

    fn review(payload: &[u8], cluster: &dyn crate::cluster::Cluster) -> Verdict {
        crate::review::review(payload, cluster, UnixTime::TEST_NOW)
    }
    use crate::verdict::Verdict;
    use base64::Engine as _;
    use rstest::rstest;
    use serde_json::{Value, json};

    const REGISTRIES: &str = r#"[
        {"registry":"private.registry.com","pullSecrets":["regcred","regcred-ro"]},
        {"registry":"gcr.io","pullSecrets":["gcr-creds"]},
        {"registry":"registry.local:5000","pullSecrets":["*"]}]"#;

    fn settings(lookups: bool) -> Value {
        let registries: Value = serde_json::from_str(REGISTRIES).unwrap();
        let registries = if lookups {
            registries
        } else {
            Value::Array(registries.as_array().unwrap()[..2].to_vec())
        };
        json!({"addMissingPullSecrets": true, "clusterLookups": lookups, "registries": registries})
    }

    fn pod_spec(images: &[(&str, &str)], secrets: Option<&[&str]>) -> Value {
        let mut spec = json!({
            "initContainers": images.iter().filter(|(n, _)| n.starts_with("init")).map(|(n, i)| json!({"name": n, "image": i})).collect::<Vec<_>>(),
            "containers": images.iter().filter(|(n, _)| !n.starts_with("init")).map(|(n, i)| json!({"name": n, "image": i})).collect::<Vec<_>>(),
        });
        if let Some(secrets) = secrets {
            spec["imagePullSecrets"] = secrets.iter().map(|s| json!({"name": s})).collect();
        }
        spec
    }

    fn object(kind: &str, spec: Value) -> Value {
        let body = match kind {
            "Pod" => spec,
            "CronJob" => json!({"jobTemplate": {"spec": {"template": {"spec": spec}}}}),
            _ => json!({"template": {"spec": spec}}),
        };
        json!({"metadata": {"name": "x", "namespace": "team-a"}, "spec": body})
    }

    fn payload(kind: &str, operation: &str, object: &Value, settings: &Value) -> Vec<u8> {
        let group = match kind {
            "Pod" | "ReplicationController" => "",
            "Job" | "CronJob" => "batch",
            _ => "apps",
        };
        let old = if operation == "UPDATE" {
            object.clone()
        } else {
            Value::Null
        };
        json!({"request": {"uid": "u", "kind": {"group": group, "version": "v1", "kind": kind},
            "operation": operation, "namespace": "team-a", "object": object, "oldObject": old},
            "settings": settings})
        .to_string()
        .into_bytes()
    }

    fn run(
        kind: &str,
        operation: &str,
        object: &Value,
        settings: &Value,
        cluster: &dyn crate::cluster::Cluster,
    ) -> Verdict {
        review(&payload(kind, operation, object, settings), cluster)
    }

    fn value(object: &crate::verdict::ChangedObject) -> Value {
        serde_json::from_str(object.json()).unwrap()
    }

    /// The pod spec inside a changed object.
    fn secrets_of(kind: &str, object: &Value) -> Vec<String> {
        let spec = match kind {
            "Pod" => &object["spec"],
            "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &object["spec"]["template"]["spec"],
        };
        spec["imagePullSecrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn cluster() -> Objects {
        let secret = |auths: &str| {
            let content =
                base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"auths":{auths}}}"#));
            format!(r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{content}"}}}}"#).into_bytes()
        };
        let mut objects = Objects::new();
        objects.insert(
            Resource::Secret,
            "team-a",
            "regcred-ro",
            secret(r#"{"private.registry.com":{"auth":"dTpw"}}"#),
        );
        objects.insert(
            Resource::Secret,
            "team-a",
            "gcr-creds",
            secret(r#"{"gcr.io":{"auth":"dTpw"}}"#),
        );
        objects.insert(
            Resource::Secret,
            "team-a",
            "old",
            secret(r#"{"quay.io":{"auth":"dTpw"}}"#),
        );
        objects.insert(
            Resource::ServiceAccount,
            "team-a",
            "builder",
            br#"{"imagePullSecrets":[{"name":"old"}]}"#.to_vec(),
        );
        objects
    }

    #[rstest]
    fn every_kind_gets_the_first_declared_secret(
        #[values(
            "Pod",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "ReplicationController"
        )]
        kind: &str,
    ) {
        let obj = object(
            kind,
            pod_spec(&[("app", "private.registry.com/app:1")], Some(&["other"])),
        );
        let v = run(kind, "CREATE", &obj, &settings(false), &NoCluster);
        let Verdict::Mutate { object, warnings } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(secrets_of(kind, &value(object)), ["other", "regcred"]);
        assert_eq!(
            warnings,
            &[r#"added imagePullSecrets "regcred" for container "app" (private.registry.com)"#]
        );
        // Idempotent: the changed object is accepted unchanged.
        assert_eq!(
            run(kind, "CREATE", &value(object), &settings(false), &NoCluster),
            Verdict::accept()
        );
    }

    #[test]
    fn additions_in_start_order_each_once() {
        let spec = pod_spec(
            &[
                ("app", "gcr.io/p/a"),
                ("init-db", "private.registry.com/db"),
                ("web", "private.registry.com/web"),
                ("side", "nginx"),
            ],
            Some(&[]),
        );
        let obj = object("Pod", spec);
        let v = run("Pod", "CREATE", &obj, &settings(false), &NoCluster);
        let Verdict::Mutate { object, warnings } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(secrets_of("Pod", &value(object)), ["regcred", "gcr-creds"]);
        assert_eq!(
            warnings[0],
            r#"added imagePullSecrets "regcred" for init container "init-db", container "web" (private.registry.com)"#
        );
        // Deterministic: the same request gives the same object.
        assert_eq!(run("Pod", "CREATE", &obj, &settings(false), &NoCluster), v);
    }

    #[test]
    fn a_template_relying_on_the_default_service_account_is_told() {
        let obj = object("Deployment", pod_spec(&[("app", "gcr.io/p/a")], None));
        let v = run("Deployment", "CREATE", &obj, &settings(false), &NoCluster);
        let Verdict::Mutate { object, warnings } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(secrets_of("Deployment", &value(object)), ["gcr-creds"]);
        assert!(warnings[0].ends_with(r#"; the Pods no longer get the pull secrets of ServiceAccount "default", if it has any: a pod template's own imagePullSecrets replace them"#), "{warnings:?}");
    }

    #[test]
    fn a_template_relying_on_another_service_account_is_rejected_naming_it() {
        let mut spec = pod_spec(&[("app", "gcr.io/p/a")], None);
        spec["serviceAccountName"] = json!("builder");
        let v = run(
            "Deployment",
            "CREATE",
            &object("Deployment", spec),
            &settings(false),
            &NoCluster,
        );
        assert!(v.expect_rejected().contains(r#"ServiceAccount "builder""#));
    }

    #[test]
    fn with_lookups_the_service_accounts_list_comes_first() {
        let mut spec = pod_spec(&[("app", "gcr.io/p/a")], None);
        spec["serviceAccountName"] = json!("builder");
        let v = run(
            "CronJob",
            "CREATE",
            &object("CronJob", spec),
            &settings(true),
            &cluster(),
        );
        let Verdict::Mutate { object, warnings } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(secrets_of("CronJob", &value(object)), ["old", "gcr-creds"]);
        assert!(
            warnings[0].contains(r#"after the pull secrets of ServiceAccount "builder" (old)"#),
            "{warnings:?}"
        );
        assert_eq!(
            run(
                "CronJob",
                "CREATE",
                &value(object),
                &settings(true),
                &cluster()
            ),
            Verdict::accept()
        );
    }

    #[test]
    fn with_lookups_the_first_declared_secret_that_exists_and_serves() {
        let obj = object(
            "Pod",
            pod_spec(&[("app", "private.registry.com/app")], Some(&[])),
        );
        let v = run("Pod", "CREATE", &obj, &settings(true), &cluster());
        let Verdict::Mutate { object, .. } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(secrets_of("Pod", &value(object)), ["regcred-ro"]);
        // None that exists: rejected as without the fix.
        let empty = Objects::new();
        let v = run("Pod", "CREATE", &obj, &settings(true), &empty);
        assert!(
            v.expect_rejected()
                .contains("needs one of the pull secrets regcred, regcred-ro")
        );
    }

    #[rstest]
    #[case::invalid_image(&[("app", "gcr.io/p/a"), ("bad", "private.registry.com/Bad")], "Pod", "CREATE")]
    #[case::any_referenced(&[("app", "registry.local:5000/a")], "Pod", "CREATE")]
    #[case::pod_update(&[("app", "gcr.io/p/a")], "Pod", "UPDATE")]
    fn what_the_fix_cannot_fix_still_rejects(
        #[case] images: &[(&str, &str)],
        #[case] kind: &str,
        #[case] operation: &str,
    ) {
        let mut obj = object(kind, pod_spec(images, Some(&[])));
        if operation == "UPDATE" {
            // A new image on an existing Pod (kubectl debug adds ephemeral containers so).
            obj["spec"]["ephemeralContainers"] = json!([{"name": "dbg", "image": "gcr.io/p/dbg"}]);
        }
        let old = object(kind, pod_spec(&[], Some(&[])));
        let mut payload: Value =
            serde_json::from_slice(&payload(kind, operation, &obj, &settings(true))).unwrap();
        payload["request"]["oldObject"] = if operation == "UPDATE" {
            old
        } else {
            Value::Null
        };
        let v = review(payload.to_string().as_bytes(), &cluster());
        assert!(!v.is_allowed(), "{v:?}");
        assert!(v.mutated_object().is_none());
    }

    /// An update of a Deployment that adds an image needing a secret, to `old` (whose images
    /// were admitted before). The fix changes the pull secrets, so the fixed object is judged
    /// with every image.
    fn update_adding_an_image(old_image: &str) -> Verdict {
        let old = object(
            "Deployment",
            pod_spec(&[("old", old_image)], Some(&["other"])),
        );
        let new = object(
            "Deployment",
            pod_spec(
                &[("old", old_image), ("app", "gcr.io/p/a")],
                Some(&["other"]),
            ),
        );
        let mut payload: Value =
            serde_json::from_slice(&payload("Deployment", "UPDATE", &new, &settings(false)))
                .unwrap();
        payload["request"]["oldObject"] = old;
        let first = review(payload.to_string().as_bytes(), &NoCluster);
        if let Some(changed) = first.mutated_object() {
            payload["request"]["object"] = value(changed);
            let again = review(payload.to_string().as_bytes(), &NoCluster);
            assert_eq!(again, Verdict::accept(), "the fixed object needs no fix");
        }
        first
    }

    #[test]
    fn an_update_is_not_fixed_into_an_object_its_old_images_fail() {
        let v = update_adding_an_image("private.registry.com/Bad");
        assert!(!v.is_allowed(), "{v:?}");
        assert!(v.mutated_object().is_none());
        // The rejection is today's: about the image the update adds.
        assert!(v.message().unwrap().contains("gcr.io/p/a"), "{v:?}");
    }

    #[test]
    fn an_update_fix_covers_the_old_images_too() {
        let v = update_adding_an_image("private.registry.com/app");
        let Verdict::Mutate { object, .. } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(
            secrets_of("Deployment", &value(object)),
            ["other", "regcred", "gcr-creds"]
        );
    }

    #[test]
    fn a_misaligned_secret_is_not_fixed() {
        let obj = object(
            "Pod",
            pod_spec(&[("app", "gcr.io/p/a")], Some(&["gcr-creds", "old"])),
        );
        let mut objects = cluster();
        objects.insert(
            Resource::Secret,
            "team-a",
            "gcr-creds",
            br#"{"type":"Opaque"}"#.to_vec(),
        );
        let v = run("Pod", "CREATE", &obj, &settings(true), &objects);
        assert!(!v.is_allowed(), "{v:?}");
    }

    #[test]
    fn the_setting_off_never_changes_an_object() {
        let obj = object("Pod", pod_spec(&[("app", "gcr.io/p/a")], Some(&[])));
        let mut off = settings(false);
        off["addMissingPullSecrets"] = json!(false);
        let v = run("Pod", "CREATE", &obj, &off, &NoCluster);
        assert!(!v.is_allowed() && v.mutated_object().is_none());
    }

    /// A dated credential in `auth` for private.registry.com, `offset` seconds from the tests'
    /// now.
    fn ecr_secret(offset: i64, seed: u64) -> Vec<u8> {
        let password = crate::kubelet::dockerconfig::fake::ecr_password(
            UnixTime::TEST_NOW.secs() + offset,
            seed,
        );
        let doc = crate::kubelet::dockerconfig::fake::dockerconfigjson(
            "private.registry.com",
            "AWS",
            &password,
        );
        let content = base64::engine::general_purpose::STANDARD.encode(doc);
        format!(r#"{{"type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{content}"}}}}"#).into_bytes()
    }

    /// The fix never adds a Secret whose only credentials for the image have expired: it takes
    /// the next declared one that works, or rejects.
    #[rstest]
    #[case::first_expired_second_valid(-3600, Some(12 * 3600), Some("regcred-ro"))]
    #[case::first_valid(12 * 3600, Some(-3600), Some("regcred"))]
    #[case::first_expiring_soon_still_works(3 * 3600, None, Some("regcred"))]
    #[case::only_expired(-2 * 86_400, None, None)]
    #[case::both_expired(-60, Some(-60), None)]
    fn the_fix_skips_expired_secrets(
        #[case] regcred: i64,
        #[case] regcred_ro: Option<i64>,
        #[case] added: Option<&str>,
    ) {
        let mut objects = Objects::new();
        objects.insert(
            Resource::Secret,
            "team-a",
            "regcred",
            ecr_secret(regcred, 1),
        );
        if let Some(offset) = regcred_ro {
            objects.insert(
                Resource::Secret,
                "team-a",
                "regcred-ro",
                ecr_secret(offset, 2),
            );
        }
        let obj = object(
            "Pod",
            pod_spec(&[("app", "private.registry.com/app")], Some(&[])),
        );
        let v = run("Pod", "CREATE", &obj, &settings(true), &objects);
        match added {
            Some(secret) => {
                let Verdict::Mutate { object, .. } = &v else {
                    panic!("{v:?}")
                };
                assert_eq!(secrets_of("Pod", &value(object)), [secret]);
            }
            None => assert!(
                v.expect_rejected()
                    .contains("needs one of the pull secrets regcred, regcred-ro"),
                "{v:?}"
            ),
        }
    }
}
