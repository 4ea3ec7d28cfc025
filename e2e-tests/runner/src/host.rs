//! The host side of the guest's `__host_call`s, answering as policy-evaluator's host callback
//! does: the same dispatch on binding/namespace/operation, the same permission check on
//! Kubernetes resources, and the same error texts. Lookups are answered from a recorded kwctl
//! session, never from a cluster.
//!
//! The texts returned here are what the host hands the guest; the Rust SDK's `wapc-guest`
//! then shows them prefixed with `Host error: `.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Mutex;

use serde::Deserialize;

use crate::replay::{CallbackRequest, Replayer};

/// A Kubernetes resource type, as in a policy's `contextAwareResources`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceType {
    pub api_version: String,
    pub kind: String,
}

impl ResourceType {
    pub fn new(api_version: &str, kind: &str) -> Self {
        ResourceType {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        }
    }
}

/// Which Kubernetes resources the policy may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextAccess {
    /// What kwctl grants: nothing without `--allow-context-aware`, the policy's
    /// `contextAwareResources` with it.
    Granted(BTreeSet<ResourceType>),
    /// Whatever the session holds: the bench, which replays sessions without metadata.
    Any,
}

impl ContextAccess {
    pub fn none() -> Self {
        ContextAccess::Granted(BTreeSet::new())
    }

    fn allows(&self, api_version: &str, kind: &str) -> bool {
        match self {
            ContextAccess::Any => true,
            ContextAccess::Granted(set) => set.contains(&ResourceType::new(api_version, kind)),
        }
    }
}

/// The `get_resource` payload (policy-sdk-rust 0.17.3 `GetResourceRequest`).
#[derive(Debug, Deserialize)]
struct GetResourceRequest {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    disable_cache: bool,
    field_masks: Option<BTreeSet<String>>,
}

/// The `list_resources_by_namespace` payload (`ListResourcesByNamespaceRequest`).
#[derive(Debug, Deserialize)]
struct ListResourcesByNamespaceRequest {
    api_version: String,
    kind: String,
    namespace: String,
    label_selector: Option<String>,
    field_selector: Option<String>,
    field_masks: Option<BTreeSet<String>>,
}

/// The `list_resources_all` payload (`ListAllResourcesRequest`).
#[derive(Debug, Deserialize)]
struct ListAllResourcesRequest {
    api_version: String,
    kind: String,
    label_selector: Option<String>,
    field_selector: Option<String>,
    field_masks: Option<BTreeSet<String>>,
}

/// What one policy instance's host calls may reach.
#[derive(Debug)]
pub struct Host {
    access: ContextAccess,
    session: Mutex<Option<Replayer>>,
}

type HostResult = Result<Vec<u8>, String>;

impl Host {
    pub fn new(access: ContextAccess, session: Option<Replayer>) -> Self {
        Host {
            access,
            session: Mutex::new(session),
        }
    }

    /// Replaces the session (the bench switches sessions between requests).
    pub fn set_session(&self, session: Option<Replayer>) {
        *self.lock() = session;
    }

    /// Back to the session's first exchange.
    pub fn rewind(&self) {
        if let Some(replayer) = self.lock().as_mut() {
            replayer.rewind();
        }
    }

