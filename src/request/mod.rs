//! The admission request, read down to the fields the checks need, and the pod spec of each
//! workload kind.
//!
//! Every admission request goes through here, so the types borrow from the payload and name
//! only what is used; serde skips the rest (`managedFields`, `status`, volumes, ...) without
//! building it. One object type serves every kind: the fields of a Pod spec, of a workload
//! spec (`template`) and of a CronJob spec (`jobTemplate`) never collide, and a single pass
//! works whatever order the request's keys come in (the kind may follow the object).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::verdict::Kind;

/// `{"request": ..., "settings": ...}`, what Kubewarden hands to `validate`. The settings stay
/// raw JSON: they are the same for every request, so they are validated once and cached.
#[derive(Debug, Deserialize)]
pub(crate) struct ValidationPayload<'a> {
    #[serde(borrow)]
    pub(crate) request: AdmissionRequest<'a>,
    #[serde(borrow)]
    pub(crate) settings: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdmissionRequest<'a> {
    #[serde(borrow, default)]
    pub(crate) kind: GroupVersionKind<'a>,
    #[serde(borrow, default)]
    pub(crate) namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) operation: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) object: Option<Object<'a>>,
    #[serde(borrow, default)]
    pub(crate) old_object: Option<Object<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct GroupVersionKind<'a> {
    #[serde(borrow, default)]
    pub(crate) group: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) kind: Cow<'a, str>,
}

/// Only the kind of a request, for answering one whose object could not be read.
#[derive(Debug, Deserialize)]
pub(crate) struct KindOnly<'a> {
    #[serde(borrow)]
    pub(crate) request: KindOnlyRequest<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KindOnlyRequest<'a> {
    #[serde(borrow)]
    pub(crate) kind: GroupVersionKind<'a>,
}

/// Any Kubernetes object, read as far as the checks need.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Object<'a> {
    #[serde(borrow, default)]
    pub(crate) metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    pub(crate) spec: Option<Spec<'a>>,
    /// A Secret's type.
    #[serde(rename = "type", borrow, default)]
    pub(crate) secret_type: Option<Cow<'a, str>>,
    /// A Secret's data (base64), down to the two pull-secret keys.
    #[serde(borrow, default)]
    pub(crate) data: Option<PullSecretData<'a>>,
    /// A Secret's `stringData` (plain text), which overrides `data` key by key.
    #[serde(rename = "stringData", borrow, default)]
    pub(crate) string_data: Option<PullSecretData<'a>>,
}

impl Object<'_> {
    /// Whether this Secret's type and pull-secret content are `other`'s: the kubelet reads
    /// them alike, so an UPDATE that keeps them (a label, an annotation, a finaliser) changes
    /// nothing it pulls with.
    pub(crate) fn same_pull_content(&self, other: &Object<'_>) -> bool {
        self.secret_type == other.secret_type
            && self.data == other.data
            && self.string_data == other.string_data
    }
}

/// The pull-secret keys of a Secret's `data` or `stringData`. Every other key is skipped
/// without being read: Secrets can be large (Helm keeps releases in 1 MiB ones).
#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct PullSecretData<'a> {
    #[serde(rename = ".dockerconfigjson", borrow, default)]
    pub(crate) docker_config_json: Option<RawBytes<'a>>,
    #[serde(rename = ".dockercfg", borrow, default)]
    pub(crate) docker_cfg: Option<RawBytes<'a>>,
}

/// A JSON string read as bytes: base64 and JSON content need no UTF-8 check of their own, and
/// skipping it saves a pass over every pull secret.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawBytes<'a>(pub Cow<'a, [u8]>);

impl<'de: 'a, 'a> Deserialize<'de> for RawBytes<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawBytes<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<RawBytes<'de>, E> {
                Ok(RawBytes(Cow::Borrowed(v)))
            }

            fn visit_bytes<E>(self, v: &[u8]) -> Result<RawBytes<'de>, E> {
                Ok(RawBytes(Cow::Owned(v.to_vec())))
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<RawBytes<'de>, E> {
                Ok(RawBytes(Cow::Borrowed(v.as_bytes())))
            }

            fn visit_str<E>(self, v: &str) -> Result<RawBytes<'de>, E> {
                Ok(RawBytes(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        deserializer.deserialize_bytes(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metadata<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) generate_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) namespace: Option<Cow<'a, str>>,
}

