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
use crate::cluster::{Cluster, ListKind, LookupError, Uncached};
use crate::kubelet::keyring::{Keyring, PulledSecret, State};
use crate::kubelet::lookups::{
    fetch_pull_secret, service_account_pull_secrets, service_account_secrets,
};
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
        let new = if deleted {
            None
        } else {
            request.object.as_ref()
        };
        // An UPDATE that keeps the pull-secret content removes nothing: not decoded at all.
        if new.is_some_and(|new| new.same_pull_content(old)) {
            return None;
        }
        // The request already holds both Secrets, read as the kubelet reads them.
        let before = alone(PulledSecret::of(name, old));
        let after = new.map_or_else(Keyring::default, |new| alone(PulledSecret::of(name, new)));
        let held_before = usable_keys(&before);
        if held_before.is_empty() || held_before == usable_keys(&after) {
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
    service_account_secrets(cluster, namespace, account)
        .is_ok_and(|names| names.iter().any(|n| n == secret))
}
