//! Who still pulls with a pull secret that a request removes: a Secret's DELETE or UPDATE, or
//! a ServiceAccount's UPDATE or DELETE that drops names from its `imagePullSecrets`.
//!
//! Pure, like the other checks: findings out, as data, which the caller words with
//! [`words`](super::words). Which image needs the Secret is the kubelet's keyring's answer
//! (`kubelet::keyring`), asked of a keyring that holds this Secret alone: the Pod's other
//! pull secrets are not read. That can over-count: another secret of the Pod may serve the
//! image too, or shadow this one's Docker Hub fallback key with a `docker.io` key of its own.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::listing::{List, item, list_kind, name, owned_by_its_template};
use crate::cluster::{Cluster, ListKind, LookupError, Resource, Uncached};
use crate::kubelet::keyring::{Keyring, PulledSecret, State};
use crate::kubelet::lookups::{fetch_pull_secret, service_account_pull_secrets};
use crate::kubelet::reference::ImageRef;
use crate::request::{AdmissionRequest, Object, WorkloadKind};
use crate::settings::{PullSecretsInUse, Settings};

/// What the request does to the pull secrets Pods use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change<'r> {
    SecretDeleted {
        secret: &'r str,
    },
    /// The Secret's content or type changed.
    SecretUpdated {
        secret: &'r str,
    },
    /// A ServiceAccount updated (or deleted) without some of its pull secrets.
    ServiceAccount {
        account: &'r str,
        deleted: bool,
    },
}

/// What the check found for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InUse<'r> {
    pub(crate) change: Change<'r>,
    pub(crate) namespace: &'r str,
    /// One per pull secret removed that something still needs.
    pub(crate) findings: Vec<Finding>,
    /// The kinds the host would not list, and why: their users are unknown.
    pub(crate) unlisted: Vec<(&'static ListKind, LookupError)>,
}

/// The users of one pull secret whose images lose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) secret: String,
    /// The registries (image domains) of the images that lose it, sorted, each once.
    pub(crate) registries: Vec<String>,
    /// The pod templates, in `WorkloadKind::ALL`'s order, then by name.
    pub(crate) templates: Vec<User>,
    /// Pods, counted: most are a controller's.
    pub(crate) pods: usize,
}

/// A pod template that pulls with the Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) kind: WorkloadKind,
    pub(crate) name: String,
    /// The ServiceAccount it gets the Secret from, when it lists no pull secrets itself.
    pub(crate) through: Option<String>,
}

/// The raw objects of the request: a Secret is read as the kubelet reads it from its JSON,
/// a ServiceAccount down to its pull secrets.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    request: RawRequest<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest<'a> {
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
}

