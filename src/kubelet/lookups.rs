//! Which pull secrets a pod spec's Pods really use, read from the cluster (`clusterLookups`):
//! the pod spec's own `imagePullSecrets`, or, for a template that lists none, its
//! ServiceAccount's, which the ServiceAccount admission plugin copies into each Pod it creates
//! (only when the Pod lists none, and replacing rather than merging). Each object is read once.

use std::borrow::Cow;

use serde::Deserialize;

use crate::cluster::{Cluster, LookupError, Resource};
use crate::kubelet::keyring::{Keyring, PulledSecret};
use crate::request::{LocalObjectReference, Spec, WorkloadKind};

/// What the lookups found for one pod spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lookups {
    pub(crate) source: Source,
    /// The pull secrets the Pods use, each once, in the order listed.
    pub(crate) keyring: Keyring,
}

/// Where the Pods' pull secrets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The pod spec's own list: a Pod's is final, a template's replaces its ServiceAccount's.
    Own,
    /// A template that lists none: its Pods get those of this ServiceAccount, if it exists.
    ServiceAccount {
        name: String,
        read: Result<(), LookupError>,
    },
}

/// The part of a ServiceAccount the kubelet's Pods inherit.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccount<'a> {
    #[serde(borrow, default)]
    image_pull_secrets: Option<Vec<LocalObjectReference<'a>>>,
}

impl Lookups {
    /// Reads what the Pods of `spec`, a pod spec of `kind` in `namespace`, will use.
    pub(crate) fn fetch(
        cluster: &dyn Cluster,
        kind: WorkloadKind,
        spec: &Spec<'_>,
        namespace: &str,
    ) -> Lookups {
        let own: Vec<&str> = spec.pull_secret_names().collect();
        let (source, names): (Source, Vec<Cow<'_, str>>) = if !own.is_empty() || !kind.is_template()
        {
            (Source::Own, own.into_iter().map(Cow::Borrowed).collect())
        } else {
            let name = spec.service_account();
            let (read, names) = match service_account_secrets(cluster, namespace, name) {
                Ok(names) => (Ok(()), names.into_iter().map(Cow::Owned).collect()),
                Err(error) => (Err(error), Vec::new()),
            };
            (
                Source::ServiceAccount {
                    name: name.to_owned(),
                    read,
                },
                names,
            )
        };
        let mut secrets: Vec<PulledSecret> = Vec::with_capacity(names.len());
        for name in names {
            if secrets.iter().any(|s| s.name == name) {
                continue;
            }
            secrets.push(fetch_pull_secret(cluster, namespace, &name));
        }
        Lookups {
            source,
            keyring: Keyring { secrets },
        }
    }
}

/// Secret `name` of `namespace`, as the kubelet finds it when a Pod names it as a pull secret:
/// the one read of a pull secret, for the lookups and the fix alike.
pub(crate) fn fetch_pull_secret(
    cluster: &dyn Cluster,
    namespace: &str,
    name: &str,
) -> PulledSecret {
    match cluster.get(Resource::Secret, namespace, name) {
        Ok(json) => PulledSecret::read(name, &json),
        Err(error) => PulledSecret::unavailable(name, error),
    }
}

/// The names in a ServiceAccount's `imagePullSecrets`, skipping empty ones as the kubelet does.
pub(crate) fn service_account_secrets(
    cluster: &dyn Cluster,
    namespace: &str,
    name: &str,
) -> Result<Vec<String>, LookupError> {
    let json = cluster.get(Resource::ServiceAccount, namespace, name)?;
    service_account_pull_secrets(&json)
}

/// The names in the `imagePullSecrets` of a ServiceAccount (its JSON), skipping empty ones.
pub(crate) fn service_account_pull_secrets(json: &[u8]) -> Result<Vec<String>, LookupError> {
    let account: ServiceAccount<'_> =
        serde_json::from_slice(json).map_err(|_| LookupError::Failed)?;
    Ok(account
        .image_pull_secrets
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.name.as_deref())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Objects;
    use crate::kubelet::keyring::State;
    use std::cell::RefCell;

    /// A cluster that counts its lookups.
    struct Counting<'c> {
        objects: &'c Objects,
        asked: RefCell<Vec<String>>,
    }

