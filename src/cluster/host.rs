//! The cluster as the policy module reads it: Kubewarden's `kubernetes`/`get_resource` and
//! `list_resources_by_namespace` host calls, called directly with the payload the SDK documents (the SDK's own helper needs its
//! `cluster-context` feature, which links k8s-openapi into the module).

use kubewarden_policy_sdk::wapc_guest;
use serde::Serialize;

use crate::cluster::{Cluster, ListKind, LookupError, Resource};

/// The policy server (or kwctl) the module runs in.
pub(crate) struct Host;

/// `GetResourceRequest` of policy-sdk-rust, field for field.
#[derive(Serialize)]
struct GetResource<'a> {
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    disable_cache: bool,
    field_masks: Option<[&'a str; 0]>,
}

impl Cluster for Host {
    /// Served from the host's watch of the kind in the namespace. Where the policy server may
    /// not `list` the kind, the call never returns (the host retries the watch forever): the
    /// deployment must grant `list` and `watch` (README, *Cluster lookups*).
    fn list(&self, kind: &ListKind, namespace: &str) -> Result<Vec<u8>, LookupError> {
        let payload = kind.list_request(namespace);
        wapc_guest::host_call(
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            payload.as_bytes(),
        )
        .map_err(|e| classify(&e.to_string()))
    }

    fn get(&self, resource: Resource, namespace: &str, name: &str) -> Result<Vec<u8>, LookupError> {
        get_resource(resource, namespace, name, false)
    }

    fn get_uncached(
        &self,
        resource: Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<u8>, LookupError> {
        get_resource(resource, namespace, name, true)
    }
}

fn get_resource(
    resource: Resource,
    namespace: &str,
    name: &str,
    disable_cache: bool,
) -> Result<Vec<u8>, LookupError> {
    let request = GetResource {
        api_version: resource.api_version(),
        kind: resource.kind(),
        name,
        namespace: Some(namespace),
        disable_cache,
        field_masks: None,
    };
    let payload = serde_json::to_vec(&request).map_err(|_| LookupError::Failed)?;
    wapc_guest::host_call("kubewarden", "kubernetes", "get_resource", &payload)
        .map_err(|e| classify(&e.to_string()))
}

/// Tells the host's failures apart by their text (what the policy-evaluator and the Kubernetes
/// API answer), so that no raw host error reaches a message.
fn classify(error: &str) -> LookupError {
    if error.contains("Cannot find") || error.contains("NotFound") {
        LookupError::NotFound
    } else if error.contains("has not been granted access") {
        LookupError::NotGranted
    } else if error.to_ascii_lowercase().contains("forbidden") {
        LookupError::Forbidden
    } else {
        LookupError::Failed
    }
}