/// The union of a Pod spec, a workload spec and a CronJob spec.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Spec<'a> {
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub(crate) containers: Vec<Container<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub(crate) init_containers: Vec<Container<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub(crate) ephemeral_containers: Vec<Container<'a>>,
    #[serde(borrow, default, deserialize_with = "null_as_default")]
    pub(crate) image_pull_secrets: Vec<LocalObjectReference<'a>>,
    #[serde(borrow, default)]
    pub(crate) service_account_name: Option<Cow<'a, str>>,
    /// The deprecated alias the API server still fills in.
    #[serde(borrow, default)]
    pub(crate) service_account: Option<Cow<'a, str>>,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController; and the
    /// Job spec inside a CronJob's `jobTemplate`.
    #[serde(borrow, default)]
    pub(crate) template: Option<Box<Template<'a>>>,
    /// CronJob.
    #[serde(borrow, default)]
    pub(crate) job_template: Option<Box<Template<'a>>>,
}

/// A pod template or a job template: both are `{metadata, spec}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Template<'a> {
    #[serde(borrow, default)]
    pub(crate) spec: Option<Spec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Container<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) image: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LocalObjectReference<'a> {
    #[serde(borrow, default)]
    pub(crate) name: Option<Cow<'a, str>>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The kinds whose pod specs the policy checks: a Pod, and the seven kinds that hold a pod
/// template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum WorkloadKind {
    Pod,
    ReplicationController,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [WorkloadKind; 8] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::ReplicaSet,
        WorkloadKind::ReplicationController,
    ];

    /// The kind as Kubernetes spells it: `Deployment`.
    pub fn name(self) -> &'static str {
        Kind::name(self)
    }

    /// `Pod, Deployment, ... or ReplicationController`: the kinds the policy checks, in prose,
    /// with `Pod` left out when `pods` is false (the seven kinds that hold a pod template).
    pub fn in_prose(pods: bool) -> String {
        let names: Vec<&str> = WorkloadKind::ALL
            .iter()
            .filter(|k| pods || k.is_template())
            .map(|k| k.name())
            .collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// The kind of a request, by API group and kind: a custom resource that happens to be
    /// called `Deployment` is not one.
    pub(crate) fn from_group_kind(group: &str, kind: &str) -> Option<WorkloadKind> {
        Some(match (group, kind) {
            ("", "Pod") => WorkloadKind::Pod,
            ("", "ReplicationController") => WorkloadKind::ReplicationController,
            ("apps", "Deployment") => WorkloadKind::Deployment,
            ("apps", "ReplicaSet") => WorkloadKind::ReplicaSet,
            ("apps", "StatefulSet") => WorkloadKind::StatefulSet,
            ("apps", "DaemonSet") => WorkloadKind::DaemonSet,
            ("batch", "Job") => WorkloadKind::Job,
            ("batch", "CronJob") => WorkloadKind::CronJob,
            _ => return None,
        })
    }

    /// Whether the object holds a pod template rather than a Pod: its Pods get their
    /// ServiceAccount's pull secrets only when they are created.
    pub(crate) fn is_template(self) -> bool {
        self != WorkloadKind::Pod
    }

    /// Where the pod spec sits in the object, for messages that say what to edit.
    pub(crate) fn pod_spec_path(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "spec",
            WorkloadKind::CronJob => "spec.jobTemplate.spec.template.spec",
            _ => "spec.template.spec",
        }
    }

    /// The pod spec of an object of this kind, if it has one.
    pub(crate) fn pod_spec<'o, 'a>(self, object: &'o Object<'a>) -> Option<&'o Spec<'a>> {
        let spec = object.spec.as_ref()?;
        let template_spec = |spec: &'o Spec<'a>| spec.template.as_ref()?.spec.as_ref();
        match self {
            WorkloadKind::Pod => Some(spec),
            WorkloadKind::CronJob => template_spec(spec.job_template.as_ref()?.spec.as_ref()?),
            _ => template_spec(spec),
        }
    }
}

