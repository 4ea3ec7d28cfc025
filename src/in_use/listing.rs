//! What the policy lists to find the users of a pull secret: the kinds that hold a pod spec,
//! each with its one constant set of field masks (the host keeps a watch per distinct set),
//! and the smallest types the replies are read into.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::cluster::ListKind;
use crate::request::{Object, WorkloadKind};

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
/// creation): its ServiceAccount is not read.
const POD: ListKind = ListKind {
    api_version: "v1",
    kind: "Pod",
    plural: "pods",
    fields: &[
        "spec.containers.image",
        "spec.ephemeralContainers.image",
        "spec.imagePullSecrets",
        "spec.initContainers.image",
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

/// A Kubernetes List, as the host builds it from its watch. Each item is read as the
/// request's object is, with the same code ([`item`]); the few ReplicaSets and Jobs that use a
/// Secret are read once more for their owners ([`owned_by_its_template`]).
#[derive(Deserialize)]
pub(crate) struct List<'a> {
    #[serde(borrow, default)]
    pub(crate) items: Vec<&'a RawValue>,
}

/// An item of a list, as the request's objects are read: its name, and its pod spec, where
/// `WorkloadKind::pod_spec` finds it.
pub(crate) fn item<'a>(raw: &'a RawValue) -> Option<Object<'a>> {
    serde_json::from_slice(raw.get().as_bytes()).ok()
}

/// The name of an item.
pub(crate) fn name<'o>(item: &'o Object<'_>) -> &'o str {
    item.metadata
        .as_ref()
        .and_then(|m| m.name.as_deref())
        .unwrap_or_default()
}

/// Whether its owner stands for an item of `kind`: a Deployment's ReplicaSets and a CronJob's
/// Jobs are their owner's (`metadata.ownerReferences[].kind`; the owner's API group is not
/// read), and named as such.
pub(crate) fn owned_by_its_template(kind: WorkloadKind, raw: &RawValue) -> bool {
    let owner = match kind {
        WorkloadKind::ReplicaSet => "Deployment",
        WorkloadKind::Job => "CronJob",
        _ => return false,
    };
    let mut de = serde_json::Deserializer::from_slice(raw.get().as_bytes());
    OwnedBy { owner, level: 0 }
        .deserialize(&mut de)
        .unwrap_or(false)
}

/// Walks `metadata.ownerReferences[].kind` of an item by hand, one visitor for every level
/// (the item, its metadata, the list, a reference), skipping everything else: derived
/// visitors for the four would cost the module several KiB.
#[derive(Clone, Copy)]
struct OwnedBy<'o> {
    owner: &'o str,
    level: u8,
}

impl<'de> DeserializeSeed<'de> for OwnedBy<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OwnedBy<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut owned = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match (self.level, &*key) {
                (0, "metadata") | (1, "ownerReferences") => {
                    owned |= map.next_value_seed(OwnedBy {
                        level: self.level + 1,
                        ..self
                    })?;
                }
                (3, "kind") => owned |= map.next_value::<Cow<'de, str>>()? == self.owner,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(owned)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut owned = false;
        let reference = OwnedBy { level: 3, ..self };
        while let Some(found) = seq.next_element_seed(reference)? {
            owned |= self.level == 2 && found;
        }
        Ok(owned)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
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
        assert!(owned_by_its_template(
            WorkloadKind::ReplicaSet,
            list.items[0]
        ));
        assert!(!owned_by_its_template(
            WorkloadKind::Deployment,
            list.items[0]
        ));
        assert!(!owned_by_its_template(
            WorkloadKind::ReplicaSet,
            list.items[1]
        ));
        let first = item(list.items[0]).unwrap();
        assert_eq!(name(&first), "web-5d8");
        assert!(WorkloadKind::ReplicaSet.pod_spec(&first).is_some());
        let empty: List = serde_json::from_slice(br#"{"metadata":{}}"#).unwrap();
        assert!(empty.items.is_empty());
    }
}
