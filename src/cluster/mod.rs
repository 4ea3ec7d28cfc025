//! How the policy reads the cluster, when `clusterLookups` is on: one namespaced object at a
//! time, or every object of one kind in a namespace ([`ListKind`]), through [`Cluster`], which the policy module answers with Kubewarden's
//! `get_resource` host call (`host`) and tests (and the troubleshooter page) with objects they
//! hold. What is read, and what it means, is the kubelet's (`kubelet::lookups`).

#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
pub(crate) mod host;

use std::fmt;

/// The kinds of object the policy reads. Both are core `v1`, namespaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A core `v1` Secret: a pull secret.
    Secret,
    /// A core `v1` ServiceAccount: the pull secrets a template's Pods inherit.
    ServiceAccount,
}

impl Resource {
    /// `v1`.
    pub fn api_version(self) -> &'static str {
        "v1"
    }

    /// `Secret` or `ServiceAccount`.
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Secret => "Secret",
            Resource::ServiceAccount => "ServiceAccount",
        }
    }

    /// The plural, as RBAC rules and `kubectl` name it.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Secret => "secrets",
            Resource::ServiceAccount => "serviceaccounts",
        }
    }
}

/// A kind the policy lists in a namespace, and the fields of its items that it reads: the
/// host keeps a watch per distinct (kind, namespace, field masks), so each kind has one
/// constant set of masks (dot paths; the items' `metadata` always comes whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListKind {
    /// `v1`, `apps/v1`, `batch/v1`.
    pub api_version: &'static str,
    /// `Pod`, `Deployment`, ...
    pub kind: &'static str,
    /// The plural, as RBAC rules and `kubectl` name it.
    pub plural: &'static str,
    /// The host's field masks, sorted.
    pub fields: &'static [&'static str],
}

impl ListKind {
    /// The `list_resources_by_namespace` payload: policy-sdk-rust's
    /// `ListResourcesByNamespaceRequest`, field for field, written out (the kinds and masks are
    /// plain constants; only the namespace is quoted).
    #[cfg_attr(not(all(target_arch = "wasm32", target_os = "wasi")), allow(dead_code))]
    pub(crate) fn list_request(&self, namespace: &str) -> String {
        let masks: Vec<String> = self.fields.iter().map(|f| format!("\"{f}\"")).collect();
        format!(
            r#"{{"api_version":"{}","kind":"{}","namespace":{},"label_selector":null,"field_selector":null,"field_masks":[{}]}}"#,
            self.api_version,
            self.kind,
            serde_json::to_string(namespace).unwrap_or_default(),
            masks.join(",")
        )
    }
}

/// Why an object could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupError {
    /// There is no such object in the namespace.
    NotFound,
    /// The policy was not granted the kind: it is not in the `ClusterAdmissionPolicy`'s
    /// `spec.contextAwareResources` (or the policy is a namespaced `AdmissionPolicy`).
    NotGranted,
    /// The Kubernetes API refused the policy server (RBAC).
    Forbidden,
    /// Any other failure (the API server unreachable, a reply that is not an object).
    Failed,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LookupError::NotFound => "not found",
            LookupError::NotGranted => "not granted to the policy",
            LookupError::Forbidden => "forbidden to the policy server",
            LookupError::Failed => "the lookup failed",
        })
    }
}

/// Reads namespaced objects from the cluster.
pub trait Cluster {
    /// The object `name` of kind `resource` in `namespace`, as the Kubernetes API serves it
    /// (JSON).
    fn get(&self, resource: Resource, namespace: &str, name: &str) -> Result<Vec<u8>, LookupError>;

    /// [`get`](Cluster::get), past any cache the host keeps: the policy server keeps its
    /// answers about five seconds, and a rejection must not rest on a Secret or ServiceAccount
    /// that was fixed a moment ago. Objects held in memory have no cache to bypass.
    fn get_uncached(
        &self,
        resource: Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<u8>, LookupError> {
        self.get(resource, namespace, name)
    }

    /// Every object of `kind` in `namespace`, reduced to `kind.fields` (and `metadata`), as a
    /// Kubernetes List: `{"items": [...]}` (JSON), in no particular order. The host answers it
    /// from a watch: there is no cache to bypass. A cluster that cannot list refuses.
    fn list(&self, kind: &ListKind, namespace: &str) -> Result<Vec<u8>, LookupError> {
        let _ = (kind, namespace);
        Err(LookupError::NotGranted)
    }
}

/// A cluster read past its host's cache: every lookup is [`Cluster::get_uncached`].
pub(crate) struct Uncached<'c>(pub(crate) &'c dyn Cluster);

impl Cluster for Uncached<'_> {
    fn get(&self, resource: Resource, namespace: &str, name: &str) -> Result<Vec<u8>, LookupError> {
        self.0.get_uncached(resource, namespace, name)
    }

    fn list(&self, kind: &ListKind, namespace: &str) -> Result<Vec<u8>, LookupError> {
        self.0.list(kind, namespace)
    }
}

