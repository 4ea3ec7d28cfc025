//! What the policy lists to find the users of a pull secret: the kinds that hold a pod spec,
//! each with its one constant set of field masks (the host keeps a watch per distinct set),
//! and the smallest types the replies are read into.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use crate::cluster::ListKind;
use crate::request::{Object, Spec, WorkloadKind};

/// The fields of a pod spec at `$at` that say what it pulls and with which secrets.
macro_rules! template_fields {
    ($at:literal) => {
        &[
            concat!($at, ".containers.image"),
            concat!($at, ".imagePullSecrets"),
            concat!($at, ".initContainers.image"),
            concat!($at, ".serviceAccount"),
            concat!($at, ".serviceAccountName"),
        ]
    };
}

const fn template(api_version: &'static str, kind: &'static str, plural: &'static str) -> ListKind {
    ListKind {
        api_version,
        kind,
        plural,
        fields: template_fields!("spec.template.spec"),
    }
}

/// A Pod's list of pull secrets is final (the API server copied its ServiceAccount's at
/// creation): its ServiceAccount is not read. A Pod that has ended pulls nothing again.
const POD: ListKind = ListKind {
    api_version: "v1",
    kind: "Pod",
    plural: "pods",
    fields: &[
        "spec.containers.image",
        "spec.ephemeralContainers.image",
        "spec.imagePullSecrets",
        "spec.initContainers.image",
        "status.phase",
    ],
};
const REPLICATION_CONTROLLER: ListKind =
    template("v1", "ReplicationController", "replicationcontrollers");
const DEPLOYMENT: ListKind = template("apps/v1", "Deployment", "deployments");
const REPLICA_SET: ListKind = template("apps/v1", "ReplicaSet", "replicasets");
const STATEFUL_SET: ListKind = template("apps/v1", "StatefulSet", "statefulsets");
const DAEMON_SET: ListKind = template("apps/v1", "DaemonSet", "daemonsets");
const JOB: ListKind = template("batch/v1", "Job", "jobs");
const CRON_JOB: ListKind = ListKind {
    api_version: "batch/v1",
    kind: "CronJob",
    plural: "cronjobs",
    fields: template_fields!("spec.jobTemplate.spec.template.spec"),
};

/// How the policy lists `kind`.
pub(crate) fn list_kind(kind: WorkloadKind) -> &'static ListKind {
    match kind {
        WorkloadKind::Pod => &POD,
        WorkloadKind::ReplicationController => &REPLICATION_CONTROLLER,
        WorkloadKind::Deployment => &DEPLOYMENT,
        WorkloadKind::ReplicaSet => &REPLICA_SET,
        WorkloadKind::StatefulSet => &STATEFUL_SET,
        WorkloadKind::DaemonSet => &DAEMON_SET,
        WorkloadKind::Job => &JOB,
        WorkloadKind::CronJob => &CRON_JOB,
    }
}

/// A Kubernetes List, as the host builds it from its watch.
#[derive(Deserialize)]
pub(crate) struct List<'a> {
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub(crate) items: Vec<Item<'a>>,
}

/// One listed object: its metadata (never masked) and what the masks kept.
#[derive(Deserialize)]
pub(crate) struct Item<'a> {
    #[serde(borrow, default)]
    metadata: ItemMetadata<'a>,
    #[serde(borrow, default)]
    spec: Option<Spec<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemMetadata<'a> {
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    owner_references: Vec<OwnerReference<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerReference<'a> {
    #[serde(borrow, default)]
    api_version: Cow<'a, str>,
    #[serde(borrow, default)]
    kind: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow, default)]
    phase: Option<Cow<'a, str>>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

impl<'a> Item<'a> {
    pub(crate) fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether its owner stands for it: a Deployment's ReplicaSets and a CronJob's Jobs are
    /// their owner's, and named as such.
    pub(crate) fn owned_by_its_template(&self, kind: WorkloadKind) -> bool {
        let owner = match kind {
            WorkloadKind::ReplicaSet => ("apps/", "Deployment"),
            WorkloadKind::Job => ("batch/", "CronJob"),
            _ => return false,
        };
        self.metadata
            .owner_references
            .iter()
            .any(|o| o.api_version.starts_with(owner.0) && o.kind == owner.1)
    }

    /// A Pod that succeeded or failed: its containers never pull again.
    pub(crate) fn has_ended(&self) -> bool {
        self.status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|phase| phase == "Succeeded" || phase == "Failed")
    }

    /// The item as an object whose pod spec `WorkloadKind::pod_spec` finds.
    pub(crate) fn into_object(self) -> Object<'a> {
        Object {
            spec: self.spec,
            ..Object::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Each kind's masks are sorted, once each, and name the fields of its pod spec the
    /// check reads, where `WorkloadKind::pod_spec_path` says the pod spec is.
    #[rstest]
    fn masks_follow_the_pod_spec(
        #[values(
            WorkloadKind::Pod,
            WorkloadKind::Deployment,
            WorkloadKind::ReplicaSet,
            WorkloadKind::StatefulSet,
            WorkloadKind::DaemonSet,
            WorkloadKind::Job,
            WorkloadKind::ReplicationController,
            WorkloadKind::CronJob
        )]
        kind: WorkloadKind,
    ) {
        let listed = list_kind(kind);
        assert_eq!(listed.kind, kind.name());
        assert!(
            listed.fields.is_sorted_by(|a, b| a < b),
            "{:?}",
            listed.fields
        );
        let at = kind.pod_spec_path();
        for field in [
            "containers.image",
            "initContainers.image",
            "imagePullSecrets",
        ] {
            let path = format!("{at}.{field}");
            assert!(listed.fields.contains(&path.as_str()), "{path}");
        }
        if kind.is_template() {
            let path = format!("{at}.serviceAccountName");
            assert!(listed.fields.contains(&path.as_str()));
        }
        assert_eq!(
            listed.plural,
            format!("{}s", crate::words::kubectl::resource(kind))
        );
    }

    #[test]
    fn items_read_what_they_need() {
        let json = br#"{"apiVersion":"apps/v1","kind":"ReplicaSetList","metadata":{},"items":[
            {"metadata":{"name":"web-5d8","annotations":{},"managedFields":[],
              "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","controller":true}]},
             "spec":{"template":{"spec":{"containers":[{"image":"a.io/x"}]}}}},
            {"metadata":{"name":"own","ownerReferences":null},"spec":{}}]}"#;
        let list: List = serde_json::from_slice(json).unwrap();
        assert_eq!(list.items.len(), 2);
        assert!(list.items[0].owned_by_its_template(WorkloadKind::ReplicaSet));
        assert!(!list.items[0].owned_by_its_template(WorkloadKind::Deployment));
        assert!(!list.items[1].owned_by_its_template(WorkloadKind::ReplicaSet));
        let pods: List =
            serde_json::from_slice(br#"{"items":[{"metadata":{"name":"p"},"status":{"phase":"Succeeded"}},{"metadata":{"name":"q"}}]}"#)
                .unwrap();
        assert!(pods.items[0].has_ended() && !pods.items[1].has_ended());
        let empty: List = serde_json::from_slice(br#"{"items":null}"#).unwrap();
        assert!(empty.items.is_empty());
    }
}