    impl Cluster for Counting<'_> {
        fn get(
            &self,
            resource: Resource,
            namespace: &str,
            name: &str,
        ) -> Result<Vec<u8>, LookupError> {
            self.asked
                .borrow_mut()
                .push(format!("{}/{namespace}/{name}", resource.kind()));
            self.objects.get(resource, namespace, name)
        }
    }

    fn objects() -> Objects {
        let mut objects = Objects::new();
        let secret = br#"{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"eyJhdXRocyI6e319"}}"#;
        objects.insert(Resource::Secret, "ns", "a", secret.to_vec());
        objects.insert(Resource::Secret, "ns", "b", secret.to_vec());
        objects.insert(
            Resource::ServiceAccount,
            "ns",
            "builder",
            br#"{"imagePullSecrets":[{"name":"b"},{"name":""},{"name":"b"}]}"#.to_vec(),
        );
        objects
    }

    fn fetch(kind: WorkloadKind, spec: &str) -> (Lookups, Vec<String>) {
        let objects = objects();
        let cluster = Counting {
            objects: &objects,
            asked: RefCell::new(Vec::new()),
        };
        let spec: Spec = serde_json::from_str(spec).unwrap();
        let lookups = Lookups::fetch(&cluster, kind, &spec, "ns");
        (lookups, cluster.asked.into_inner())
    }

    fn names(lookups: &Lookups) -> Vec<&str> {
        lookups
            .keyring
            .secrets
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    }

    #[test]
    fn each_object_is_read_once() {
        let (lookups, asked) = fetch(
            WorkloadKind::Pod,
            r#"{"imagePullSecrets":[{"name":"a"},{"name":"a"},{"name":"missing"}]}"#,
        );
        assert_eq!(names(&lookups), ["a", "missing"]);
        assert_eq!(asked, ["Secret/ns/a", "Secret/ns/missing"]);
        assert_eq!(
            lookups.keyring.secrets[1].state,
            State::Unavailable(LookupError::NotFound)
        );
    }

    #[test]
    fn a_template_that_lists_none_gets_its_service_accounts() {
        let (lookups, asked) = fetch(
            WorkloadKind::Deployment,
            r#"{"serviceAccountName":"builder"}"#,
        );
        assert_eq!(names(&lookups), ["b"]);
        assert_eq!(asked, ["ServiceAccount/ns/builder", "Secret/ns/b"]);
        assert!(matches!(
            lookups.source,
            Source::ServiceAccount { read: Ok(()), .. }
        ));
    }

    #[test]
    fn a_template_that_lists_one_does_not_merge_its_service_accounts() {
        let (lookups, asked) = fetch(
            WorkloadKind::Deployment,
            r#"{"serviceAccountName":"builder","imagePullSecrets":[{"name":"a"}]}"#,
        );
        assert_eq!(names(&lookups), ["a"]);
        assert_eq!(asked, ["Secret/ns/a"]);
    }

    #[test]
    fn a_pods_list_is_final() {
        let (lookups, asked) = fetch(WorkloadKind::Pod, r#"{"serviceAccountName":"builder"}"#);
        assert!(names(&lookups).is_empty() && asked.is_empty());
        assert_eq!(lookups.source, Source::Own);
    }

    #[test]
    fn a_missing_service_account() {
        let (lookups, _) = fetch(WorkloadKind::Job, r#"{"serviceAccountName":"nobody"}"#);
        assert_eq!(
            lookups.source,
            Source::ServiceAccount {
                name: "nobody".into(),
                read: Err(LookupError::NotFound)
            }
        );
        // `default` when none is named.
        let (lookups, asked) = fetch(WorkloadKind::Job, "{}");
        assert!(
            matches!(lookups.source, Source::ServiceAccount { ref name, .. } if name == "default")
        );
        assert_eq!(asked, ["ServiceAccount/ns/default"]);
    }
}