/// Checks a Secret DELETE or UPDATE, or a ServiceAccount UPDATE or DELETE. `None` when the
/// request is none of those, the setting is `allow`, or the request removes nothing any
/// image could need (then nothing is looked up: a relabelled Secret, a rotated password, a
/// key rewritten with `https://`).
pub(crate) fn check_in_use<'r>(
    settings: &Settings,
    request: &'r AdmissionRequest<'r>,
    payload: &[u8],
    cluster: &dyn Cluster,
) -> Option<InUse<'r>> {
    let setting = settings.pull_secrets_in_use();
    if setting == PullSecretsInUse::Allow {
        return None;
    }
    let secret = match (&*request.kind.group, &*request.kind.kind) {
        ("", "Secret") => true,
        ("", "ServiceAccount") => false,
        _ => return None,
    };
    let deleted = match request.operation.as_deref() {
        Some("DELETE") => true,
        Some("UPDATE") => false,
        _ => return None,
    };
    let old = request.old_object.as_ref()?;
    let old_metadata = old.metadata.as_ref();
    // A deletecollection's requests have no `name`.
    let name = request
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(old_metadata.and_then(|m| m.name.as_deref()))?;
    let namespace = request
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(old_metadata.and_then(|m| m.namespace.as_deref()))?;
    let reject = setting == PullSecretsInUse::Reject;
    if secret {
        if !may_serve(old) {
            return None;
        }
        let raw: Payload<'_> = serde_json::from_slice(payload).ok()?;
        let before = alone(PulledSecret::read(
            name,
            raw.request.old_object?.get().as_bytes(),
        ));
        let after = match (deleted, raw.request.object) {
            (true, _) | (false, None) => Keyring::default(),
            (false, Some(new)) => alone(PulledSecret::read(name, new.get().as_bytes())),
        };
        if usable_keys(&before).is_empty() || usable_keys(&before) == usable_keys(&after) {
            return None;
        }
        let change = if deleted {
            Change::SecretDeleted { secret: name }
        } else {
            Change::SecretUpdated { secret: name }
        };
        let loses = |image: &ImageRef<'_>| serves(&before, image) && !serves(&after, image);
        let lists = Lists::fetch(cluster, &WorkloadKind::ALL, namespace);
        let users = |cluster: &dyn Cluster| users(&lists, cluster, namespace, name, &loses, None);
        let mut finding = users(cluster);
        // The ServiceAccounts were read through the host's cache: a rejection reads them again.
        if reject && finding.is_some() && lists.unlisted.is_empty() {
            finding = users(&Uncached(cluster));
        }
        return Some(InUse {
            change,
            namespace,
            findings: finding.into_iter().collect(),
            unlisted: lists.unlisted,
        });
    }
    let raw: Payload<'_> = serde_json::from_slice(payload).ok()?;
    let old_account = read(raw.request.old_object)?;
    let new_account = match deleted {
        true => Vec::new(),
        false => read(raw.request.object).unwrap_or_default(),
    };
    let mut removed: Vec<&str> = Vec::new();
    for secret in &old_account {
        if !new_account.contains(secret) && !removed.contains(&secret.as_str()) {
            removed.push(secret);
        }
    }
    let change = Change::ServiceAccount {
        account: name,
        deleted,
    };
    // What each removed Secret serves, read from the cluster: a missing one serves nothing.
    let serving = |cluster: &dyn Cluster| -> Vec<(&str, Keyring)> {
        removed
            .iter()
            .map(|&secret| (secret, alone(fetch_pull_secret(cluster, namespace, secret))))
            .filter(|(_, keyring)| !usable_keys(keyring).is_empty())
            .collect()
    };
    let mut secrets = serving(cluster);
    if secrets.is_empty() {
        return None;
    }
    // A Pod's list is final: only templates get their ServiceAccount's.
    let templates = &WorkloadKind::ALL[1..];
    let lists = Lists::fetch(cluster, templates, namespace);
    let findings = |secrets: &[(&str, Keyring)]| -> Vec<Finding> {
        secrets
            .iter()
            .filter_map(|(secret, keyring)| {
                users(
                    &lists,
                    cluster,
                    namespace,
                    secret,
                    &|image| serves(keyring, image),
                    Some(name),
                )
            })
            .collect()
    };
    let mut found = findings(&secrets);
    if reject && !found.is_empty() && lists.unlisted.is_empty() {
        secrets = serving(&Uncached(cluster));
        found = findings(&secrets);
    }
    Some(InUse {
        change,
        namespace,
        findings: found,
        unlisted: lists.unlisted,
    })
}

/// The pull secrets of a ServiceAccount of the request.
fn read(raw: Option<&RawValue>) -> Option<Vec<String>> {
    service_account_pull_secrets(raw?.get().as_bytes()).ok()
}

/// Whether the kubelet could take credentials from the Secret at all: only the two pull-secret
/// types hold any (an Opaque Secret, a Helm release, a token is never decoded here).
fn may_serve(secret: &Object<'_>) -> bool {
    matches!(
        secret.secret_type.as_deref(),
        Some("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg")
    )
}

/// A keyring of one Secret.
fn alone(secret: PulledSecret) -> Keyring {
    Keyring {
        secrets: vec![secret],
    }
}

/// The keys of a keyring the kubelet would send credentials with, as text, sorted: two
/// keyrings with the same serve the same images (`private.registry.com` and
/// `https://private.registry.com` are one key).
fn usable_keys(keyring: &Keyring) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let held = keyring
        .secrets
        .iter()
        .flat_map(|secret| match &secret.state {
            State::Usable { keys, .. } => keys.as_slice(),
            _ => &[],
        });
    for held in held.filter(|held| held.has_credentials) {
        if let Ok(key) = &held.key {
            insert_sorted(&mut keys, key.to_string());
        }
    }
    keys
}