/// The cluster of a policy that may not read it: every lookup is refused. What runs when
/// `clusterLookups` is off (no lookup is ever asked for then) and in native front ends that
/// hold no objects.
pub struct NoCluster;

impl Cluster for NoCluster {
    fn get(&self, _: Resource, _: &str, _: &str) -> Result<Vec<u8>, LookupError> {
        Err(LookupError::NotGranted)
    }
}

/// Objects held in memory, looked up by kind, namespace and name: tests, and the
/// troubleshooter page with what its user pasted.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    objects: Vec<(Resource, String, String, Vec<u8>)>,
    /// Objects that are only listed: kind (`Deployment`), namespace, JSON.
    listed: Vec<(String, String, Vec<u8>)>,
}

impl Objects {
    /// No objects.
    pub fn new() -> Objects {
        Objects::default()
    }

    /// Adds an object (its JSON); a later one of the same kind, namespace and name wins.
    pub fn insert(&mut self, resource: Resource, namespace: &str, name: &str, json: Vec<u8>) {
        self.objects
            .retain(|(r, ns, n, _)| !(*r == resource && ns == namespace && n == name));
        self.objects
            .push((resource, namespace.to_owned(), name.to_owned(), json));
    }

    /// Adds an object that [`Cluster::list`] lists with the others of its `kind` (`Pod`,
    /// `Deployment`, ...) in `namespace`; it is listed whole (no field masks are applied).
    pub fn insert_listed(&mut self, kind: &str, namespace: &str, json: Vec<u8>) {
        self.listed
            .push((kind.to_owned(), namespace.to_owned(), json));
    }
}

impl Cluster for Objects {
    fn get(&self, resource: Resource, namespace: &str, name: &str) -> Result<Vec<u8>, LookupError> {
        self.objects
            .iter()
            .find(|(r, ns, n, _)| *r == resource && ns == namespace && n == name)
            .map(|(_, _, _, json)| json.clone())
            .ok_or(LookupError::NotFound)
    }

    fn list(&self, kind: &ListKind, namespace: &str) -> Result<Vec<u8>, LookupError> {
        let mut list = br#"{"items":["#.to_vec();
        let items = self
            .listed
            .iter()
            .filter(|(k, ns, _)| k == kind.kind && ns == namespace);
        for (i, (_, _, json)) in items.enumerate() {
            if i > 0 {
                list.push(b',');
            }
            list.extend_from_slice(json);
        }
        list.extend_from_slice(b"]}");
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// policy-sdk-rust 0.17.3's `ListResourcesByNamespaceRequest` (its `cluster-context`
    /// feature is off here), which the host deserializes the payload into.
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct ListResourcesByNamespaceRequest {
        api_version: String,
        kind: String,
        namespace: String,
        label_selector: Option<String>,
        field_selector: Option<String>,
        field_masks: Option<std::collections::BTreeSet<String>>,
    }

    /// The payload reads as the SDK's request, field for field.
    #[test]
    fn list_requests_are_the_sdks() {
        let kind = ListKind {
            api_version: "apps/v1",
            kind: "Deployment",
            plural: "deployments",
            fields: &[
                "spec.template.spec.containers.image",
                "spec.template.spec.imagePullSecrets",
            ],
        };
        let json = kind.list_request("team-\"a");
        let sdk: ListResourcesByNamespaceRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(sdk.api_version, "apps/v1");
        assert_eq!(sdk.kind, "Deployment");
        assert_eq!(sdk.namespace, "team-\"a");
        assert_eq!((sdk.label_selector, sdk.field_selector), (None, None));
        let masks: Vec<&str> = sdk
            .field_masks
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(masks, kind.fields);
    }

    #[test]
    fn objects_list_by_kind_and_namespace() {
        let mut objects = Objects::new();
        objects.insert_listed("Pod", "a", br#"{"metadata":{"name":"p"}}"#.to_vec());
        objects.insert_listed("Pod", "a", br#"{"metadata":{"name":"q"}}"#.to_vec());
        objects.insert_listed("Pod", "b", br#"{"metadata":{"name":"r"}}"#.to_vec());
        let pods = ListKind {
            api_version: "v1",
            kind: "Pod",
            plural: "pods",
            fields: &[],
        };
        let list = objects.list(&pods, "a").unwrap();
        assert_eq!(
            list,
            br#"{"items":[{"metadata":{"name":"p"}},{"metadata":{"name":"q"}}]}"#
        );
        assert_eq!(objects.list(&pods, "c").unwrap(), br#"{"items":[]}"#);
        assert_eq!(NoCluster.list(&pods, "a"), Err(LookupError::NotGranted));
    }
}