    /// Exchanges of the session not replayed yet (0 without a session).
    pub fn unreplayed(&self) -> usize {
        self.lock().as_ref().map_or(0, Replayer::remaining)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Replayer>> {
        // A panic while holding the lock cannot leave the replayer half-updated.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers one `__host_call`.
    pub fn call(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> HostResult {
        match (binding, namespace) {
            ("kubewarden", "tracing") => match operation {
                "log" => {
                    let mut stderr = std::io::stderr().lock();
                    // A failing stderr must not turn into a policy failure.
                    let _ = stderr.write_all(payload);
                    let _ = stderr.write_all(b"\n");
                    Ok(Vec::new())
                }
                _ => Err(unknown_operation(operation)),
            },
            ("kubewarden", "kubernetes") => self.kubernetes(operation, payload),
            ("kubewarden", "oci" | "net" | "crypto") => {
                Err(capability_unavailable(binding, namespace, operation))
            }
            ("kubewarden", _) => Err(format!("unknown namespace: {namespace}")),
            // The deprecated `ClusterContext` calls: listed without a permission check, as
            // policy-evaluator does.
            ("kubernetes", "ingresses" | "namespaces" | "services") => {
                let (api_version, kind) = match namespace {
                    "ingresses" => ("networking.k8s.io/v1", "Ingress"),
                    "namespaces" => ("v1", "Namespace"),
                    _ => ("v1", "Service"),
                };
                self.replay(&CallbackRequest::KubernetesListResourceAll {
                    api_version: api_version.into(),
                    kind: kind.into(),
                    label_selector: None,
                    field_selector: None,
                    field_masks: None,
                })
            }
            ("kubernetes", _) => Err(format!("unknown namespace: {namespace}")),
            _ => Err(format!("unknown binding: {binding}")),
        }
    }

    fn kubernetes(&self, operation: &str, payload: &[u8]) -> HostResult {
        let request = match operation {
            "get_resource" => {
                let r: GetResourceRequest = parse_payload(payload)?;
                self.check_access(&r.api_version, &r.kind)?;
                CallbackRequest::KubernetesGetResource {
                    api_version: r.api_version,
                    kind: r.kind,
                    name: r.name,
                    namespace: r.namespace,
                    disable_cache: r.disable_cache,
                    field_masks: r.field_masks,
                }
            }
            "list_resources_by_namespace" => {
                let r: ListResourcesByNamespaceRequest = parse_payload(payload)?;
                self.check_access(&r.api_version, &r.kind)?;
                CallbackRequest::KubernetesListResourceNamespace {
                    api_version: r.api_version,
                    kind: r.kind,
                    namespace: r.namespace,
                    label_selector: r.label_selector,
                    field_selector: r.field_selector,
                    field_masks: r.field_masks,
                }
            }
            "list_resources_all" => {
                let r: ListAllResourcesRequest = parse_payload(payload)?;
                self.check_access(&r.api_version, &r.kind)?;
                CallbackRequest::KubernetesListResourceAll {
                    api_version: r.api_version,
                    kind: r.kind,
                    label_selector: r.label_selector,
                    field_selector: r.field_selector,
                    field_masks: r.field_masks,
                }
            }
            "can_i" => return Err(capability_unavailable("kubewarden", "kubernetes", "can_i")),
            _ => return Err(unknown_operation(operation)),
        };
        self.replay(&request)
    }

    fn check_access(&self, api_version: &str, kind: &str) -> Result<(), String> {
        if self.access.allows(api_version, kind) {
            Ok(())
        } else {
            Err(not_granted(api_version, kind))
        }
    }

    fn replay(&self, request: &CallbackRequest) -> HostResult {
        let mut session = self.lock();
        let Some(replayer) = session.as_mut() else {
            return Err(callback_failure(
                "no host capabilities session was given (--replay-host-capabilities-interactions): \
                 this runner cannot query a cluster",
            ));
        };
        replayer.answer(request).map_err(|e| callback_failure(&e))
    }
}

/// A payload that does not deserialize: policy-evaluator hands on serde_json's own text.
fn parse_payload<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice(payload).map_err(|e| e.to_string())
}

/// How policy-evaluator wraps every error of a callback it forwarded (its `{:?}` of an anyhow
/// error built from a message is that message).
pub fn callback_failure(message: &str) -> String {
    format!("Callback evaluation failure: {message}")
}

/// The refusal of a resource the policy was not granted.
pub fn not_granted(api_version: &str, kind: &str) -> String {
    format!(
        "Policy has not been granted access to Kubernetes {api_version}/{kind} resources. \
         The violation has been reported."
    )
}

fn unknown_operation(operation: &str) -> String {
    format!("unknown operation: {operation}")
}

/// A capability kwctl serves and this runner does not.
pub fn capability_unavailable(binding: &str, namespace: &str, operation: &str) -> String {
    format!(
        "host capability {binding}/{namespace}/{operation} is not available in this runner \
         (it serves kubewarden/tracing/log and replays Kubernetes lookups from a session)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Session;

    const SAMPLE: &str = include_str!("../testdata/kwctl-session-sample.yml");

    fn lookup(name: &str) -> Vec<u8> {
        format!(
            r#"{{"api_version":"v1","kind":"Secret","name":"{name}","namespace":"team-a","disable_cache":false,"field_masks":null}}"#
        )
        .into_bytes()
    }

    fn secrets_host() -> Host {
        let access = ContextAccess::Granted([ResourceType::new("v1", "Secret")].into());
        Host::new(access, Some(Session::parse(SAMPLE).unwrap().replayer()))
    }

    #[test]
    fn granted_lookups_replay_the_session() {
        let host = secrets_host();
        let found = host
            .call(
                "kubewarden",
                "kubernetes",
                "get_resource",
                &lookup("regcred"),
            )
            .unwrap();
        assert!(
            String::from_utf8(found)
                .unwrap()
                .contains(r#""name":"regcred""#)
        );
        assert_eq!(
            host.call("kubewarden", "kubernetes", "get_resource", &lookup("missing-cred")),
            Err(r#"Callback evaluation failure: Cannot find v1/Secret named 'missing-cred' inside of namespace 'Some("team-a")'"#.into())
        );
        assert_eq!(
            host.call(
                "kubewarden",
                "kubernetes",
                "get_resource",
                &lookup("regcred")
            ),
            Err("Callback evaluation failure: the list of recorded responses is empty".into())
        );
        host.rewind();
        assert_eq!(host.unreplayed(), 2);
    }

    #[test]
    fn a_payload_without_field_masks_is_the_same_request() {
        let host = secrets_host();
        let payload = br#"{"api_version":"v1","kind":"Secret","name":"regcred","namespace":"team-a","disable_cache":false}"#;
        assert!(
            host.call("kubewarden", "kubernetes", "get_resource", payload)
                .is_ok()
        );
    }

    #[test]
    fn ungranted_resources_never_reach_the_session() {
        let host = Host::new(
            ContextAccess::none(),
            Some(Session::parse(SAMPLE).unwrap().replayer()),
        );
        assert_eq!(
            host.call("kubewarden", "kubernetes", "get_resource", &lookup("regcred")),
            Err("Policy has not been granted access to Kubernetes v1/Secret resources. The violation has been reported.".into())
        );
        assert_eq!(host.unreplayed(), 2);
        let only_pods = Host::new(
            ContextAccess::Granted([ResourceType::new("v1", "Pod")].into()),
            None,
        );
        assert!(
            only_pods
                .call(
                    "kubewarden",
                    "kubernetes",
                    "get_resource",
                    &lookup("regcred")
                )
                .unwrap_err()
                .starts_with("Policy has not been granted access to Kubernetes v1/Secret")
        );
    }

    #[test]
    fn errors_for_what_is_not_served() {
        let host = Host::new(ContextAccess::Any, None);
        let e = host
            .call("kubewarden", "kubernetes", "get_resource", b"{}")
            .unwrap_err();
        assert!(e.starts_with("missing field `api_version`"), "{e}");
        assert!(
            host.call("kubewarden", "kubernetes", "get_resource", &lookup("x"))
                .unwrap_err()
                .starts_with("Callback evaluation failure: no host capabilities session")
        );
        assert_eq!(
            host.call("kubewarden", "kubernetes", "delete", b"{}"),
            Err("unknown operation: delete".into())
        );
        assert_eq!(
            host.call("kubewarden", "tracing", "print", b""),
            Err("unknown operation: print".into())
        );
        assert_eq!(
            host.call("kubewarden", "nowhere", "x", b""),
            Err("unknown namespace: nowhere".into())
        );
        assert_eq!(
            host.call("elsewhere", "x", "y", b""),
            Err("unknown binding: elsewhere".into())
        );
        assert!(
            host.call("kubewarden", "oci", "v1/manifest_digest", b"\"busybox\"")
                .unwrap_err()
                .contains("kubewarden/oci/v1/manifest_digest is not available")
        );
        assert_eq!(
            host.call("kubewarden", "tracing", "log", b"{}"),
            Ok(Vec::new())
        );
    }

    #[test]
    fn cluster_context_lists_namespaces_from_the_session() {
        let session = Session::parse(
            "- type: Exchange\n  request: |\n    !KubernetesListResourceAll\n    api_version: v1\n    \
             kind: Namespace\n    label_selector: null\n    field_selector: null\n  response:\n    \
             type: Success\n    payload: '{\"items\":[]}'\n",
        )
        .unwrap();
        let host = Host::new(ContextAccess::none(), Some(session.replayer()));
        assert_eq!(
            host.call("kubernetes", "namespaces", "list", b""),
            Ok(br#"{"items":[]}"#.to_vec())
        );
    }
}