/// Adds `item` where it sorts, unless it is there: lists here are a few entries long, and an
/// insertion costs the module no sort routine.
fn insert_sorted<T: Ord>(list: &mut Vec<T>, item: T) {
    if let Err(at) = list.binary_search(&item) {
        list.insert(at, item);
    }
}

/// Whether the kubelet would pull `image` with a credential of the keyring.
fn serves(keyring: &Keyring, image: &ImageRef<'_>) -> bool {
    keyring.lookup(image).iter().any(|m| m.held.has_credentials)
}

/// The lists of some kinds in the namespace, as the host answered them.
struct Lists {
    replies: Vec<(WorkloadKind, Vec<u8>)>,
    unlisted: Vec<(&'static ListKind, LookupError)>,
}

impl Lists {
    fn fetch(cluster: &dyn Cluster, kinds: &[WorkloadKind], namespace: &str) -> Lists {
        let mut lists = Lists {
            replies: Vec::with_capacity(kinds.len()),
            unlisted: Vec::new(),
        };
        for &kind in kinds {
            let listed = list_kind(kind);
            match cluster.list(listed, namespace) {
                Ok(reply) => lists.replies.push((kind, reply)),
                Err(error) => lists.unlisted.push((listed, error)),
            }
        }
        lists
    }

    /// Every pod spec listed, with its kind, its name, and whether its owner stands for it
    /// (a Deployment's ReplicaSets, a CronJob's Jobs), which is read only when asked.
    fn each(&self, visit: &mut Visit<'_>) {
        for (kind, reply) in &self.replies {
            // A reply that is not a list lists nothing.
            let Ok(list) = serde_json::from_slice::<List<'_>>(reply) else {
                continue;
            };
            for raw in list.items {
                let Some(object) = item(raw) else {
                    continue;
                };
                if let Some(spec) = kind.pod_spec(&object) {
                    visit(*kind, name(&object), spec, &|| {
                        owned_by_its_template(*kind, raw)
                    });
                }
            }
        }
    }
}

type Visit<'v> = dyn FnMut(WorkloadKind, &str, &crate::request::Spec<'_>, &dyn Fn() -> bool) + 'v;