impl serde::Serialize for WorkloadKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Kind for WorkloadKind {
    fn name(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// Which list of a pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ContainerRole {
    Init,
    App,
    Ephemeral,
}

impl ContainerRole {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            ContainerRole::Init => "init container",
            ContainerRole::App => "container",
            ContainerRole::Ephemeral => "ephemeral container",
        }
    }
}

impl<'a> Spec<'a> {
    /// Every container with its role, in the order the kubelet starts them: init containers,
    /// containers, then ephemeral containers.
    pub(crate) fn all_containers(&self) -> impl Iterator<Item = (ContainerRole, &Container<'a>)> {
        let tag = |role| move |c| (role, c);
        self.init_containers
            .iter()
            .map(tag(ContainerRole::Init))
            .chain(self.containers.iter().map(tag(ContainerRole::App)))
            .chain(
                self.ephemeral_containers
                    .iter()
                    .map(tag(ContainerRole::Ephemeral)),
            )
    }

    /// The names in `imagePullSecrets`, skipping empty ones as the kubelet does.
    pub(crate) fn pull_secret_names(&self) -> impl Iterator<Item = &str> {
        self.image_pull_secrets
            .iter()
            .filter_map(|r| r.name.as_deref())
            .filter(|n| !n.is_empty())
    }

    /// The ServiceAccount the Pods run as (`default` when none is named).
    pub(crate) fn service_account(&self) -> &str {
        self.service_account_name
            .as_deref()
            .or(self.service_account.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn object(json: &str) -> Object<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[rstest]
    fn pod_spec_of_every_kind(
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
        let pod_spec = r#"{"containers":[{"name":"app","image":"nginx"}]}"#;
        let template = format!(r#"{{"template":{{"metadata":{{}},"spec":{pod_spec}}}}}"#);
        let spec = match kind {
            WorkloadKind::Pod => pod_spec.to_owned(),
            WorkloadKind::CronJob => {
                format!(r#"{{"schedule":"* * * * *","jobTemplate":{{"spec":{template}}}}}"#)
            }
            _ => template,
        };
        let json = format!(r#"{{"kind":"{}","spec":{spec}}}"#, kind.name());
        let obj = object(&json);
        let images: Vec<_> = kind
            .pod_spec(&obj)
            .unwrap()
            .all_containers()
            .map(|(_, c)| c.image.as_deref().unwrap())
            .collect();
        assert_eq!(images, ["nginx"]);
    }

    #[test]
    fn missing_and_null_fields() {
        let obj = object(r#"{"spec":{"containers":null,"imagePullSecrets":null}}"#);
        let spec = WorkloadKind::Pod.pod_spec(&obj).unwrap();
        assert_eq!(spec.all_containers().count(), 0);
        assert_eq!(spec.service_account(), "default");
        assert!(WorkloadKind::Deployment.pod_spec(&object("{}")).is_none());
        assert!(
            WorkloadKind::CronJob
                .pod_spec(&object(r#"{"spec":{}}"#))
                .is_none()
        );
    }

    #[test]
    fn containers_in_start_order() {
        let obj = object(
            r#"{"spec":{"ephemeralContainers":[{"name":"debug","image":"busybox"}],
                "containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}],
                "initContainers":[{"name":"init","image":"i"}],
                "imagePullSecrets":[{"name":"x"},{},{"name":""},{"name":"y"}],
                "serviceAccountName":"builder"}}"#,
        );
        let spec = WorkloadKind::Pod.pod_spec(&obj).unwrap();
        let names: Vec<_> = spec
            .all_containers()
            .map(|(role, c)| format!("{} {}", role.noun(), c.name))
            .collect();
        assert_eq!(
            names,
            [
                "init container init",
                "container a",
                "container b",
                "ephemeral container debug"
            ]
        );
        assert_eq!(spec.pull_secret_names().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(spec.service_account(), "builder");
    }

    #[test]
    fn kinds_by_group() {
        assert_eq!(
            WorkloadKind::from_group_kind("apps", "Deployment"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(
            WorkloadKind::from_group_kind("example.com", "Deployment"),
            None
        );
        assert_eq!(WorkloadKind::from_group_kind("", "ConfigMap"), None);
    }
}