/// The registries of the images of `spec` for which `needs` holds, each once. `known` keeps
/// each image seen and its registry if it needs the Secret: a namespace's Pods and templates
/// repeat a few images, and each is parsed and looked up once.
fn needing(
    spec: &crate::request::Spec<'_>,
    needs: &dyn Fn(&ImageRef<'_>) -> bool,
    known: &mut Vec<(String, Option<String>)>,
) -> Vec<String> {
    let mut registries: Vec<String> = Vec::new();
    for (_, container) in spec.all_containers() {
        let Some(image) = container.image.as_deref() else {
            continue;
        };
        let at = match known.iter().position(|(seen, _)| seen == image) {
            Some(at) => at,
            None => {
                let registry = ImageRef::parse(image)
                    .ok()
                    .filter(|image| needs(image))
                    .map(|image| image.domain().to_owned());
                known.push((image.to_owned(), registry));
                known.len() - 1
            }
        };
        if let Some(registry) = &known[at].1
            && !registries.contains(registry)
        {
            registries.push(registry.clone());
        }
    }
    registries
}

/// Gathers users into a finding, `None` when there are none.
#[derive(Default)]
struct Gathered {
    registries: Vec<String>,
    templates: Vec<User>,
    pods: usize,
}

impl Gathered {
    fn add(
        &mut self,
        kind: WorkloadKind,
        name: &str,
        through: Option<&str>,
        registries: Vec<String>,
    ) {
        for registry in registries {
            insert_sorted(&mut self.registries, registry);
        }
        if kind == WorkloadKind::Pod {
            self.pods += 1;
            return;
        }
        // The host lists in no particular order; messages follow the kinds' order, then names.
        let rank = |k: WorkloadKind| WorkloadKind::ALL.iter().position(|&x| x == k);
        let at = self
            .templates
            .iter()
            .position(|u| (rank(u.kind), u.name.as_str()) > (rank(kind), name))
            .unwrap_or(self.templates.len());
        let through = through.map(str::to_owned);
        let name = name.to_owned();
        self.templates.insert(
            at,
            User {
                kind,
                name,
                through,
            },
        );
    }

    fn finding(self, secret: &str) -> Option<Finding> {
        if self.pods == 0 && self.templates.is_empty() {
            return None;
        }
        Some(Finding {
            secret: secret.to_owned(),
            registries: self.registries,
            templates: self.templates,
            pods: self.pods,
        })
    }
}

/// The Pods and templates of `lists` that pull with `secret` an image that `needs` it: named
/// in their own `imagePullSecrets`, or, for a template that lists none, in its
/// ServiceAccount's (read through `cluster`, each once). With `account`, only the templates
/// that get their pull secrets from that ServiceAccount, which lists `secret`.
fn users(
    lists: &Lists,
    cluster: &dyn Cluster,
    namespace: &str,
    secret: &str,
    needs: &dyn Fn(&ImageRef<'_>) -> bool,
    account: Option<&str>,
) -> Option<Finding> {
    let mut accounts: Vec<(String, bool)> = Vec::new();
    let mut known: Vec<(String, Option<String>)> = Vec::new();
    let mut gathered = Gathered::default();
    lists.each(&mut |kind, name, spec, owned| {
        let mut own = spec.pull_secret_names().peekable();
        let through = (kind.is_template() && own.peek().is_none()).then(|| spec.service_account());
        let may_use = match (account, through) {
            (Some(account), Some(through)) => account == through,
            (Some(_), None) => false,
            (None, None) => own.any(|n| n == secret),
            // Whether the ServiceAccount lists it takes a read: after the images.
            (None, Some(_)) => true,
        };
        if !may_use {
            return;
        }
        let registries = needing(spec, needs, &mut known);
        if registries.is_empty() || owned() {
            return;
        }
        if account.is_none()
            && let Some(through) = through
        {
            let lists_it = match accounts.iter().find(|(a, _)| a == through) {
                Some((_, lists_it)) => *lists_it,
                None => {
                    let lists_it = account_lists(cluster, namespace, through, secret);
                    accounts.push((through.to_owned(), lists_it));
                    lists_it
                }
            };
            if !lists_it {
                return;
            }
        }
        gathered.add(kind, name, through, registries);
    });
    gathered.finding(secret)
}

/// Whether ServiceAccount `account` lists `secret`; one that cannot be read gives its Pods
/// nothing (and they cannot be created).
fn account_lists(cluster: &dyn Cluster, namespace: &str, account: &str, secret: &str) -> bool {
    let Ok(json) = cluster.get(Resource::ServiceAccount, namespace, account) else {
        return false;
    };
    service_account_pull_secrets(&json).is_ok_and(|names| names.iter().any(|n| n == secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Objects;
    use crate::request::ValidationPayload;
    use base64::Engine as _;
    use rstest::rstest;

    const NS: &str = "team-a";

    /// A Secret of `type` whose `.dockerconfigjson` holds `auths` (a JSON object).
    fn secret(name: &str, secret_type: &str, auths: &str) -> String {
        let content =
            base64::engine::general_purpose::STANDARD.encode(format!(r#"{{"auths":{auths}}}"#));
        format!(
            r#"{{"metadata":{{"name":"{name}","namespace":"{NS}"}},"type":"{secret_type}",
               "data":{{".dockerconfigjson":"{content}"}}}}"#
        )
    }

    const PULL: &str = "kubernetes.io/dockerconfigjson";
    /// `regcred` serving private.registry.com (u:p), as stored.
    const AUTHS: &str = r#"{"private.registry.com":{"auth":"dTpw"}}"#;

    fn regcred() -> String {
        secret("regcred", PULL, AUTHS)
    }

    fn pod_spec(images: &[&str], secrets: Option<&[&str]>, account: Option<&str>) -> String {
        let containers: Vec<String> = images
            .iter()
            .map(|i| format!(r#"{{"image":"{i}"}}"#))
            .collect();
        let mut spec = format!(r#""containers":[{}]"#, containers.join(","));
        if let Some(secrets) = secrets {
            let refs: Vec<String> = secrets
                .iter()
                .map(|s| format!(r#"{{"name":"{s}"}}"#))
                .collect();
            spec.push_str(&format!(r#","imagePullSecrets":[{}]"#, refs.join(",")));
        }
        if let Some(account) = account {
            spec.push_str(&format!(r#","serviceAccountName":"{account}""#));
        }
        format!("{{{spec}}}")
    }

    /// A listed item of `kind` (as the host serves it: metadata and the masked spec).
    fn item(kind: WorkloadKind, name: &str, extra_metadata: &str, spec: &str) -> String {
        let spec = match kind {
            WorkloadKind::Pod => spec.to_owned(),
            WorkloadKind::CronJob => {
                format!(r#"{{"jobTemplate":{{"spec":{{"template":{{"spec":{spec}}}}}}}}}"#)
            }
            _ => format!(r#"{{"replicas":0,"template":{{"spec":{spec}}}}}"#),
        };
        format!(r#"{{"metadata":{{"name":"{name}"{extra_metadata}}},"spec":{spec}}}"#)
    }

    /// The namespace's objects: each case adds to these.
    fn cluster(
        listed: &[(WorkloadKind, &str, &str, String)],
        accounts: &[(&str, &str)],
    ) -> Objects {
        let mut objects = Objects::new();
        for (kind, ns, extra, json) in listed {
            let _ = extra;
            objects.insert_listed(kind.name(), ns, json.clone().into_bytes());
        }
        for (name, json) in accounts {
            objects.insert(Resource::ServiceAccount, NS, name, json.as_bytes().to_vec());
        }
        objects
    }

    fn request(kind: &str, operation: &str, name: Option<&str>, object: &str, old: &str) -> String {
        let name = name
            .map(|n| format!(r#""name":"{n}","#))
            .unwrap_or_default();
        format!(
            r#"{{"request":{{"uid":"1","kind":{{"group":"","version":"v1","kind":"{kind}"}},
               {name}"namespace":"{NS}","operation":"{operation}","object":{object},
               "oldObject":{old}}},"settings":{{}}}}"#
        )
    }

    /// The findings, one line each: `secret: registries: users`; and the kinds not listed.
    fn check(payload: &str, cluster: &dyn Cluster, settings: &str) -> Option<Vec<String>> {
        let settings = Settings::from_json(settings.as_bytes()).unwrap();
        let parsed: ValidationPayload<'_> = serde_json::from_str(payload).unwrap();
        let found = check_in_use(&settings, &parsed.request, payload.as_bytes(), cluster)?;
        let mut lines: Vec<String> = found
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}: {}: {}",
                    f.secret,
                    f.registries.join(" "),
                    super::super::words::users(f)
                )
            })
            .collect();
        lines.extend(
            found
                .unlisted
                .iter()
                .map(|(k, e)| format!("unlisted {}: {e}", k.kind)),
        );
        Some(lines)
    }

    const LOOKUPS: &str = r#"{"clusterLookups":true}"#;

    fn delete_regcred(cluster: &dyn Cluster) -> Option<Vec<String>> {
        check(
            &request("Secret", "DELETE", Some("regcred"), "null", &regcred()),
            cluster,
            LOOKUPS,
        )
    }

    use WorkloadKind::*;
    const PRIVATE: &str = "private.registry.com/team/app:1";

    #[rstest]
    #[case::a_deployment_and_pods(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE, "nginx"], Some(&["regcred"]), None))),
            (Pod, NS, "", item(Pod, "web-1", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (Pod, NS, "", item(Pod, "web-2", "", &pod_spec(&[PRIVATE], Some(&["other", "regcred"]), None))),
        ],
        &[],
        &["regcred: private.registry.com: Deployment web and 2 Pods"]
    )]
    #[case::unused(
        vec![(Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["other"]), None)))],
        &[],
        &[]
    )]
    #[case::only_public_images(
        vec![(Pod, NS, "", item(Pod, "p", "", &pod_spec(&["nginx", "gcr.io/p/a"], Some(&["regcred"]), None)))],
        &[],
        &[]
    )]
    #[case::through_the_service_account(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], None, Some("builder")))),
            (CronJob, NS, "", item(CronJob, "nightly", "", &pod_spec(&[PRIVATE], None, None))),
            (Job, NS, "", item(Job, "own", "", &pod_spec(&[PRIVATE], Some(&["x"]), Some("builder")))),
        ],
        &[("builder", r#"{"imagePullSecrets":[{"name":"regcred"}]}"#), ("default", "{}")],
        &["regcred: private.registry.com: Deployment web (through ServiceAccount builder)"]
    )]
    #[case::scaled_to_zero_and_owned(
        vec![
            (Deployment, NS, "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (ReplicaSet, NS, "", item(ReplicaSet, "web-5d8",
                r#","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}]"#,
                &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (ReplicaSet, NS, "", item(ReplicaSet, "bare", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (Job, NS, "", item(Job, "nightly-28", r#","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly"}]"#,
                &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
            (CronJob, NS, "", item(CronJob, "nightly", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None))),
        ],
        &[],
        &["regcred: private.registry.com: Deployment web, CronJob nightly and ReplicaSet bare"]
    )]
    #[case::another_namespace(
        vec![(Deployment, "team-b", "", item(Deployment, "web", "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None)))],
        &[],
        &[]
    )]
    #[case::many(
        (0..7).map(|i| (StatefulSet, NS, "", item(StatefulSet, &format!("s{i}"), "", &pod_spec(&[PRIVATE], Some(&["regcred"]), None)))).collect(),
        &[],
        &["regcred: private.registry.com: StatefulSet s0, StatefulSet s1, StatefulSet s2, StatefulSet s3, StatefulSet s4 and 2 other workloads"]
    )]
    fn secret_delete(
        #[case] listed: Vec<(WorkloadKind, &str, &str, String)>,
        #[case] accounts: &[(&str, &str)],
        #[case] expected: &[&str],
    ) {
        let cluster = cluster(&listed, accounts);
        assert_eq!(delete_regcred(&cluster).unwrap(), expected);
    }

    fn used() -> Objects {
        cluster(
            &[
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "web",
                        "",
                        &pod_spec(&[PRIVATE, "mycompany/app"], Some(&["regcred"]), None),
                    ),
                ),
                (
                    Pod,
                    NS,
                    "",
                    item(
                        Pod,
                        "web-1",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["regcred"]), None),
                    ),
                ),
            ],
            &[],
        )
    }

    /// Through the module's `validate`: the verdict the setting asks for, and other kinds'
    /// DELETEs untouched.
    #[rstest]
    #[case::warn("warn", true, 1)]
    #[case::reject("reject", false, 0)]
    #[case::allow("allow", true, 0)]
    fn through_validate(#[case] setting: &str, #[case] accepted: bool, #[case] warnings: usize) {
        let settings =
            format!(r#""settings":{{"clusterLookups":true,"pullSecretsInUse":"{setting}"}}"#);
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred())
            .replace(r#""settings":{}"#, &settings);
        let answer: serde_json::Value = serde_json::from_slice(&crate::kubewarden::validate(
            payload.as_bytes(),
            &used(),
            crate::when::UnixTime::TEST_NOW,
        ))
        .unwrap();
        assert_eq!(answer["accepted"], accepted, "{answer}");
        let warned = answer["warnings"].as_array().map_or(0, Vec::len);
        assert_eq!(warned, warnings, "{answer}");
        if !accepted {
            let message = answer["message"].as_str().unwrap();
            assert!(
                message.contains("is still in use: Deployment web and 1 Pod"),
                "{message}"
            );
        }
        let deployment = payload
            .replace(r#""kind":"Secret""#, r#""kind":"Deployment""#)
            .replace(r#""group":"""#, r#""group":"apps""#);
        let answer = crate::kubewarden::validate(
            deployment.as_bytes(),
            &used(),
            crate::when::UnixTime::TEST_NOW,
        );
        assert_eq!(
            std::str::from_utf8(&answer).unwrap(),
            r#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#
        );
    }

    #[test]
    fn deletecollection_takes_the_name_from_the_old_object() {
        let payload = request("Secret", "DELETE", None, "null", &regcred());
        assert_eq!(
            check(&payload, &used(), LOOKUPS).unwrap(),
            ["regcred: private.registry.com: Deployment web and 1 Pod"]
        );
    }

    #[rstest]
    #[case::lookups_off("{}")]
    #[case::allowed(r#"{"clusterLookups":true,"pullSecretsInUse":"allow"}"#)]
    fn not_checked(#[case] settings: &str) {
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred());
        assert_eq!(check(&payload, &used(), settings), None);
    }

    #[rstest]
    #[case::opaque(secret("regcred", "Opaque", AUTHS))]
    #[case::no_credentials(secret("regcred", PULL, r#"{"private.registry.com":{"email":"x"}}"#))]
    #[case::poison(secret("regcred", PULL, r#"{"private.registry.com":{"auth":"!"}}"#))]
    fn secrets_that_serve_nothing_are_deleted_without_a_lookup(#[case] old: String) {
        // No list is answered: a lookup would show as `unlisted`.
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &old);
        assert_eq!(check(&payload, &crate::cluster::NoCluster, LOOKUPS), None);
    }

    #[test]
    fn a_docker_hub_fallback_key_serves_docker_hub_images() {
        let old = secret(
            "regcred",
            PULL,
            r#"{"https://index.docker.io/v1/":{"auth":"dTpw"}}"#,
        );
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &old);
        assert_eq!(
            check(&payload, &used(), LOOKUPS).unwrap(),
            ["regcred: docker.io: Deployment web"]
        );
    }

    #[rstest]
    #[case::drops_the_key(
        r#"{"quay.io":{"auth":"dTpw"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::renamed_to_another_host(
        r#"{"private.registry.org":{"auth":"dTpw"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::opaque_now(
        AUTHS,
        "Opaque",
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::poison_now(
        r#"{"private.registry.com":{"auth":"!!"}}"#,
        PULL,
        Some("regcred: private.registry.com: Deployment web and 1 Pod")
    )]
    #[case::rotated_password(r#"{"private.registry.com":{"auth":"dTpx"}}"#, PULL, None)]
    #[case::https_key(r#"{"https://private.registry.com":{"auth":"dTpw"}}"#, PULL, None)]
    #[case::key_added(
        r#"{"private.registry.com":{"auth":"dTpw"},"quay.io":{"auth":"dTpw"}}"#,
        PULL,
        None
    )]
    #[case::same(AUTHS, PULL, None)]
    fn secret_update(
        #[case] auths: &str,
        #[case] secret_type: &str,
        #[case] expected: Option<&str>,
    ) {
        let new = secret("regcred", secret_type, auths);
        let payload = request("Secret", "UPDATE", Some("regcred"), &new, &regcred());
        let found = check(&payload, &used(), LOOKUPS);
        match expected {
            Some(line) => assert_eq!(found.unwrap(), [line]),
            None => assert!(found.as_ref().is_none_or(|f| f.is_empty()), "{found:?}"),
        }
    }

    fn account(secrets: &[&str]) -> String {
        let refs: Vec<String> = secrets
            .iter()
            .map(|s| format!(r#"{{"name":"{s}"}}"#))
            .collect();
        format!(
            r#"{{"metadata":{{"name":"builder","namespace":"{NS}"}},"imagePullSecrets":[{}]}}"#,
            refs.join(",")
        )
    }

    fn relying() -> Objects {
        let mut objects = cluster(
            &[
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "web",
                        "",
                        &pod_spec(&[PRIVATE], None, Some("builder")),
                    ),
                ),
                (
                    CronJob,
                    NS,
                    "",
                    item(
                        CronJob,
                        "nightly",
                        "",
                        &pod_spec(&[PRIVATE], None, Some("builder")),
                    ),
                ),
                (
                    Deployment,
                    NS,
                    "",
                    item(
                        Deployment,
                        "own",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["x"]), Some("builder")),
                    ),
                ),
                (
                    Deployment,
                    NS,
                    "",
                    item(Deployment, "default", "", &pod_spec(&[PRIVATE], None, None)),
                ),
                (
                    Pod,
                    NS,
                    "",
                    item(
                        Pod,
                        "web-1",
                        "",
                        &pod_spec(&[PRIVATE], Some(&["regcred"]), None),
                    ),
                ),
            ],
            &[],
        );
        objects.insert(Resource::Secret, NS, "regcred", regcred().into_bytes());
        objects.insert(
            Resource::Secret,
            NS,
            "public",
            secret("public", "Opaque", "{}").into_bytes(),
        );
        objects
    }

    #[rstest]
    #[case::drops_it("UPDATE", &["regcred", "other"], &["other"], &["regcred: private.registry.com: Deployment web (through ServiceAccount builder) and CronJob nightly (through ServiceAccount builder)"])]
    #[case::deleted("DELETE", &["regcred"], &[], &["regcred: private.registry.com: Deployment web (through ServiceAccount builder) and CronJob nightly (through ServiceAccount builder)"])]
    #[case::keeps_it("UPDATE", &["regcred"], &["other", "regcred"], &[])]
    #[case::drops_a_missing_one("UPDATE", &["regcred", "gone"], &["regcred"], &[])]
    #[case::drops_one_that_serves_nothing("UPDATE", &["public"], &[], &[])]
    fn service_account(
        #[case] operation: &str,
        #[case] old: &[&str],
        #[case] new: &[&str],
        #[case] expected: &[&str],
    ) {
        let object = if operation == "DELETE" {
            "null".to_owned()
        } else {
            account(new)
        };
        let payload = request(
            "ServiceAccount",
            operation,
            Some("builder"),
            &object,
            &account(old),
        );
        let found = check(&payload, &relying(), LOOKUPS);
        assert_eq!(found.unwrap_or_default(), expected);
    }

    /// A host that reads objects but may not list: every kind is reported, nothing is found.
    struct NoLists(Objects);

    impl Cluster for NoLists {
        fn get(&self, r: Resource, ns: &str, name: &str) -> Result<Vec<u8>, LookupError> {
            self.0.get(r, ns, name)
        }
    }

    #[test]
    fn kinds_that_cannot_be_listed_are_reported() {
        let found = delete_regcred(&NoLists(used())).unwrap();
        assert_eq!(found.len(), 8);
        assert_eq!(found[0], "unlisted Pod: not granted to the policy");
    }

    /// A rejection reads the ServiceAccounts again, past the cache; a warning does not.
    #[rstest]
    #[case::warn("warn", &[false])]
    #[case::reject("reject", &[false, true])]
    fn a_rejection_reads_past_the_cache(#[case] setting: &str, #[case] reads: &[bool]) {
        struct Counting {
            objects: Objects,
            reads: std::cell::RefCell<Vec<bool>>,
        }
        impl Cluster for Counting {
            fn get(&self, r: Resource, ns: &str, name: &str) -> Result<Vec<u8>, LookupError> {
                self.reads.borrow_mut().push(false);
                self.objects.get(r, ns, name)
            }
            fn get_uncached(&self, r: Resource, ns: &str, n: &str) -> Result<Vec<u8>, LookupError> {
                self.reads.borrow_mut().push(true);
                self.objects.get(r, ns, n)
            }
            fn list(&self, kind: &ListKind, ns: &str) -> Result<Vec<u8>, LookupError> {
                self.objects.list(kind, ns)
            }
        }
        let cluster = Counting {
            objects: cluster(
                &[(
                    Deployment,
                    NS,
                    "",
                    item(Deployment, "web", "", &pod_spec(&[PRIVATE], None, None)),
                )],
                &[("default", r#"{"imagePullSecrets":[{"name":"regcred"}]}"#)],
            ),
            reads: Default::default(),
        };
        let settings = format!(r#"{{"clusterLookups":true,"pullSecretsInUse":"{setting}"}}"#);
        let payload = request("Secret", "DELETE", Some("regcred"), "null", &regcred());
        assert_eq!(check(&payload, &cluster, &settings).unwrap().len(), 1);
        assert_eq!(*cluster.reads.borrow(), reads);
    }
}
